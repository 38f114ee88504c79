import { beforeAll, describe, expect, it } from "vitest";
import { initSqlParser, parseSql } from "../../src/parse/sql.js";

beforeAll(() => initSqlParser());

describe("parseSql", () => {
  it("locates statements exactly after non-ASCII comments (UTF-8 byte offsets)", () => {
    const sql =
      "-- ✓ index für Schlüssel 🔑\nCREATE TABLE t (a int);\n/* ünïcödé */ CREATE INDEX i\n  ON t (a);\n";
    const { statements, errors } = parseSql(sql, "m.sql");
    expect(errors).toEqual([]);
    expect(statements.map((s) => s.range)).toEqual([
      { file: "m.sql", line: 2, column: 1, endLine: 2, endColumn: 23 },
      { file: "m.sql", line: 3, column: 15, endLine: 4, endColumn: 11 },
    ]);
    expect(statements[1]?.sql).toBe("CREATE INDEX i\n  ON t (a)");
    expect(sql.slice(statements[1]?.offset)).toMatch(/^CREATE INDEX i/);
  });

  it("handles nested block comments and several statements on one line", () => {
    const { statements } = parseSql("/* a /* nested */ b */ SELECT 1; SELECT 2;", "m.sql");
    expect(statements.map((s) => [s.range.column, s.sql])).toEqual([
      [24, "SELECT 1"],
      [34, "SELECT 2"],
    ]);
  });

  it("reports a syntax error at its line and column", () => {
    const { statements, errors } = parseSql(
      "CREATE TABLE t (a int);\n-- é 🔑\nCREATE INDEX ON ON t (a);\n",
      "bad.sql",
    );
    expect(statements).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/syntax error at or near "ON"/);
    expect(errors[0]?.range).toMatchObject({ file: "bad.sql", line: 3, column: 17 });
  });

  it("reads inline ignores above a statement, with their rules and reason", () => {
    const { ignores } = parseSql(
      "SELECT 1;\n-- pg-index-lint-ignore require-concurrent-index-creation, redundant-index: table is tiny\n-- pg-index-lint-ignore duplicate-index\nCREATE INDEX i ON t (a);",
      "m.sql",
    );
    expect(ignores).toMatchObject([
      {
        rules: ["require-concurrent-index-creation", "redundant-index"],
        reason: "table is tiny",
        range: { line: 2 },
        statement: { line: 4 },
      },
      { rules: ["duplicate-index"], reason: "", range: { line: 3 }, statement: { line: 4 } },
    ]);
  });

  it("applies a directive at the end of a statement's line to that statement, not the next", () => {
    const { ignores } = parseSql(
      "CREATE INDEX a ON t (x); -- pg-index-lint-ignore require-concurrent-index-creation: a\nCREATE INDEX b ON t (y);\n-- pg-index-lint-ignore duplicate-index\n",
      "m.sql",
    );
    expect(ignores.map((i) => [i.range.line, i.statement.line, i.statement.column])).toEqual([
      [1, 1, 1],
      [3, 4, 1],
    ]);
  });

  it("keeps masked sections out without moving positions", () => {
    const { statements } = parseSql("          \n   \nSELECT 1;", "m.sql");
    expect(statements[0]?.range).toMatchObject({ line: 3, column: 1 });
  });
});
