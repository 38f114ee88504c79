import { describe, expect, it } from "vitest";
import { readStatsExport, TableStats } from "../../src/queries/table-stats.js";

describe("readStatsExport", () => {
  it("reads a pg_class export, with or without schemas, located by row", () => {
    const result = readStatsExport(
      "schemaname,relname,reltuples,relpages\npublic,api_keys,12400,232\nbilling,Invoices,-1,0\n",
      "stats/tables.csv",
    );
    expect(result.kind).toBe("tables");
    expect(result.errors).toEqual([]);
    expect(result.tables).toEqual([
      {
        schema: "public",
        table: "api_keys",
        rows: 12400,
        pages: 232,
        range: { file: "stats/tables.csv", line: 2, column: 1, endLine: 2, endColumn: 2 },
      },
      {
        schema: "billing",
        table: "Invoices",
        rows: -1,
        pages: 0,
        range: { file: "stats/tables.csv", line: 3, column: 1, endLine: 3, endColumn: 2 },
      },
    ]);
  });

  it("accepts nspname for the schema, and JSON", () => {
    const result = readStatsExport('[{"nspname": "app", "relname": "t", "reltuples": 5.0}]', "t.json");
    expect(result.tables.map((t) => [t.schema, t.table, t.rows, t.pages])).toEqual([
      ["app", "t", 5, undefined],
    ]);
  });

  it("reads a pg_stats export", () => {
    const result = readStatsExport(
      "schemaname,tablename,attname,null_frac,n_distinct\npublic,api_keys,factory_id,0,120\npublic,api_keys,key_hash,0,-1\n",
      "stats/columns.csv",
    );
    expect(result.kind).toBe("columns");
    expect(result.columns.map((c) => [c.table, c.column, c.nullFrac, c.nDistinct, c.range.line])).toEqual([
      ["api_keys", "factory_id", 0, 120, 2],
      ["api_keys", "key_hash", 0, -1, 3],
    ]);
  });

  it("reports missing columns at the header and bad rows at their lines", () => {
    expect(
      readStatsExport("relname,relpages\nt,1\n", "t.csv").errors.map((e) => [e.range.line, e.message]),
    ).toEqual([
      [
        1,
        "table statistics export: missing column reltuples (expected pg_class's relname, reltuples[, relpages], or pg_stats' tablename, attname, null_frac, n_distinct)",
      ],
    ]);
    expect(readStatsExport("tablename,attname\nt,a\n", "c.csv").errors.map((e) => e.message)).toEqual([
      "pg_stats export: missing columns null_frac, n_distinct",
    ]);
    const bad = readStatsExport("relname,reltuples\nt,lots\nu,3\n", "t.csv");
    expect(bad.tables.map((t) => t.table)).toEqual(["u"]);
    expect(bad.errors.map((e) => [e.range.line, e.message])).toEqual([
      [2, "table statistics export: the row needs a relname and a number for reltuples"],
    ]);
  });
});

describe("TableStats", () => {
  const tables = readStatsExport(
    "schemaname,relname,reltuples\npublic,api_keys,10000\nbilling,items,50\naudit,items,70\n",
    "t.csv",
  );
  const columns = readStatsExport(
    "tablename,attname,null_frac,n_distinct\napi_keys,key_hash,0,-1\napi_keys,factory_id,0,120\napi_keys,status,0.5,3\n",
    "c.csv",
  );
  const stats = new TableStats([tables, columns]);

  it("finds a table's size by schema, and by name only when the name is unambiguous", () => {
    expect(stats.size("public", "api_keys")?.rows).toBe(10000);
    expect(stats.size("other", "api_keys")?.rows).toBe(10000);
    expect(stats.size("audit", "items")?.rows).toBe(70);
    expect(stats.size("public", "items")).toBeUndefined();
  });

  it("estimates equality selectivity as (1 - null_frac) / distinct values, a negative n_distinct scaled by rows", () => {
    expect(stats.equalitySelectivity("public", "api_keys", "key_hash")).toBeCloseTo(1 / 10000);
    expect(stats.equalitySelectivity("public", "api_keys", "factory_id")).toBeCloseTo(1 / 120);
    expect(stats.equalitySelectivity("public", "api_keys", "status")).toBeCloseTo(0.5 / 3);
    expect(stats.equalitySelectivity("public", "api_keys", "name")).toBeUndefined();
  });
});
