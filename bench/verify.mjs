#!/usr/bin/env node
/**
 * bench/verify: what `pg-index-lint verify` costs over applying the same migrations with
 * `psql -f`, on the same PostgreSQL server, in one run; and how fast embedded PGlite starts.
 *
 *   node bench/verify.mjs [--files 300] [--runs 3] [--database-url URL]
 *
 * Both sides apply the same generated files to an empty database: psql as one process with one
 * -f per file (autocommit, stop on the first error), verify as the whole CLI process (check,
 * scratch database, per-statement lock tracing, catalog read-back, comparison, drop).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "300" },
    runs: { type: "string", default: "3" },
    "database-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
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

function psql(database, args) {
  const target = new URL(url);
  target.pathname = `/${database}`;
  return spawnSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", target.toString(), ...args], {
    encoding: "utf8",
  });
}

function timePsql() {
  psql(url.pathname.slice(1), [
    "-c",
    "DROP DATABASE IF EXISTS pil_bench_psql",
    "-c",
    "CREATE DATABASE pil_bench_psql",
  ]);
  const fileArgs = [];
  for (let i = 1; i <= files; i++)
    fileArgs.push("-f", join(dir, "migrations", `${String(i).padStart(4, "0")}_m.sql`));
  const started = performance.now();
  const result = psql("pil_bench_psql", fileArgs);
  const ms = performance.now() - started;
  psql(url.pathname.slice(1), ["-c", "DROP DATABASE IF EXISTS pil_bench_psql"]);
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return ms;
}

function timeVerify(databaseUrl) {
  const started = performance.now();
  const args = ["bin/pg-index-lint.js", "verify", dir, "--format", "json"];
  if (databaseUrl) args.push("--database-url", databaseUrl);
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 });
  const ms = performance.now() - started;
  if (result.status === 2) throw new Error(`verify failed: ${result.stderr}`);
  const report = JSON.parse(result.stdout);
  const applied = report.verify.sets[0].migrations.filter((m) => m.status === "applied").length;
  if (applied !== files) throw new Error(`verify applied ${applied} of ${files} migrations`);
  if (report.verify.sets[0].differences !== 0) throw new Error("the replay and the database differ");
  return ms;
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
const best = (xs) => Math.min(...xs);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const psqlTimes = [];
const verifyTimes = [];
for (let r = 0; r < runs; r++) {
  psqlTimes.push(timePsql());
  verifyTimes.push(timeVerify(url.toString()));
  process.stderr.write(
    `run ${r + 1}/${runs}: psql ${psqlTimes.at(-1).toFixed(0)} ms, verify ${verifyTimes.at(-1).toFixed(0)} ms\n`,
  );
}
const pgliteVerify = timeVerify(undefined);
const starts = [pgliteStart(true), pgliteStart(true), pgliteStart(false)];

console.log(`pg-index-lint verify benchmark — ${files} files, ${statements} statements, server ${url.host}`);
console.log(
  `  psql -f (one process, all files):   best ${best(psqlTimes).toFixed(0)} ms, median ${median(psqlTimes).toFixed(0)} ms`,
);
console.log(
  `  verify --database-url (whole CLI):  best ${best(verifyTimes).toFixed(0)} ms, median ${median(verifyTimes).toFixed(0)} ms`,
);
const ratio = best(verifyTimes) / best(psqlTimes);
console.log(
  `  ratio verify/psql: ${ratio.toFixed(2)} (best), ${(median(verifyTimes) / median(psqlTimes)).toFixed(2)} (median) — target ≤ 1.3: ${ratio <= 1.3 ? "met" : "MISSED"}`,
);
console.log(`  verify on embedded PGlite (whole CLI): ${pgliteVerify.toFixed(0)} ms`);
console.log(
  `  PGlite start: ${starts[0].ms.toFixed(0)} / ${starts[1].ms.toFixed(0)} ms from the ${starts[0].from}, ${starts[2].ms.toFixed(0)} ms from ${starts[2].from} — target ≤ 2000 ms: ${Math.min(starts[0].ms, starts[1].ms) <= 2000 ? "met" : "MISSED"}`,
);
