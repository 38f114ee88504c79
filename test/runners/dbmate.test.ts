import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { initSqlParser, parseSql } from "../../src/parse/sql.js";
import { runner } from "../../src/sources/index.js";

const ref = { absPath: "/repo/db/migrations/20240101_x.sql", id: "20240101" };
const dbmate = runner("dbmate");
const prepare = (text: string) => {
  if (!dbmate.prepare) throw new Error("dbmate is a SQL runner");
  return dbmate.prepare(text, ref);
};

describe("dbmate prepare", () => {
  const file = [
    "-- header comment",
    "-- migrate:up",
    "CREATE TABLE t (id int);",
    "  CREATE INDEX t_id ON t (id);",
    "",
    "-- migrate:down",
    "DROP TABLE t;",
    "",
  ].join("\n");

  it("keeps the up section in place and blanks the rest, keeping every line and column", () => {
    const prepared = prepare(file);
    expect(prepared.sql.length).toBe(file.length);
    const lines = prepared.sql.split("\n");
    expect(lines.length).toBe(file.split("\n").length);
    expect(lines[0]).toBe(" ".repeat("-- header comment".length));
    expect(lines[1]).toBe("-- migrate:up");
    expect(lines[3]).toBe("  CREATE INDEX t_id ON t (id);");
    expect(lines[5]?.trim()).toBe("");
    expect(lines[6]).toBe(" ".repeat("DROP TABLE t;".length));
    expect(prepared.noTransaction).toBe(false);
  });

  it("parses the up statements at their original lines and columns, and never the down section", async () => {
    await initSqlParser();
    const parsed = parseSql(prepare(file).sql, "db/migrations/20240101_x.sql");
    expect(parsed.errors).toEqual([]);
    expect(parsed.statements.map((s) => [s.sql, s.range.line, s.range.column])).toEqual([
      ["CREATE TABLE t (id int)", 3, 1],
      ["CREATE INDEX t_id ON t (id)", 4, 3],
    ]);
  });

  it("reads transaction:false from the -- migrate:up line as an opt-out", () => {
    const prepared = prepare(
      "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\n",
    );
    expect(prepared.noTransaction).toBe(true);
    expect(prepared.optOutSource).toBe("-- migrate:up transaction:false on line 1");
    expect(prepared.sections).toEqual([
      expect.objectContaining({ noTransaction: true, label: "the -- migrate:up section on line 1" }),
    ]);
  });

  it("keeps every up section of a multi-section file (dbmate ≥ 2.29), each with its own options", () => {
    const text = [
      "-- migrate:up",
      "CREATE TABLE t (id int);",
      "-- migrate:down",
      "DROP TABLE t;",
      "-- migrate:up transaction:false",
      "CREATE INDEX CONCURRENTLY i ON t (id);",
      "-- migrate:down",
      "DROP INDEX i;",
    ].join("\n");
    const prepared = prepare(text);
    expect(prepared.sql).not.toContain("DROP");
    expect(prepared.sql).toContain("CREATE INDEX CONCURRENTLY i ON t (id);");
    expect(prepared.sections?.map((s) => [s.noTransaction, s.label])).toEqual([
      [false, "the -- migrate:up section on line 1"],
      [true, "the -- migrate:up section on line 5"],
    ]);
    expect(prepared.noTransaction).toBe(false);
  });

  it("rejects what dbmate rejects: no up block, statements before it, no down block", () => {
    expect(() => prepare("CREATE TABLE t (id int);\n")).toThrow(UserError);
    expect(() => prepare("CREATE TABLE t (id int);\n-- migrate:up\n-- migrate:down\n")).toThrow(/preceding/);
    expect(() => prepare("-- migrate:up\nCREATE TABLE t (id int);\n")).toThrow(/down block/);
  });
});
