/**
 * The seed scenario: from the factory service's real queries (examples/factory-service/queries and
 * its made-up pg_stat_statements export), the analysis finds the index review's five needs, and
 * nothing else, ranked by time. The example's migrations build some of those indexes (three of
 * them inside a BEGIN … COMMIT that PostgreSQL rejects), so the catalog without them is the one
 * after migrations 001–003; against the final catalog, the indexes that do exist drop their
 * candidates.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type CheckResult, check } from "../../src/check.js";
import { analyzeWorkload, type WorkloadAnalysis } from "../../src/queries/analyze.js";
import type { QuerySource } from "../../src/queries/model.js";
import { loadQueryFiles } from "../../src/queries/query-files.js";
import { readStatStatements } from "../../src/queries/stat-statements.js";
import { readStatsExport, TableStats } from "../../src/queries/table-stats.js";
import { parseRequirement } from "../../src/rules/coverage.js";
import { Catalog } from "../../src/schema/catalog.js";
import { applyStatement } from "../../src/schema/replay.js";

const EXAMPLE = "examples/factory-service";

const FIVE = [
  { table: "api_keys", columns: ["key_hash"] },
  { table: "api_keys", columns: ["factory_id"], where: "revoked_at IS NULL" },
  { table: "api_keys", columns: ["factory_id", "created_at DESC"] },
  { table: "batches", columns: ["product_id"] },
  { table: "products", columns: ["sku"] },
];

const shape = (a: WorkloadAnalysis) =>
  a.candidates.map((c) => ({ table: c.table, columns: c.columns, ...(c.where ? { where: c.where } : {}) }));

describe("the factory service's queries", () => {
  let result: CheckResult;
  let before: Catalog;
  let exported: QuerySource;
  let files: QuerySource;
  let stats: TableStats;

  beforeAll(async () => {
    result = await check({ paths: [EXAMPLE], keepSyntaxTrees: true });
    const set = result.sets[0];
    if (!set) throw new Error("no migrations");
    before = new Catalog();
    set.migrations.slice(0, 3).forEach((migration, i) => {
      expect(migration.file).toMatch(/00[123]_create_/);
      for (const statement of migration.statements)
        applyStatement(before, statement.node, { migration: i, range: statement.range });
    });
    const csv = join(EXAMPLE, "stats/pg_stat_statements.csv");
    exported = readStatStatements(readFileSync(csv, "utf8"), csv);
    files = loadQueryFiles("queries", EXAMPLE);
    const tables = join(EXAMPLE, "stats/tables.csv");
    stats = new TableStats([readStatsExport(readFileSync(tables, "utf8"), tables)]);
  });

  it("reads the export and the query folder without errors", () => {
    expect(exported.errors).toEqual([]);
    expect(files.errors).toEqual([]);
    expect(exported.queries).toHaveLength(12);
    expect(files.queries.map((q) => q.name)).toEqual([
      "GetApiKeyByHash",
      "ListActiveApiKeys",
      "ListApiKeysByCreation",
      "CreateApiKey",
      "RevokeApiKey",
      "ListBatchesByProduct",
      "CountBatchesSince",
      "UpdateBatchSize",
      "GetProductBySku",
      "GetProduct",
    ]);
  });

  it("finds exactly the index review's five needs, ranked by time, from the export", () => {
    const analysis = analyzeWorkload([exported], { catalog: before, stats });
    expect(shape(analysis)).toEqual(FIVE);
    expect(analysis.belowShare).toEqual([]);
    expect(analysis.candidates.map((c) => c.requiredIndex.why)).toEqual([
      "52,000 calls, 46.8 s total (60% of the export)",
      "8,400 calls, 14.3 s total (18% of the export)",
      "3,100 calls, 6.8 s total (9% of the export)",
      "240 calls, 4.4 s total (6% of the export)",
      "410 calls, 1.3 s total (2% of the export)",
    ]);
    expect(analysis.candidates.map((c) => c.createIndex)).toEqual([
      "CREATE INDEX CONCURRENTLY idx_api_keys_key_hash ON api_keys (key_hash);",
      "CREATE INDEX CONCURRENTLY idx_api_keys_factory_id ON api_keys (factory_id) WHERE revoked_at IS NULL;",
      "CREATE INDEX CONCURRENTLY idx_api_keys_factory_id_created_at ON api_keys (factory_id, created_at DESC);",
      "CREATE INDEX CONCURRENTLY idx_batches_product_id ON batches (product_id);",
      "CREATE INDEX CONCURRENTLY idx_products_sku ON products (sku);",
    ]);
    // The rest of the export: already served by a primary key or an existing index, or no query.
    expect(analysis.covered.map((c) => [c.table, c.columns, c.index])).toEqual([
      ["products", ["id"], "products_pkey"],
      ["batches", ["id"], "batches_pkey"],
      ["batches", ["created_at"], "batches_created_at_idx"],
    ]);
    expect(analysis.scans.filter((s) => s.outcome === "system").map((s) => s.table)).toEqual(["pg_class"]);
    expect(analysis.summary.skipped).toEqual({ "below-threshold": 2, "not-a-query": 1 });
  });

  it("finds the same five from the sqlc query folder alone, in file order", () => {
    const analysis = analyzeWorkload([files], { catalog: before, stats });
    expect(shape(analysis)).toEqual(FIVE);
    expect(analysis.candidates.map((c) => c.requiredIndex.why)).toEqual([
      "used by GetApiKeyByHash",
      "used by ListActiveApiKeys",
      "used by ListApiKeysByCreation",
      "used by ListBatchesByProduct",
      "used by GetProductBySku",
    ]);
    expect(analysis.candidates[0]?.queries[0]?.range).toEqual({
      file: `${EXAMPLE}/queries/api_keys.sql`,
      line: 6,
      column: 1,
      endLine: 8,
      endColumn: 36,
    });
  });

  it("joins the export's figures to the sqlc names when both are given", () => {
    const analysis = analyzeWorkload([exported, files], { catalog: before, stats });
    expect(shape(analysis)).toEqual(FIVE);
    expect(analysis.candidates[0]?.requiredIndex.why).toBe(
      "52,000 calls, 46.8 s total (60% of the export); used by GetApiKeyByHash",
    );
  });

  it("suggests entries that match the example config's required-indexes (SKU aside)", () => {
    const analysis = analyzeWorkload([exported], { catalog: before, stats });
    const label = (r: ReturnType<typeof parseRequirement>) =>
      `${r.table} (${r.keys.map((k) => `${k.column}${k.desc ? " DESC" : ""}`).join(", ")})${r.where ? ` WHERE ${r.where}` : ""}`;
    const suggested = analysis.candidates.map((c) =>
      label(parseRequirement({ ...c.requiredIndex, line: 1 }, null)),
    );
    const configured = result.requirements.map(label);
    expect(suggested.slice(0, 4)).toEqual(configured.slice(0, 4));
    // The config asks for `WHERE sku IS NOT NULL`; the query `sku = $1` implies it, and a full
    // index serves it as well, so the analysis does not invent the predicate.
    expect(configured[4]).toBe("products (sku) WHERE sku IS NOT NULL");
    expect(suggested[4]).toBe("products (sku)");
  });

  it("against the final schema, drops what the migrations really build and keeps what PostgreSQL rejects", () => {
    const final = result.sets[0]?.catalog;
    const analysis = analyzeWorkload([exported, files], { catalog: final, stats });
    expect(shape(analysis)).toEqual([
      { table: "api_keys", columns: ["key_hash"] },
      { table: "batches", columns: ["product_id"] },
    ]);
    expect(analysis.candidates.map((c) => c.reason)).toEqual([
      'equality on key_hash; "idx_api_keys_key_hash" does not count: PostgreSQL rejects the statement that builds it (examples/factory-service/migrations/004_add_database_indexes.sql:4)',
      'equality on product_id; "idx_batches_product_id" does not count: PostgreSQL rejects the statement that builds it (examples/factory-service/migrations/004_add_database_indexes.sql:6)',
    ]);
    // A rejected index never exists, so the suggestion may take its name.
    expect(analysis.candidates.map((c) => c.name)).toEqual([
      "idx_api_keys_key_hash",
      "idx_batches_product_id",
    ]);
    const covered = analysis.covered.filter((c) => c.index.startsWith("idx_"));
    expect(covered.map((c) => [c.table, c.columns, c.where ?? null, c.index])).toEqual([
      ["api_keys", ["factory_id"], "revoked_at IS NULL", "idx_api_keys_factory_created"],
      ["api_keys", ["factory_id", "created_at DESC"], null, "idx_api_keys_factory_created"],
      ["products", ["sku"], null, "idx_products_sku"],
    ]);
  });
});
