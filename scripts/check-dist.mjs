#!/usr/bin/env node
// Fails when the committed dist/ is not what scripts/bundle.mjs builds from the sources now.
// Rebuilds into a temporary directory and compares every file byte for byte, except the PGlite
// snapshot, which initdb writes anew each time: there, the committed one must have been made by
// the installed PGlite version.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const committed = join(root, "dist");
const fresh = mkdtempSync(join(tmpdir(), "pg-index-lint-dist-"));
const SNAPSHOT = "pglite/snapshot/";

try {
  execFileSync(process.execPath, [join(root, "scripts", "bundle.mjs"), "--out", fresh], { stdio: "inherit" });
  const problems = [];
  const a = existsSync(committed) ? files(committed) : [];
  const b = files(fresh);
  for (const file of b) {
    if (!a.includes(file)) problems.push(`missing from dist/: ${file}`);
    else if (file.startsWith(SNAPSHOT)) continue;
    else if (!readFileSync(join(committed, file)).equals(readFileSync(join(fresh, file))))
      problems.push(`differs: dist/${file}`);
  }
  for (const file of a) if (!b.includes(file)) problems.push(`not built any more: dist/${file}`);
  const manifest = (dir) => JSON.parse(readFileSync(join(dir, SNAPSHOT, "snapshot.json"), "utf8")).pglite;
  if (a.includes(`${SNAPSHOT}snapshot.json`) && manifest(committed) !== manifest(fresh))
    problems.push(
      `dist/${SNAPSHOT}snapshot.json: made by PGlite ${manifest(committed)}, not ${manifest(fresh)}`,
    );
  if (problems.length) {
    console.error(`dist/ is stale; run \`npm run bundle\` and commit dist/:\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
  console.log(`dist/ is up to date (${b.length} files)`);
} finally {
  rmSync(fresh, { recursive: true, force: true });
}

function files(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path).split("\\").join("/"));
    }
  };
  walk(dir);
  return out.sort();
}
