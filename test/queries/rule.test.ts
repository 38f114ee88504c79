/**
 * query-needs-index in the product: the config's `queries:`, `table-stats:` and `query-analysis:`
 * keys, the rule's findings on the final catalog (located at the query, ranked by time, with the
 * index as a new migration), and lock findings weighed by the exported table sizes.
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { type CheckResult, check } from "../../src/check.js";
import { parseConfig } from "../../src/config/load.js";
import type { Finding } from "../../src/finding.js";
import { applyEdits, fixEdits } from "../../src/fix/apply.js";
import { displayPath } from "../../src/paths.js";
import { checkRepo, scratchDir, writeRepo } from "../harness.js";

const EXAMPLE = "examples/factory-service";
const VARIANT = `${EXAMPLE}/queries.pg-index-lint.yml`;
const EXPORT = `${EXAMPLE}/stats/pg_stat_statements.csv`;

const of = (result: CheckResult, rule = "query-needs-index") =>
  result.findings.filter((f) => f.rule === rule);
const place = (f: Finding) => `${f.file}:${f.line}`;

describe("query-needs-index on the factory service, without required-indexes", () => {
  it("reports exactly the review's five index needs, ranked by time, at the export's rows", async () => {
    const result = await check({ paths: [EXAMPLE], config: VARIANT });
    expect(result.requirements).toEqual([]);
    const found = of(result);
    expect(found.map((f) => [place(f), f.table, f.columns])).toEqual([
      [`${EXPORT}:2`, "api_keys", ["key_hash"]],
      [`${EXPORT}:6`, "api_keys", ["factory_id"]],
      [`${EXPORT}:11`, "api_keys", ["factory_id", "created_at DESC"]],
      [`${EXPORT}:16`, "batches", ["product_id"]],
      [`${EXPORT}:19`, "products", ["sku"]],
    ]);
    expect(found.map((f) => /rank (\d) of 5 by execution time/.exec(f.message)?.[1])).toEqual([
      "1",
      "2",
      "3",
      "4",
      "5",
    ]);
    expect(found[0]?.message).toBe(
      `No index on api_keys serves query GetApiKeyByHash (${EXPORT}:2): it needs (key_hash); equality on key_hash. 52,000 calls, 46.8 s total (60% of the export); used by GetApiKeyByHash; rank 1 of 5 by execution time.`,
    );
    // The statements, in the runner's words (psql -f: a migration with the statement).
    expect(found.map((f) => /Add a migration with: (.*?;)/.exec(f.help)?.[1])).toEqual([
      "CREATE INDEX CONCURRENTLY idx_api_keys_key_hash ON api_keys (key_hash);",
      "CREATE INDEX CONCURRENTLY idx_api_keys_factory_id ON api_keys (factory_id) WHERE revoked_at IS NULL;",
      "CREATE INDEX CONCURRENTLY idx_api_keys_factory_id_created_at ON api_keys (factory_id, created_at DESC);",
      "CREATE INDEX CONCURRENTLY idx_batches_product_id ON batches (product_id);",
      "CREATE INDEX CONCURRENTLY idx_products_sku ON products (sku);",
    ]);
    expect(found[1]?.help).toContain(
      '{"table":"api_keys","columns":["factory_id"],"where":"revoked_at IS NULL","why":"8,400 calls, 14.3 s total (18% of the export); used by ListActiveApiKeys"}',
    );
    // The foreign key batches.product_id asks for the same index: one need, reported once, by the
    // query's finding, which names the other.
    expect(result.findings.filter((f) => f.rule !== "query-needs-index")).toEqual([]);
    expect(found[3]?.message).toMatch(
      /The same index also answers unindexed-foreign-key at .*003_create_batches\.sql:3\.$/,
    );
  });

  it("gives each need a new migration as its fix; with them applied, nothing is left to report", async () => {
    const root = scratchDir();
    cpSync(EXAMPLE, root, { recursive: true });
    const config = join(root, "queries.pg-index-lint.yml");
    const before = await check({ paths: [root], config });
    const found = of(before);
    expect(found).toHaveLength(5);
    const edits = found.flatMap(fixEdits);
    const created = edits.filter((e) => e.create);
    expect(created.map((e) => relative(root, e.file))).toEqual([
      "migrations/004_idx_api_keys_key_hash.sql",
      "migrations/004_idx_api_keys_factory_id.sql",
      "migrations/004_idx_api_keys_factory_id_created_at.sql",
      "migrations/004_idx_batches_product_id.sql",
      "migrations/004_idx_products_sku.sql",
    ]);
    expect(created[1]?.text).toBe(
      "-- 8,400 calls, 14.3 s total (18% of the export); used by ListActiveApiKeys\nCREATE INDEX CONCURRENTLY idx_api_keys_factory_id ON api_keys (factory_id) WHERE revoked_at IS NULL;\n",
    );
    const applied = applyEdits(edits, (file) => (existsSync(file) ? readFileSync(file, "utf8") : null));
    if (!applied.ok) throw new Error(applied.reason);
    for (const [file, text] of applied.files) writeFileSync(file, text);
    const after = await check({ paths: [root], config });
    expect(after.findings.map((f) => `${f.rule} ${f.file}:${f.line}`)).toEqual([]);
    expect(displayPath(config)).toMatch(/queries\.pg-index-lint\.yml$/);
  });

  it("against the whole history, reports only what PostgreSQL rejects in migration 004", async () => {
    const root = scratchDir();
    cpSync(EXAMPLE, root, { recursive: true });
    const text = readFileSync(join(root, "queries.pg-index-lint.yml"), "utf8").replace(
      /ignore:[\s\S]*?\n\n/,
      "",
    );
    writeFileSync(join(root, "queries.pg-index-lint.yml"), text);
    const result = await check({ paths: [root], config: join(root, "queries.pg-index-lint.yml") });
    expect(of(result).map((f) => [f.table, f.columns, f.line])).toEqual([
      ["api_keys", ["key_hash"], 2],
      ["batches", ["product_id"], 16],
    ]);
    expect(of(result)[0]?.message).toContain(
      '"idx_api_keys_key_hash" does not count: PostgreSQL rejects the statement that builds it',
    );
  });
});

const SCHEMA = `CREATE TABLE api_keys (id bigint PRIMARY KEY, key_hash text NOT NULL, factory_id bigint NOT NULL, created_at timestamptz, revoked_at timestamptz);`;

describe("query-needs-index on small repositories", () => {
  it("reports nothing when an existing index covers the query", async () => {
    const result = await checkRepo({
      files: {
        "001_api_keys.sql": `${SCHEMA}\nCREATE INDEX api_keys_factory ON api_keys (factory_id, created_at DESC) WHERE revoked_at IS NULL;\n`,
        "../queries/app.sql":
          "-- name: Active :many\nSELECT id FROM api_keys WHERE factory_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 20;\n",
      },
      config: { queries: [{ path: "queries" }] },
    });
    expect(of(result)).toEqual([]);
  });

  it("locates a partial, descending candidate at the query file's line", async () => {
    const result = await checkRepo({
      files: {
        "001_api_keys.sql": `${SCHEMA}\n`,
        "../queries/app.sql":
          "-- The admin panel.\n\n-- name: Active :many\nSELECT id FROM api_keys\nWHERE factory_id = @factory_id AND revoked_at IS NULL\nORDER BY created_at DESC LIMIT 20;\n",
      },
      config: { queries: [{ path: "queries", format: "sql" }] },
    });
    const found = of(result);
    expect(
      found.map((f) => [f.file.replace(/.*\/queries\//, "queries/"), f.line, f.endLine, f.columns]),
    ).toEqual([["queries/app.sql", 4, 6, ["factory_id", "created_at DESC"]]]);
    expect(found[0]?.help).toContain(
      "CREATE INDEX CONCURRENTLY idx_api_keys_factory_id_created_at ON api_keys (factory_id, created_at DESC) WHERE revoked_at IS NULL;",
    );
    // Query files carry no figures: no rank by time.
    expect(found[0]?.message).not.toMatch(/rank/);
  });

  it("reports a bad export row, a cut text and a query on a missing table where they are, and skips excluded tables", async () => {
    const csv = [
      "query,calls,total_exec_time",
      '"SELECT id FROM api_keys WHERE key_hash = $1",500,900',
      '"SELECT id FROM api_keys WHERE factory_id = $1",many,900',
      '"SELECT id FROM ghosts WHERE name = $1",500,100',
      '"SELECT id FROM api_keys WHERE factory_id = $1 AND (",500,100',
    ].join("\n");
    const result = await checkRepo({
      files: { "001_api_keys.sql": `${SCHEMA}\n`, "../stats/statements.csv": `${csv}\n` },
      config: { queries: [{ path: "stats/statements.csv" }] },
    });
    const found = of(result).map((f) => [f.line, f.message]);
    expect(found).toEqual([
      [
        2,
        expect.stringMatching(
          /^No index on api_keys serves the query at .*statements\.csv:2: it needs \(key_hash\)/,
        ),
      ],
      [3, expect.stringMatching(/calls/)],
      [4, 'This query reads table "ghosts", which the migrations do not create, so it was not analysed.'],
      [5, expect.stringMatching(/^This query was not analysed: the text ends mid-statement/)],
    ]);

    const excluded = await checkRepo({
      files: { "001_api_keys.sql": `${SCHEMA}\n`, "../stats/statements.csv": `${csv}\n` },
      config: { queries: [{ path: "stats/statements.csv" }], "query-analysis": { exclude: ["api_keys"] } },
    });
    expect(of(excluded).map((f) => f.line)).toEqual([3, 4, 5]);
  });
});

describe("the query config keys", () => {
  const errorOf = (text: string) => {
    try {
      parseConfig(text, "/repo/.pg-index-lint.yml");
    } catch (error) {
      return (error as { format(): string }).format();
    }
    return "";
  };

  it("load, and mistakes in them are located with a suggestion", () => {
    const config = parseConfig(
      "queries:\n  - path: stats/pg_stat_statements.csv\n  - { path: queries, format: sql }\ntable-stats: [stats/tables.csv]\nquery-analysis: { min-calls: 5, exclude: [audit_log] }\n",
      "/repo/.pg-index-lint.yml",
    );
    expect(config.data.queries).toEqual([
      { path: "stats/pg_stat_statements.csv" },
      { path: "queries", format: "sql" },
    ]);
    expect(config.data["query-analysis"]).toEqual({ "min-calls": 5, exclude: ["audit_log"] });
    expect(errorOf("migrations: []\nquerys: []\n")).toMatch(
      /:2: unknown key "querys" \(did you mean "queries"\?\)/,
    );
    expect(errorOf("queries:\n  - path: q\n    format: pg_stat_statement\n")).toMatch(
      /:3: queries\[0\]\.format: must be one of .* \(did you mean "pg_stat_statements"\?\)/,
    );
    expect(errorOf("query-analysis:\n  min-call: 3\n")).toMatch(
      /:2: query-analysis: unknown key "min-call" \(did you mean "min-calls"\?\)/,
    );
  });

  it("name a missing file at its line", async () => {
    const root = writeRepo({
      files: { "001_api_keys.sql": `${SCHEMA}\n` },
      config: { queries: [{ path: "stats/none.csv" }] },
    });
    await expect(check({ paths: [root] })).rejects.toThrow('"stats/none.csv" does not exist');
    await expect(check({ paths: [root] })).rejects.toMatchObject({
      where: expect.stringMatching(/\.pg-index-lint\.yml:5$/),
    });
  });
});

describe("lock findings weighed by the table statistics", () => {
  const history = {
    "001_api_keys.sql": `${SCHEMA}\n`,
    "002_index.sql": "CREATE INDEX idx_api_keys_key_hash ON api_keys (key_hash);\n",
  };
  const lock = (result: CheckResult) => of(result, "require-concurrent-index-creation");

  it("is a note (a warning) on a small table", async () => {
    const result = await checkRepo({
      files: { ...history, "../stats/tables.csv": "relname,reltuples,relpages\napi_keys,300,3\n" },
      config: { "table-stats": "stats/tables.csv" },
    });
    expect(lock(result).map((f) => [f.severity, f.line])).toEqual([["warning", 1]]);
    expect(lock(result)[0]?.message).toMatch(
      /Note: api_keys has about 300 rows \(table statistics, .*stats\/tables\.csv:2\), under 100,000, so the lock is held briefly\.$/,
    );
  });

  it("is an error with a build-time estimate on a large table", async () => {
    const result = await checkRepo({
      files: {
        ...history,
        "../stats/tables.csv": "relname,reltuples,relpages\napi_keys,50000000,625000\n",
      },
      config: { "table-stats": "stats/tables.csv" },
    });
    expect(lock(result).map((f) => [f.severity, f.line])).toEqual([["error", 1]]);
    // 625,000 pages × 8 kB at 200 MB/s ≈ 25.6 s, plus 50 M rows × 1 µs = 50 s: 75.6 s ≈ 1.3 min.
    expect(lock(result)[0]?.message).toMatch(
      /api_keys has about 50,000,000 rows \(table statistics, .*stats\/tables\.csv:2\): the build takes roughly 1\.3 min .* blocks the table's writes for all of it\.$/,
    );
  });

  it("keeps a severity the config sets, and the rule's default without statistics", async () => {
    const big = "relname,reltuples,relpages\napi_keys,50000000,625000\n";
    const configured = await checkRepo({
      files: { ...history, "../stats/tables.csv": big },
      config: {
        "table-stats": "stats/tables.csv",
        rules: { "require-concurrent-index-creation": "warning" },
      },
    });
    expect(lock(configured).map((f) => f.severity)).toEqual(["warning"]);
    expect(lock(configured)[0]?.message).not.toMatch(/table statistics/);
    const plain = await checkRepo({ files: history });
    expect(lock(plain).map((f) => [f.severity, f.message.includes("rows")])).toEqual([["error", false]]);
  });
});
