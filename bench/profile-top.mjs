#!/usr/bin/env node
/**
 * Prints the functions with the most self time in a V8 `.cpuprofile` (from `node --cpu-prof`).
 *
 *   node bench/profile-top.mjs <file.cpuprofile | dir> [--top N] [--inclusive] [--filter SUBSTRING]
 *
 * --inclusive ranks by time spent in a function and everything it called (each function counted
 * once per sample, so recursion does not inflate it); --filter keeps functions whose location
 * contains SUBSTRING (e.g. "build/").
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: "string", default: "15" },
    inclusive: { type: "boolean", default: false },
    filter: { type: "string", default: "" },
  },
});
let file = positionals[0];
if (!file) {
  process.stderr.write("usage: node bench/profile-top.mjs <file.cpuprofile | dir> [--top N]\n");
  process.exit(2);
}
if (statSync(file).isDirectory()) {
  const newest = readdirSync(file)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(file, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!newest) throw new Error(`no .cpuprofile in ${file}`);
  file = newest;
}
const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const keyOf = (id) => {
  const { callFrame: f } = byId.get(id);
  const where = f.url
    ? `${relative(process.cwd(), f.url.replace(/^file:\/\//, ""))}:${f.lineNumber + 1}`
    : "";
  return `${f.functionName || "(anonymous)"}\t${where}`;
};
const agg = new Map();
for (const [id, us] of selfUs) {
  if (!values.inclusive) {
    agg.set(keyOf(id), (agg.get(keyOf(id)) ?? 0) + us);
    continue;
  }
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const key = keyOf(cur);
    if (seen.has(key)) continue;
    seen.add(key);
    agg.set(key, (agg.get(key) ?? 0) + us);
  }
}
const rows = [...agg]
  .filter(([key]) => key.includes(values.filter))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(values.top));
const kind = values.inclusive ? "inclusive" : "self";
process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled; ${kind} time\n`);
for (const [key, us] of rows) {
  const [name, where] = key.split("\t");
  process.stdout.write(
    `${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}  ${where}\n`,
  );
}
