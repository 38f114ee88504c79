#!/usr/bin/env node
/**
 * Time of the query analysis (src/queries) on a generated pg_stat_statements export: CSV reading,
 * parsing, per-table scans, candidates, coverage against a replayed schema, merging and ranking.
 * Run `npm run build` first: it imports the compiled modules from build/.
 *
 *   node bench/queries.mjs [--queries N] [--tables T] [--seed S] [--runs R] [--json]
 *
 * Target: 10,000 distinct queries in under 2 s.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BUILD = join(ROOT, "build");
const TARGET_MS = 2000;

const { values: opts } = parseArgs({
  options: {
    queries: { type: "string", default: "10000" },
    tables: { type: "string", default: "60" },
    seed: { type: "string", default: "1" },
    runs: { type: "string", default: "3" },
    json: { type: "boolean", default: false },
  },
});
const QUERIES = Number.parseInt(opts.queries, 10);
const TABLES = Number.parseInt(opts.tables, 10);
const RUNS = Number.parseInt(opts.runs, 10);

if (!existsSync(join(BUILD, "queries", "index.js"))) {
  console.error("build/queries/index.js is missing: run `npm run build` first.");
  process.exit(2);
}
const load = (path) => import(pathToFileURL(join(BUILD, path)).href);
const { initSqlParser, parseSql } = await load("parse/sql.js");
const { Catalog } = await load("schema/catalog.js");
const { applyStatement } = await load("schema/replay.js");
const { analyzeWorkload, readStatStatements, readStatsExport, TableStats } = await load("queries/index.js");
const { queryFindings } = await load("queries/findings.js");
const { SQL_MIGRATION_WORDS } = await load("schema/change.js");

/** A small deterministic generator (mulberry32), so that every run sees the same workload. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(Number.parseInt(opts.seed, 10));
const pick = (list) => list[Math.floor(random() * list.length)];

const COLUMNS = 14;
const tables = Array.from({ length: TABLES }, (_, t) => ({
  name: `t${t}_${pick(["orders", "items", "users", "events", "keys", "batches", "invoices"])}`,
  columns: Array.from({ length: COLUMNS }, (_, c) => `c${c}`),
}));

function schemaSql() {
  const lines = [];
  for (const [i, table] of tables.entries()) {
    const columns = table.columns.map(
      (c, k) => `${c} ${k % 3 === 0 ? "bigint" : k % 3 === 1 ? "text" : "timestamptz"}`,
    );
    lines.push(
      `CREATE TABLE ${table.name} (id bigint PRIMARY KEY, parent_id bigint, flag boolean, deleted_at timestamptz, ${columns.join(", ")});`,
    );
    // Some existing indexes, so that coverage has work to do (and some partial ones).
    lines.push(`CREATE INDEX ${table.name}_c1 ON ${table.name} (c1);`);
    if (i % 2 === 0) lines.push(`CREATE INDEX ${table.name}_c2_c3 ON ${table.name} (c2, c3 DESC);`);
    if (i % 3 === 0)
      lines.push(`CREATE INDEX ${table.name}_c4_live ON ${table.name} (c4) WHERE deleted_at IS NULL;`);
  }
  return lines.join("\n");
}

/** One query of a random shape; the caller keeps only distinct texts. */
function query() {
  const t = pick(tables);
  const u = pick(tables);
  const c = () => pick(t.columns);
  const [a, b, d] = [c(), c(), c()];
  switch (Math.floor(random() * 18)) {
    case 0:
      return `SELECT id, ${b} FROM ${t.name} WHERE ${a} = $1`;
    case 1:
      return `SELECT * FROM ${t.name} WHERE ${a} = $1 AND ${b} = $2`;
    case 2:
      return `SELECT id FROM ${t.name} WHERE ${a} IN ($1, $2, $3)`;
    case 3:
      return `SELECT id FROM ${t.name} WHERE ${a} = ANY($1)`;
    case 4:
      return `SELECT id FROM ${t.name} WHERE ${a} = $1 AND ${b} > $2`;
    case 5:
      return `SELECT id FROM ${t.name} WHERE ${a} BETWEEN $1 AND $2`;
    case 6:
      return `SELECT id, ${d} FROM ${t.name} WHERE ${a} = $1 ORDER BY ${b} DESC LIMIT $2`;
    case 7:
      return `SELECT id FROM ${t.name} WHERE ${a} = $1 AND deleted_at IS NULL`;
    case 8:
      return `SELECT x.id FROM ${t.name} x JOIN ${u.name} y ON y.parent_id = x.id WHERE x.${a} = $1`;
    case 9:
      return `SELECT id FROM ${t.name} p WHERE p.${a} = $1 AND EXISTS (SELECT 1 FROM ${u.name} q WHERE q.parent_id = p.id AND q.${b} = $2)`;
    case 10:
      return `WITH r AS (SELECT * FROM ${t.name} WHERE ${a} >= $1) SELECT r.id FROM r JOIN ${u.name} s ON s.id = r.parent_id`;
    case 11:
      return `UPDATE ${t.name} SET ${d} = $1 WHERE ${a} = $2 AND flag`;
    case 12:
      return `DELETE FROM ${t.name} WHERE ${a} = $1 AND ${b} < $2`;
    case 13:
      return `SELECT id FROM ${t.name} WHERE ${a} = $1 FOR UPDATE`;
    case 14:
      return `SELECT id FROM ${t.name} WHERE lower(${a}) = lower($1)`;
    case 15:
      return `SELECT id FROM ${t.name} WHERE ${a} = $1 OR ${b} = $2`;
    case 16:
      return `SELECT id FROM ${t.name} WHERE id = $1 AND ${a} = $2`;
    default:
      return `SELECT count(*) FROM ${t.name} WHERE ${a} IN (SELECT parent_id FROM ${u.name} WHERE ${b} = $1)`;
  }
}

function exportCsv(n) {
  const seen = new Set();
  const rows = ["queryid,query,calls,total_exec_time,mean_exec_time,rows"];
  let guard = 0;
  while (seen.size < n && guard++ < n * 50) {
    const text = query();
    if (seen.has(text)) continue;
    seen.add(text);
    const calls = 10 + Math.floor(random() * 100000);
    const mean = 0.1 + random() * 50;
    rows.push(
      `${seen.size},"${text.replace(/"/g, '""')}",${calls},${(calls * mean).toFixed(3)},${mean.toFixed(4)},${calls}`,
    );
  }
  if (seen.size < n) throw new Error(`only ${seen.size} distinct queries; raise --tables`);
  // A few statements every real export has.
  rows.push("0,BEGIN,500000,250.0,0.0005,0", "0,COMMIT,500000,750.0,0.0015,0");
  return rows.join("\n");
}

function statsCsv() {
  return [
    "schemaname,relname,reltuples,relpages",
    ...tables.map(
      (t, i) =>
        `public,${t.name},${i % 10 === 0 ? 500 : 10000 + i * 1000},${i % 10 === 0 ? 5 : 100 + i * 10}`,
    ),
  ].join("\n");
}

await initSqlParser();
const catalog = new Catalog();
for (const statement of parseSql(schemaSql(), "schema.sql").statements)
  applyStatement(catalog, statement.node, { migration: 0, range: statement.range });
const csv = exportCsv(QUERIES);
const statsText = statsCsv();

const times = [];
let last;
for (let run = 0; run < RUNS; run++) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const source = readStatStatements(csv, "pg_stat_statements.csv");
  const read = performance.now();
  const stats = new TableStats([readStatsExport(statsText, "tables.csv")]);
  const analysis = analyzeWorkload([source], { catalog, stats });
  const end = performance.now();
  const used = process.cpuUsage(cpu);
  times.push({
    total: end - start,
    read: read - start,
    analyze: end - read,
    cpu: (used.user + used.system) / 1000,
  });
  last = analysis;
}
const best = times.reduce((a, b) => (b.total < a.total ? b : a));

// The same export through the rule check runs (query-needs-index): reading, analysis, and a
// finding per candidate with its statement, required-indexes entry and new-migration fix.
const ruleTimes = [];
const ruleCpu = [];
let findings = 0;
for (let run = 0; run < RUNS; run++) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const source = readStatStatements(csv, "pg_stat_statements.csv");
  const stats = new TableStats([readStatsExport(statsText, "tables.csv")]);
  const workload = {
    sources: [source],
    stats,
    statsErrors: [],
    thresholds: {},
    exclude: [],
    lockRows: 100000,
  };
  findings = queryFindings(
    workload,
    catalog,
    () => SQL_MIGRATION_WORDS,
    (c) => `migrations/999_${c.name}.sql`,
  ).length;
  ruleTimes.push(performance.now() - start);
  const used = process.cpuUsage(cpu);
  ruleCpu.push((used.user + used.system) / 1000);
}
const ruleMs = Math.round(Math.min(...ruleTimes));
const ruleCpuMs = Math.round(Math.min(...ruleCpu));
const result = {
  queries: QUERIES,
  tables: TABLES,
  runs: RUNS,
  bestMs: Math.round(best.total),
  readMs: Math.round(best.read),
  analyzeMs: Math.round(best.analyze),
  allMs: times.map((t) => Math.round(t.total)),
  /** CPU time of the best run: less sensitive than wall time to other processes on a busy machine. */
  cpuMs: Math.round(best.cpu),
  loadAverage: os.loadavg()[0],
  queriesPerSecond: Math.round(QUERIES / (best.total / 1000)),
  candidates: last.candidates.length,
  belowShare: last.belowShare.length,
  covered: last.covered.length,
  skipped: last.summary.skipped,
  analyzed: last.summary.analyzed,
  ruleMs,
  ruleCpuMs,
  ruleFindings: findings,
  targetMs: TARGET_MS,
  withinTarget: best.total < TARGET_MS && ruleMs < TARGET_MS,
};
if (opts.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(
    `${QUERIES} distinct queries over ${TABLES} tables: best of ${RUNS} runs ${result.bestMs} ms ` +
      `(read ${result.readMs} ms, analyze ${result.analyzeMs} ms; CPU ${result.cpuMs} ms; runs ${result.allMs.join(", ")} ms), ` +
      `${result.queriesPerSecond} queries/s — target < ${TARGET_MS} ms: ${result.withinTarget ? "met" : "MISSED"} ` +
      `(load average ${result.loadAverage.toFixed(1)})`,
  );
  console.log(
    `${result.analyzed} analyzed, ${result.candidates} candidates (+${result.belowShare} under the share threshold), ` +
      `${result.covered} covered, skipped ${JSON.stringify(result.skipped)}`,
  );
  console.log(
    `through the rule (query-needs-index, as check runs it): best ${ruleMs} ms (CPU ${ruleCpuMs} ms) for ${findings} findings`,
  );
}
process.exitCode = result.withinTarget ? 0 : 1;
