/**
 * The workload analysis end to end on small inputs: ranking, thresholds, merging, table sizes,
 * selectivity, and the suggestion each candidate carries (names, quoting, CREATE INDEX, a
 * required-indexes entry that the lint's own coverage check accepts once the index exists).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initSqlParser } from "../../src/parse/sql.js";
import { analyzeWorkload } from "../../src/queries/analyze.js";
import { readStatStatements } from "../../src/queries/stat-statements.js";
import { clipBytes } from "../../src/queries/suggestion.js";
import { readStatsExport, TableStats } from "../../src/queries/table-stats.js";
import { coversRequirement, parseRequirement } from "../../src/rules/coverage.js";
import { catalogFrom, querySource, SCHEMA } from "./support.js";

const HEADER = "queryid,query,calls,total_exec_time,mean_exec_time\n";
const exportOf = (rows: [string, number, number][], file = "pgss.csv") =>
  readStatStatements(
    HEADER + rows.map(([q, calls, total], i) => `${i},"${q}",${calls},${total},${total / calls}`).join("\n"),
    file,
  );

describe("analyzeWorkload", () => {
  beforeAll(async () => {
    await initSqlParser();
  });

  it("ranks candidates by their queries' share of the export's time, with the figures in why", () => {
    const source = exportOf([
      ["SELECT id FROM batches WHERE product_id = $1", 240, 4440],
      ["SELECT id FROM api_keys WHERE key_hash = $1", 52000, 46800],
      ["BEGIN", 61200, 306],
      ["SELECT id FROM api_keys WHERE key_hash = $1 FOR UPDATE", 1000, 900],
    ]);
    const analysis = analyzeWorkload([source], { catalog: catalogFrom(SCHEMA) });
    expect(analysis.summary.totalMs).toBe(52446);
    expect(
      analysis.candidates.map((c) => ({
        table: c.table,
        columns: c.columns,
        calls: c.calls,
        totalMs: c.totalMs,
        share: Number(c.share?.toFixed(4)),
        why: c.requiredIndex.why,
        queries: c.queries.map((q) => [q.range.line, q.calls, q.totalMs, q.meanMs]),
      })),
    ).toEqual([
      {
        table: "api_keys",
        columns: ["key_hash"],
        calls: 53000,
        totalMs: 47700,
        share: 0.9095,
        why: "53,000 calls, 47.7 s total (91% of the export)",
        queries: [
          [3, 52000, 46800, 0.9],
          [5, 1000, 900, 0.9],
        ],
      },
      {
        table: "batches",
        columns: ["product_id"],
        calls: 240,
        totalMs: 4440,
        share: 0.0847,
        why: "240 calls, 4.4 s total (8% of the export)",
        queries: [[2, 240, 4440, 18.5]],
      },
    ]);
    const top = analysis.candidates[0];
    expect(top?.requiredIndex).toEqual({
      table: "api_keys",
      columns: ["key_hash"],
      query: "SELECT id FROM api_keys WHERE key_hash = $1",
      why: "53,000 calls, 47.7 s total (91% of the export)",
    });
    expect(top?.createIndex).toBe("CREATE INDEX CONCURRENTLY idx_api_keys_key_hash ON api_keys (key_hash);");
    expect(top?.unique).toBe(false);
  });

  it("ranks query-file candidates after the export's, in file order, and names their queries in why", () => {
    const files = querySource(
      "-- name: ByCategory :many\nSELECT id FROM products WHERE category = @c;\n-- name: BySku :one\nSELECT id FROM products WHERE sku = @sku;\n",
    );
    const source = exportOf([["SELECT id FROM batches WHERE status = $1", 20, 40]]);
    const analysis = analyzeWorkload([files, source], { catalog: catalogFrom(SCHEMA) });
    expect(
      analysis.candidates.map((c) => [c.table, c.columns, c.share, c.totalMs, c.requiredIndex.why]),
    ).toEqual([
      ["batches", ["status"], 1, 40, "20 calls, 40 ms total (100% of the export)"],
      ["products", ["category"], null, null, "used by ByCategory"],
      ["products", ["sku"], null, null, "used by BySku"],
    ]);
  });

  it("skips statements under the calls and mean-time thresholds, and lists low-share candidates apart", () => {
    const source = exportOf([
      ["SELECT id FROM api_keys WHERE key_hash = $1", 10000, 9000],
      ["SELECT id FROM api_keys WHERE email = $1", 5, 50],
      ["SELECT id FROM batches WHERE status = $1", 100000, 5000],
      ["SELECT id FROM products WHERE category = $1", 50, 5],
    ]);
    const analysis = analyzeWorkload([source], { catalog: catalogFrom(SCHEMA) });
    expect(analysis.candidates.map((c) => c.columns)).toEqual([["key_hash"]]);
    // 5 ms of 14,055 ms: 0.04%, under the default 0.1%.
    expect(analysis.belowShare.map((c) => [c.columns, c.requiredIndex.why])).toEqual([
      [["category"], "50 calls, 5.0 ms total (under 0.1% of the export)"],
    ]);
    expect(analysis.skipped.map((s) => [s.range.line, s.kind, s.reason])).toEqual([
      [3, "below-threshold", "5 calls, 10 ms mean: under the thresholds (10 calls, 0.1 ms mean)"],
      [4, "below-threshold", "100,000 calls, 0.05 ms mean: under the thresholds (10 calls, 0.1 ms mean)"],
    ]);
    const low = analyzeWorkload([source], {
      catalog: catalogFrom(SCHEMA),
      thresholds: { minCalls: 1, minMeanMs: 0, minShare: 0.01 },
    });
    expect(low.candidates.map((c) => c.columns)).toEqual([["key_hash"], ["status"]]);
    expect(low.belowShare.map((c) => [c.columns, Number(c.share?.toFixed(5))])).toEqual([
      [["email"], 0.00356],
      [["category"], 0.00036],
    ]);
    expect(low.thresholds).toEqual({ minCalls: 1, minMeanMs: 0, minShare: 0.01, minRows: 1000 });
  });

  it("merges a candidate into a longer one that leads with its key and has the same predicate", () => {
    const source = querySource(
      [
        "SELECT id FROM api_keys WHERE factory_id = $1;",
        "SELECT id FROM api_keys WHERE factory_id = $1 ORDER BY created_at DESC LIMIT 20;",
        "SELECT id FROM api_keys WHERE factory_id = $1 AND revoked_at IS NULL;",
        "SELECT id FROM batches WHERE status = $1 AND product_id = $2;",
        "SELECT id FROM batches WHERE product_id = $1 AND status = $2 AND created_at > $3;",
      ].join("\n"),
    );
    const analysis = analyzeWorkload([source], { catalog: catalogFrom(SCHEMA) });
    expect(
      analysis.candidates.map((c) => [
        c.table,
        c.columns,
        c.where ?? null,
        c.queries.map((q) => q.range.line),
      ]),
    ).toEqual([
      ["api_keys", ["factory_id", "created_at DESC"], null, [1, 2]],
      ["api_keys", ["factory_id"], "revoked_at IS NULL", [3]],
      ["batches", ["product_id", "status", "created_at"], null, [4, 5]],
    ]);
    expect(analysis.candidates[0]?.reason).toMatch(/also serves the queries that need \(factory_id\)/);
    expect(analysis.candidates[2]?.reason).toMatch(
      /also serves the queries that need \(status, product_id\)/,
    );
    // Every scan points at the candidate that serves it after the merge.
    expect(analysis.scans.map((s) => [s.query.range.line, s.outcome, s.candidate])).toEqual([
      [1, "candidate", "idx_api_keys_factory_id_created_at"],
      [2, "candidate", "idx_api_keys_factory_id_created_at"],
      [3, "candidate", "idx_api_keys_factory_id"],
      [4, "candidate", "idx_batches_product_id_status_created_at"],
      [5, "candidate", "idx_batches_product_id_status_created_at"],
    ]);
  });

  it("gives no candidate on a table the stats export says is small", () => {
    const stats = new TableStats([
      readStatsExport("relname,reltuples,relpages\nfactories,40,1\napi_keys,50000,900\n", "stats/tables.csv"),
    ]);
    const source = querySource(
      "SELECT id FROM factories WHERE region = $1;\nSELECT id FROM api_keys WHERE email = $1;",
    );
    const analysis = analyzeWorkload([source], { catalog: catalogFrom(SCHEMA), stats });
    expect(analysis.candidates.map((c) => [c.table, c.columns])).toEqual([["api_keys", ["email"]]]);
    expect(analysis.scans.filter((s) => s.outcome === "small-table").map((s) => s.reason)).toEqual([
      "factories has about 40 rows (stats/tables.csv:2), under 1,000: a sequential scan reads it as fast as an index would",
    ]);
  });

  it("orders equality columns by selectivity when pg_stats is given, else keeps query order", () => {
    const sql = "SELECT id FROM api_keys WHERE status = $1 AND factory_id = $2 AND email = $3";
    const catalog = catalogFrom(SCHEMA);
    expect(analyzeWorkload([querySource(sql)], { catalog }).candidates[0]?.columns).toEqual([
      "status",
      "factory_id",
      "email",
    ]);
    const stats = new TableStats([
      readStatsExport("relname,reltuples\napi_keys,100000\n", "t.csv"),
      readStatsExport(
        "tablename,attname,null_frac,n_distinct\napi_keys,status,0,4\napi_keys,factory_id,0,-0.01\n",
        "c.csv",
      ),
    ]);
    // factory_id: 1,000 distinct values beats status's 4; email has no statistics and goes last.
    expect(analyzeWorkload([querySource(sql)], { catalog, stats }).candidates[0]?.columns).toEqual([
      "factory_id",
      "status",
      "email",
    ]);
  });

  it("keeps the covered candidates with the index that serves them, and says why a near miss does not count", () => {
    const catalog = catalogFrom(`${SCHEMA}
      CREATE INDEX api_keys_factory_hash ON api_keys USING hash (factory_id);
      CREATE INDEX api_keys_email_created ON api_keys (email, created_at DESC);`);
    const source = querySource(
      [
        "SELECT id FROM api_keys WHERE factory_id = $1;",
        "SELECT id FROM api_keys WHERE email = $1 ORDER BY created_at LIMIT 5;",
        "SELECT id FROM api_keys WHERE factory_id = $1 ORDER BY created_at LIMIT 5;",
      ].join("\n"),
    );
    const analysis = analyzeWorkload([source], { catalog });
    expect(analysis.covered.map((c) => [c.columns, c.index, c.queries.map((q) => q.range.line)])).toEqual([
      [["factory_id"], "api_keys_factory_hash", [1]],
      [["email", "created_at"], "api_keys_email_created", [2]],
    ]);
    expect(analysis.candidates.map((c) => [c.columns, c.reason])).toEqual([
      [
        ["factory_id", "created_at"],
        'equality on factory_id; then created_at for the ORDER BY … LIMIT: rows come in index order and the scan stops at the limit; "api_keys_factory_hash" does not count: a hash index cannot serve it',
      ],
    ]);
  });
});

describe("suggestions: names, quoting and the required-indexes entry", () => {
  beforeAll(async () => {
    await initSqlParser();
  });

  const schema = `
    CREATE SCHEMA billing;
    CREATE TABLE billing."Invoices" (id bigint PRIMARY KEY, "customerId" bigint, "order" int, status text, "Due" date);
    CREATE TABLE "user" (id bigint PRIMARY KEY, email text, created_at timestamptz, deleted_at timestamptz);
    CREATE TABLE таблица_с_очень_длинным_именем (id bigint PRIMARY KEY, колонка_номер_один int, колонка_номер_два int);
    CREATE INDEX idx_user_email ON "user" (created_at);
  `;

  it("quotes mixed-case, keyword and schema-qualified names in the entry and the statement", () => {
    const analysis = analyzeWorkload(
      [
        querySource(
          'SELECT id FROM billing."Invoices" WHERE "customerId" = $1 AND "order" > $2 AND status = \'open\'',
        ),
      ],
      { catalog: catalogFrom(schema) },
    );
    const c = analysis.candidates[0];
    expect(c && { table: c.table, schema: c.schema, columns: c.columns, where: c.where }).toEqual({
      table: "Invoices",
      schema: "billing",
      columns: ['"customerId"', '"order"'],
      where: "status = 'open'",
    });
    expect(c?.requiredIndex.table).toBe('billing."Invoices"');
    expect(c?.createIndex).toBe(
      'CREATE INDEX CONCURRENTLY "idx_Invoices_customerId_order" ON billing."Invoices" ("customerId", "order") WHERE status = \'open\';',
    );
  });

  it("numbers a name an existing index already takes, but reuses one whose statement PostgreSQL rejects", () => {
    const taken = analyzeWorkload([querySource('SELECT id FROM "user" WHERE email = $1')], {
      catalog: catalogFrom(schema),
    });
    expect(taken.candidates[0]?.createIndex).toBe(
      'CREATE INDEX CONCURRENTLY idx_user_email1 ON "user" (email);',
    );
    const rejected = catalogFrom("CREATE TABLE t (id int PRIMARY KEY, a int);");
    // A CONCURRENTLY build inside a transaction block is kept in the catalog, marked rejected.
    const table = rejected.resolveTable(undefined, "t");
    if (!table) throw new Error("no table");
    rejected.addIndex(table, {
      name: "idx_t_a",
      schema: "public",
      table: "public.t",
      method: "btree",
      keys: [{ column: "a", desc: false, nullsFirst: false }],
      include: [],
      predicate: null,
      unique: false,
      primary: false,
      valid: false,
      rejected: true,
      source: { file: "m.sql", line: 3, column: 1, endLine: 3, endColumn: 40 },
      migration: 0,
    });
    const reused = analyzeWorkload([querySource("SELECT id FROM t WHERE a = $1")], { catalog: rejected });
    expect(reused.candidates[0]?.name).toBe("idx_t_a");
    expect(reused.candidates[0]?.reason).toBe(
      'equality on a; "idx_t_a" does not count: PostgreSQL rejects the statement that builds it (m.sql:3)',
    );
  });

  it("keeps generated names within 63 bytes without splitting a character, and distinct", () => {
    const analysis = analyzeWorkload(
      [
        querySource(
          "SELECT id FROM таблица_с_очень_длинным_именем WHERE колонка_номер_один = $1 AND колонка_номер_два = $2;\nSELECT id FROM таблица_с_очень_длинным_именем WHERE колонка_номер_один = $1 AND колонка_номер_два = $2 AND id IS NOT NULL;",
        ),
      ],
      { catalog: catalogFrom(schema) },
    );
    const names = analysis.candidates.map((c) => c.name);
    expect(names).toHaveLength(2);
    expect(new Set(names).size).toBe(2);
    for (const name of names) {
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
      expect(name).not.toContain("\uFFFD");
    }
    expect(names[1]?.endsWith("1")).toBe(true);
    expect(clipBytes("ab€", 4)).toBe("ab");
    expect(clipBytes("ab€", 5)).toBe("ab€");
  });

  const roundTrips = [
    'SELECT id FROM billing."Invoices" WHERE "customerId" = $1 ORDER BY "Due" DESC NULLS LAST LIMIT 10',
    'SELECT id FROM "user" WHERE lower(email) = $1 AND deleted_at IS NULL',
    'SELECT id FROM billing."Invoices" WHERE ("customerId" + 1) = $1 AND status = \'open\'',
    "SELECT id FROM api_keys WHERE factory_id = $1 AND created_at BETWEEN $2 AND $3 AND active",
    'SELECT id FROM billing."Invoices" WHERE "order" = ANY($1) AND "Due" IS NULL ORDER BY "customerId" LIMIT 3',
  ];
  for (const sql of roundTrips) {
    it(`round-trips the suggestion of: ${sql}`, () => {
      const base = `${schema}\n${SCHEMA}`;
      const analysis = analyzeWorkload([querySource(sql)], { catalog: catalogFrom(base) });
      expect(analysis.candidates).toHaveLength(1);
      const c = analysis.candidates[0];
      if (!c) return;
      // The entry parses as a config requirement the lint understands…
      const requirement = parseRequirement({ ...c.requiredIndex, line: 1 }, ".pg-index-lint.yml");
      // …and once the suggested statement has run, the lint's coverage check accepts the index,
      // and the analysis finds the query covered.
      const after = catalogFrom(`${base}\n${c.createIndex}`);
      const table = after.resolveTable(requirement.schema, requirement.table);
      const index = table?.indexes.get(c.name);
      expect(index).toBeDefined();
      if (index) expect(coversRequirement(index, requirement)).toEqual({ covers: true });
      const again = analyzeWorkload([querySource(sql)], { catalog: after });
      expect(again.candidates).toEqual([]);
      expect(again.covered.map((x) => x.index)).toEqual([c.name]);
    });
  }
});
