#!/usr/bin/env node
/**
 * bench/verify: what `pg-index-lint verify` costs over applying the same migrations with
 * `psql -f`, on the same PostgreSQL server, in one run; what a one-file verify on embedded PGlite
 * costs from a fresh process; and how fast PGlite starts.
 *
 *   node bench/verify.mjs [--files 300] [--runs 3] [--database-url URL] [--peer DIR] [--json]
 *
 * Both sides apply the same generated files to an empty database: psql as one process with one
 * -f per file (autocommit, stop on the first error), verify as the whole CLI process (check,
 * scratch database, per-statement lock tracing, catalog read-back, comparison, drop). The runs
 * alternate. With GNU time (/usr/bin/time) each process also reports its CPU time and peak RSS.
 *
 * psql also runs with synchronous_commit=off, as verify's applying session does (src/verify/server.ts):
 * the ratio against it is the cost of verify's own work, without the disk's flush latency.
 * --peer DIR runs another build of pg-index-lint (a worktree with its build/) in the same pairs, on
 * the same files, for a before/after comparison under the same load.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "300" },
    runs: { type: "string", default: "3" },
    "database-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
    json: { type: "boolean", default: false },
    peer: { type: "string" },
  },
});
const files = Number(values.files);
const runs = Number(values.runs);
const url = new URL(values["database-url"]);
const root = new URL("..", import.meta.url).pathname;
const dir = join(root, "bench/out", `verify-${files}`);

/** A chain of tables, each with a foreign key to the one before, indexes, and later changes. */
function generate() {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "migrations"), { recursive: true });
  writeFileSync(join(dir, ".pg-index-lint.yml"), "migrations: [{ path: migrations, runner: sql }]\n");
  let statements = 0;
  let last = 0;
  for (let i = 1; i <= files; i++) {
    const lines = [];
    if (i % 3 === 0 && last > 0) {
      lines.push(`ALTER TABLE t_${last} ADD COLUMN note_${i} text;`);
      lines.push(`CREATE INDEX CONCURRENTLY t_${last}_note_${i}_idx ON t_${last} (note_${i});`);
    } else {
      const parent = last > 0 ? `,\n  parent_id bigint REFERENCES t_${last} (id)` : "";
      lines.push(
        `CREATE TABLE t_${i} (\n  id bigint PRIMARY KEY,\n  name text NOT NULL,\n  created_at timestamptz DEFAULT now()${parent}\n);`,
      );
      if (last > 0) lines.push(`CREATE INDEX t_${i}_parent_idx ON t_${i} (parent_id);`);
      lines.push(`CREATE UNIQUE INDEX t_${i}_name_key ON t_${i} (name);`);
      lines.push(`COMMENT ON TABLE t_${i} IS 'table ${i}';`);
      last = i;
    }
    statements += lines.length;
    writeFileSync(join(dir, "migrations", `${String(i).padStart(4, "0")}_m.sql`), `${lines.join("\n")}\n`);
  }
  return statements;
}

/** A one-file repository, for the PGlite row: a table with a unique index. */
function generateOne() {
  const one = join(root, "bench/out", "verify-1");
  rmSync(one, { recursive: true, force: true });
  mkdirSync(join(one, "migrations"), { recursive: true });
  writeFileSync(join(one, ".pg-index-lint.yml"), "migrations: [{ path: migrations, runner: sql }]\n");
  writeFileSync(
    join(one, "migrations", "0001_m.sql"),
    "CREATE TABLE t_1 (\n  id bigint PRIMARY KEY,\n  name text NOT NULL\n);\nCREATE UNIQUE INDEX t_1_name_key ON t_1 (name);\n",
  );
  return one;
}

const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

/** Runs a command; with GNU time, also its CPU time (user + sys) and peak RSS. */
function measure(command, args, options = {}) {
  const started = performance.now();
  const result = GNU_TIME
    ? spawnSync(GNU_TIME, ["-f", "PIL_TIME %U %S %M", command, ...args], {
        encoding: "utf8",
        maxBuffer: 1 << 28,
        ...options,
      })
    : spawnSync(command, args, { encoding: "utf8", maxBuffer: 1 << 28, ...options });
  const ms = performance.now() - started;
  const m = /PIL_TIME ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(result.stderr ?? "");
  if (m) result.stderr = result.stderr.slice(0, m.index);
  return {
    result,
    ms,
    cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : Number.NaN,
    rssMiB: m ? Number(m[3]) / 1024 : Number.NaN,
  };
}

function psql(database, args, timed = false, env = process.env) {
  const target = new URL(url);
  target.pathname = `/${database}`;
  const argv = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", target.toString(), ...args];
  return timed ? measure("psql", argv, { env }) : spawnSync("psql", argv, { encoding: "utf8" });
}

function timePsql(async = false) {
  psql(url.pathname.slice(1), [
    "-c",
    "DROP DATABASE IF EXISTS pil_bench_psql",
    "-c",
    "CREATE DATABASE pil_bench_psql",
  ]);
  const fileArgs = [];
  for (let i = 1; i <= files; i++)
    fileArgs.push("-f", join(dir, "migrations", `${String(i).padStart(4, "0")}_m.sql`));
  const env = async ? { ...process.env, PGOPTIONS: "-c synchronous_commit=off" } : process.env;
  const run = psql("pil_bench_psql", fileArgs, true, env);
  psql(url.pathname.slice(1), ["-c", "DROP DATABASE IF EXISTS pil_bench_psql"]);
  if (run.result.status !== 0) throw new Error(`psql failed: ${run.result.stderr}`);
  return run;
}

function timeVerify(databaseUrl, repo = dir, count = files, tool = root) {
  const args = [join(tool, "bin/pg-index-lint.js"), "verify", repo, "--format", "json"];
  if (databaseUrl) args.push("--database-url", databaseUrl);
  const run = measure(process.execPath, args, { cwd: root });
  const { result } = run;
  if (result.status === 2) throw new Error(`verify failed: ${result.stderr}`);
  let report;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    throw new Error(
      `${tool} verify ${repo} printed no JSON (exit ${result.status}, signal ${result.signal}): ${result.stderr.slice(-2000)}`,
    );
  }
  const applied = report.verify.sets[0].migrations.filter((m) => m.status === "applied").length;
  if (applied !== count) throw new Error(`verify applied ${applied} of ${count} migrations`);
  if (report.verify.sets[0].differences !== 0) throw new Error("the replay and the database differ");
  return run;
}

function pgliteStart(snapshot) {
  const script = `
    const { openEngine } = await import(${JSON.stringify(join(root, "build/verify/connect.js"))});
    const started = performance.now();
    const engine = await openEngine({ env: {}, ${snapshot ? "" : 'pgliteSnapshotDir: "/nonexistent",'} });
    const ms = performance.now() - started;
    await engine.close();
    console.log(JSON.stringify({ ms, from: engine.startup?.from }));`;
  const file = join(dir, "pglite-start.mjs");
  writeFileSync(file, script);
  const out = execFileSync(process.execPath, [file], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").at(-1));
}

const statements = generate();
const one = generateOne();
const best = (xs) => Math.min(...xs);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const peer = values.peer ? resolve(values.peer) : undefined;
const psqlRuns = [];
const asyncRuns = [];
const verifyRuns = [];
const oneRuns = [];
const peerRuns = [];
const peerOneRuns = [];
for (let r = 0; r < runs; r++) {
  // Alternate which side goes first, so that a busy spell on the machine falls on both.
  const sides = [
    () => psqlRuns.push(timePsql()),
    () => asyncRuns.push(timePsql(true)),
    () => verifyRuns.push(timeVerify(url.toString())),
    ...(peer ? [() => peerRuns.push(timeVerify(url.toString(), dir, files, peer))] : []),
  ];
  for (const run of r % 2 ? sides.reverse() : sides) run();
  const ones = [
    () => oneRuns.push(timeVerify(undefined, one, 1)),
    ...(peer ? [() => peerOneRuns.push(timeVerify(undefined, one, 1, peer))] : []),
  ];
  for (const run of r % 2 ? ones.reverse() : ones) run();
  const ms = (runs) => runs.at(-1).ms.toFixed(0);
  process.stderr.write(
    `run ${r + 1}/${runs}: psql ${ms(psqlRuns)} ms (async commit ${ms(asyncRuns)} ms), verify ${ms(verifyRuns)} ms (ratio ${(verifyRuns.at(-1).ms / psqlRuns.at(-1).ms).toFixed(2)})${peer ? `, peer ${ms(peerRuns)} ms (ratio ${(peerRuns.at(-1).ms / psqlRuns.at(-1).ms).toFixed(2)})` : ""}, one-file PGlite verify ${ms(oneRuns)} ms${peer ? ` (peer ${ms(peerOneRuns)} ms)` : ""}\n`,
  );
}
const psqlTimes = psqlRuns.map((r) => r.ms);
const verifyTimes = verifyRuns.map((r) => r.ms);
const ratios = verifyRuns.map((r, i) => r.ms / (psqlRuns[i]?.ms ?? Number.NaN));
const asyncRatios = verifyRuns.map((r, i) => r.ms / (asyncRuns[i]?.ms ?? Number.NaN));
const peerRatios = peerRuns.map((r, i) => r.ms / (psqlRuns[i]?.ms ?? Number.NaN));
/** Time, CPU and peak memory of a series of runs. */
const sideOf = (series) => ({
  bestMs: best(series.map((r) => r.ms)),
  medianMs: median(series.map((r) => r.ms)),
  medianCpuMs: median(series.map((r) => r.cpuMs)),
  peakRssMiB: Math.max(...series.map((r) => r.rssMiB)),
});
const pgliteVerify = timeVerify(undefined);
const starts = [pgliteStart(true), pgliteStart(true), pgliteStart(false)];
const summary = {
  files,
  statements,
  psql: {
    bestMs: best(psqlTimes),
    medianMs: median(psqlTimes),
    medianCpuMs: median(psqlRuns.map((r) => r.cpuMs)),
  },
  verify: {
    bestMs: best(verifyTimes),
    medianMs: median(verifyTimes),
    medianCpuMs: median(verifyRuns.map((r) => r.cpuMs)),
    peakRssMiB: Math.max(...verifyRuns.map((r) => r.rssMiB)),
  },
  medianPairedRatio: median(ratios),
  psqlAsyncCommit: sideOf(asyncRuns),
  medianPairedRatioAsyncCommit: median(asyncRatios),
  ...(peer
    ? {
        peer: {
          dir: peer,
          verify: sideOf(peerRuns),
          medianPairedRatio: median(peerRatios),
          oneFilePglite: sideOf(peerOneRuns),
        },
      }
    : {}),
  pgliteVerifyMs: pgliteVerify.ms,
  pgliteVerifyPeakRssMiB: pgliteVerify.rssMiB,
  oneFilePglite: {
    medianMs: median(oneRuns.map((r) => r.ms)),
    bestMs: best(oneRuns.map((r) => r.ms)),
    medianCpuMs: median(oneRuns.map((r) => r.cpuMs)),
    peakRssMiB: Math.max(...oneRuns.map((r) => r.rssMiB)),
  },
  pgliteStartMs: { snapshot: Math.min(starts[0].ms, starts[1].ms), initdb: starts[2].ms },
};
if (values.json) {
  console.log(JSON.stringify(summary, null, 2));
  process.exit(0);
}

console.log(`pg-index-lint verify benchmark — ${files} files, ${statements} statements, server ${url.host}`);
const mib = (n) => (Number.isNaN(n) ? "?" : `${n.toFixed(0)} MiB`);
console.log(
  `  psql -f (one process, all files):   best ${best(psqlTimes).toFixed(0)} ms, median ${median(psqlTimes).toFixed(0)} ms (CPU ${summary.psql.medianCpuMs.toFixed(0)} ms)`,
);
console.log(
  `  verify --database-url (whole CLI):  best ${best(verifyTimes).toFixed(0)} ms, median ${median(verifyTimes).toFixed(0)} ms (CPU ${summary.verify.medianCpuMs.toFixed(0)} ms), peak RSS ${mib(summary.verify.peakRssMiB)}`,
);
const ratio = summary.medianPairedRatio;
console.log(
  `  ratio verify/psql: ${ratio.toFixed(2)} (median of the paired runs), ${(best(verifyTimes) / best(psqlTimes)).toFixed(2)} (best) — target ≤ 1.5: ${ratio <= 1.5 ? "met" : "MISSED"}`,
);
console.log(
  `  verify on embedded PGlite (whole CLI, ${files} files): ${pgliteVerify.ms.toFixed(0)} ms, peak RSS ${mib(pgliteVerify.rssMiB)}`,
);
console.log(
  `  psql -f with synchronous_commit=off: median ${summary.psqlAsyncCommit.medianMs.toFixed(0)} ms; ratio verify/that ${summary.medianPairedRatioAsyncCommit.toFixed(2)} (median of the paired runs)`,
);
if (summary.peer) {
  const p = summary.peer;
  console.log(
    `  peer ${p.dir}: verify median ${p.verify.medianMs.toFixed(0)} ms (CPU ${p.verify.medianCpuMs.toFixed(0)} ms), ratio verify/psql ${p.medianPairedRatio.toFixed(2)}; one-file PGlite median ${p.oneFilePglite.medianMs.toFixed(0)} ms (CPU ${p.oneFilePglite.medianCpuMs.toFixed(0)} ms), peak RSS ${mib(p.oneFilePglite.peakRssMiB)}`,
  );
}
const o = summary.oneFilePglite;
console.log(
  `  one-file verify on PGlite (fresh process): median ${o.medianMs.toFixed(0)} ms, best ${o.bestMs.toFixed(0)} ms (CPU ${o.medianCpuMs.toFixed(0)} ms), peak RSS ${mib(o.peakRssMiB)} — target ≤ 2500 ms and ≤ 250 MB: ${o.medianMs <= 2500 && o.peakRssMiB * 1.048576 <= 250 ? "met" : "MISSED"}`,
);
console.log(
  `  PGlite start: ${starts[0].ms.toFixed(0)} / ${starts[1].ms.toFixed(0)} ms from the ${starts[0].from}, ${starts[2].ms.toFixed(0)} ms from ${starts[2].from}`,
);
