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

  it("reads an inline ignore above a statement, with its rules and reason", () => {
    const { statements, ignores } = parseSql(
      "SELECT 1;\n-- pg-index-lint-ignore require-concurrent-index-creation, redundant-index: table is tiny\nCREATE INDEX i ON t (a);",
      "m.sql",
    );
    expect(statements[1]?.ignore).toMatchObject({
      rules: ["require-concurrent-index-creation", "redundant-index"],
      reason: "table is tiny",
      range: { line: 2 },
      statement: { line: 3 },
    });
    expect(ignores).toHaveLength(1);
    expect(statements[0]?.ignore).toBeUndefined();
  });

  it("keeps masked sections out without moving positions", () => {
    const { statements } = parseSql("          \n   \nSELECT 1;", "m.sql");
    expect(statements[0]?.range).toMatchObject({ line: 3, column: 1 });
  });
});
