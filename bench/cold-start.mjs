#!/usr/bin/env node
/**
 * The Action's cold start: two builds of dist/ run one after the other, alternating, on the same
 * one-migration repository, each as GitHub runs it (`node DIR/index.js` with INPUT_* variables, no
 * token, no verify). Prints the median wall time, CPU time (user + sys) and peak RSS of each, and
 * the ratio of the second to the first. Never asserted in a test: the machine is shared.
 *
 *   node scripts/bundle.mjs --out /tmp/cold/before     # at the older commit (a git worktree)
 *   node scripts/bundle.mjs --out /tmp/cold/after      # at this one (or use dist/)
 *   node bench/cold-start.mjs --a /tmp/cold/before --b dist [--runs 15] [--json]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string" },
    runs: { type: "string", default: "15" },
    json: { type: "boolean", default: false },
  },
});
if (!opts.a || !opts.b) {
  console.error("usage: cold-start.mjs --a DIST_DIR --b DIST_DIR [--runs N] [--json]");
  process.exit(2);
}
if (!existsSync("/usr/bin/time")) {
  console.error("cold-start.mjs needs GNU time at /usr/bin/time for CPU time and peak RSS");
  process.exit(2);
}
const builds = [resolve(opts.a), resolve(opts.b)];
for (const dir of builds) {
  if (!existsSync(join(dir, "index.js"))) {
    console.error(`no index.js in ${dir}`);
    process.exit(2);
  }
}
const runs = Math.max(1, Number.parseInt(opts.runs, 10) || 15);

// The repository: one table with a foreign key and no index, so the run reports one finding.
const work = mkdtempSync(join(tmpdir(), "pg-index-lint-cold-"));
const repo = join(work, "repo");
mkdirSync(join(repo, "migrations"), { recursive: true });
writeFileSync(
  join(repo, "migrations", "0001_init.sql"),
  [
    "CREATE TABLE customers (id bigint PRIMARY KEY);",
    "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));",
    "",
  ].join("\n"),
);
writeFileSync(join(repo, ".pg-index-lint.yml"), "migrations:\n  - path: migrations\n    runner: sql\n");

function once(dir) {
  const summary = join(work, "summary.md");
  writeFileSync(summary, "");
  writeFileSync(join(work, "output"), "");
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_WORKSPACE: repo,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: join(work, "output"),
    INPUT_VERIFY: "false",
    INPUT_COMMENT: "false",
    INPUT_REVIEW: "false",
    "INPUT_FAIL-ON": "never",
  };
  const timing = join(work, "time.txt");
  const started = process.hrtime.bigint();
  const child = spawnSync(
    "/usr/bin/time",
    ["-o", timing, "-f", "%U %S %M", process.execPath, join(dir, "index.js")],
    {
      cwd: repo,
      env,
      encoding: "utf8",
    },
  );
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) {
    console.error(`${dir}: exit ${child.status}\n${child.stdout}\n${child.stderr}`);
    process.exit(1);
  }
  if (!/orders/.test(child.stdout)) {
    console.error(`${dir}: the run did not report the finding on orders:\n${child.stdout}`);
    process.exit(1);
  }
  const [user, sys, rssKiB] = readFileSync(timing, "utf8").trim().split(/\s+/).map(Number);
  return { wallMs, cpuMs: (user + sys) * 1000, rssMiB: rssKiB / 1024 };
}

const median = (values) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

once(builds[0]);
once(builds[1]); // warm the page cache for both before timing
const samples = [[], []];
for (let i = 0; i < runs; i++) {
  // Alternate which build goes first, so that a slow spell on the machine falls on both.
  const order = i % 2 === 0 ? [0, 1] : [1, 0];
  for (const which of order) samples[which].push(once(builds[which]));
}
rmSync(work, { recursive: true, force: true });

const stats = samples.map((list, i) => ({
  dir: builds[i],
  bytes: readFileSync(join(builds[i], "index.js")).length,
  wallMs: median(list.map((s) => s.wallMs)),
  cpuMs: median(list.map((s) => s.cpuMs)),
  rssMiB: median(list.map((s) => s.rssMiB)),
}));
const ratio = {
  wall: stats[1].wallMs / stats[0].wallMs,
  cpu: stats[1].cpuMs / stats[0].cpuMs,
  rss: stats[1].rssMiB / stats[0].rssMiB,
};
if (opts.json) {
  console.log(JSON.stringify({ runs, builds: stats, ratio }, null, 2));
} else {
  for (const s of stats) {
    console.log(
      `${s.dir}: index.js ${(s.bytes / 1048576).toFixed(2)} MiB, wall ${s.wallMs.toFixed(0)} ms, ` +
        `cpu ${s.cpuMs.toFixed(0)} ms, peak RSS ${s.rssMiB.toFixed(1)} MiB (median of ${runs})`,
    );
  }
  console.log(
    `b/a: wall ${ratio.wall.toFixed(3)}, cpu ${ratio.cpu.toFixed(3)}, peak RSS ${ratio.rss.toFixed(3)}`,
  );
}
