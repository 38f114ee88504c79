#!/usr/bin/env node
/**
 * bench/startup: what a small run of the CLI costs over starting Node, in one run, paired.
 *
 *   node bench/startup.mjs [--runs 15] [--bin bin/pg-index-lint.js] [--other PATH]
 *
 * Each round runs, one after the other: `node -e 0`, `--version`, `--help`, and `check` on a
 * repository of one migration (with one finding), for our bin and, with --other, for another
 * build's bin (a worktree of an older commit, say). It prints the median wall and CPU time (user +
 * sys, from GNU time) and peak RSS of each, and each one's ratio to `node -e 0` in the same round.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "15" },
    bin: { type: "string", default: "bin/pg-index-lint.js" },
    other: { type: "string" },
  },
});
const root = new URL("..", import.meta.url).pathname;
const repo = join(root, "bench/out/startup-one-file");
mkdirSync(repo, { recursive: true });
writeFileSync(
  join(repo, "0001_orders.sql"),
  "CREATE TABLE orders (id bigint PRIMARY KEY);\nCREATE INDEX orders_id ON orders (id);\n",
);

const bins = [["ours", resolve(root, values.bin)]];
if (values.other) bins.push(["other", resolve(values.other)]);
const commands = [["node -e 0", ["-e", "0"]]];
for (const [who, bin] of bins) {
  commands.push([`${who} --version`, [bin, "--version"]]);
  commands.push([`${who} --help`, [bin, "--help"]]);
  commands.push([`${who} check, 1 file`, [bin, "check", repo, "--format", "json"]]);
}

function measure(args) {
  const t0 = process.hrtime.bigint();
  const run = spawnSync("/usr/bin/time", ["-f", "%U %S %M", process.execPath, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const [user, sys, rss] = run.stderr.trim().split("\n").at(-1).split(" ").map(Number);
  return { wall, cpu: user + sys, rssMiB: rss / 1024 };
}

const runs = Number(values.runs);
const samples = new Map(commands.map(([name]) => [name, []]));
for (let i = 0; i < runs; i++) for (const [name, args] of commands) samples.get(name).push(measure(args));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = samples.get("node -e 0");
process.stdout.write(`startup, ${runs} rounds, node ${process.version}\n\n`);
process.stdout.write(
  `${"command".padEnd(24)} ${"wall s".padStart(8)} ${"cpu s".padStart(7)} ${"RSS MiB".padStart(8)} ${"wall/node".padStart(10)} ${"cpu/node".padStart(9)}\n`,
);
for (const [name, list] of samples) {
  // Paired: each round's ratio to that round's `node -e 0`, then the median of the ratios.
  const wallRatio = median(list.map((s, i) => s.wall / base[i].wall));
  const cpuRatio = median(list.map((s, i) => s.cpu / Math.max(base[i].cpu, 0.001)));
  process.stdout.write(
    `${name.padEnd(24)} ${median(list.map((s) => s.wall))
      .toFixed(3)
      .padStart(8)} ${median(list.map((s) => s.cpu))
      .toFixed(2)
      .padStart(7)} ${Math.max(...list.map((s) => s.rssMiB))
      .toFixed(1)
      .padStart(8)} ${wallRatio.toFixed(2).padStart(10)} ${cpuRatio.toFixed(2).padStart(9)}\n`,
  );
}
