import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initSqlParser } from "../../src/parse/sql.js";
import { loadQueryFiles, readQueryFile, rewritePlaceholders } from "../../src/queries/query-files.js";

describe("readQueryFile", () => {
  beforeAll(async () => {
    await initSqlParser();
  });

  it("reads sqlc blocks: each query named, located at its first token, with parseable SQL", () => {
    const text = [
      "-- Queries of the key store.", // 1
      "", // 2
      "-- name: GetApiKeyByHash :one", // 3
      "-- Every request authenticates.", // 4
      "SELECT id FROM api_keys", // 5
      "WHERE key_hash = sqlc.arg(key_hash);", // 6
      "", // 7
      "/* name: ListKeys :many */", // 8
      "  SELECT id FROM api_keys WHERE factory_id = @factory_id AND created_at > @since", // 9
      "  ORDER BY created_at DESC LIMIT sqlc.narg('page_size');", // 10
    ].join("\n");
    const source = readQueryFile(text, "db/queries/keys.sql");
    expect(source.errors).toEqual([]);
    expect(source.queries).toEqual([
      {
        origin: "query-file",
        name: "GetApiKeyByHash",
        text: "SELECT id FROM api_keys\nWHERE key_hash = sqlc.arg(key_hash)",
        sql: "SELECT id FROM api_keys\nWHERE key_hash = $1",
        range: { file: "db/queries/keys.sql", line: 5, column: 1, endLine: 6, endColumn: 36 },
      },
      {
        origin: "query-file",
        name: "ListKeys",
        text: "SELECT id FROM api_keys WHERE factory_id = @factory_id AND created_at > @since\n  ORDER BY created_at DESC LIMIT sqlc.narg('page_size')",
        sql: "SELECT id FROM api_keys WHERE factory_id = $1 AND created_at > $2\n  ORDER BY created_at DESC LIMIT $3",
        range: { file: "db/queries/keys.sql", line: 9, column: 3, endLine: 10, endColumn: 56 },
      },
    ]);
  });

  it("reads a plain file statement by statement, unnamed", () => {
    const source = readQueryFile("SELECT 1 FROM t WHERE a = $1;\n\n  -- note\n  SELECT 2 FROM u;\n", "q.sql");
    expect(source.queries.map((q) => [q.name, q.sql, q.range.line, q.range.column])).toEqual([
      [undefined, "SELECT 1 FROM t WHERE a = $1", 1, 1],
      [undefined, "SELECT 2 FROM u", 4, 3],
    ]);
  });

  it("reports a syntax error at its line and column in the file, skips that query, and reads the others", () => {
    const text = [
      "-- name: Good :one",
      "SELECT 1 FROM t WHERE a = @a;",
      "-- name: Bad :one",
      "SELECT id FROM t WHERE a = @a AND AND b = 1;",
      "-- name: AlsoGood :many",
      "SELECT 2 FROM t;",
    ].join("\n");
    const source = readQueryFile(text, "q.sql");
    expect(source.queries.map((q) => q.name)).toEqual(["Good", "AlsoGood"]);
    expect(source.errors).toEqual([
      {
        message: 'SQL syntax error: syntax error at or near "AND"',
        range: { file: "q.sql", line: 4, column: 35, endLine: 4, endColumn: 36 },
      },
    ]);
    expect(source.skipped.map((s) => [s.kind, s.range.line, s.reason])).toEqual([
      ["syntax-error", 4, 'query Bad is not valid SQL: syntax error at or near "AND" (line 4)'],
    ]);
  });

  it("reports an annotation with no query after it", () => {
    const source = readQueryFile("-- name: Empty :one\n\n-- name: Real :one\nSELECT 1;\n", "q.sql");
    expect(source.queries.map((q) => q.name)).toEqual(["Real"]);
    expect(source.errors.map((e) => [e.range.line, e.message])).toEqual([
      [1, "sqlc query Empty has no SQL after its annotation"],
    ]);
  });

  it("locates queries after non-ASCII text by characters, not bytes", () => {
    const source = readQueryFile(
      "-- name: Größe :one\n-- ÄÖÜ – née\nSELECT 1 FROM t WHERE a = @größe;",
      "q.sql",
    );
    // The annotation's name must be an ASCII identifier here, so the block is unnamed; the
    // parameter is an identifier to PostgreSQL's scanner, and is rewritten.
    expect(source.queries.map((q) => [q.range.line, q.range.column, q.sql])).toEqual([
      [3, 1, "SELECT 1 FROM t WHERE a = $1"],
    ]);
  });
});

describe("rewritePlaceholders", () => {
  beforeAll(async () => {
    await initSqlParser();
  });

  const cases: { name: string; text: string; sql: string; names: (string | null)[] }[] = [
    {
      name: "@name, numbered in order",
      text: "a = @x AND b = @y",
      sql: "a = $1 AND b = $2",
      names: ["x", "y"],
    },
    {
      name: "a repeated name keeps its number",
      text: "a = @x OR b = @x",
      sql: "a = $1 OR b = $1",
      names: ["x"],
    },
    {
      name: "sqlc.arg, sqlc.narg and sqlc.slice, quoted or not",
      text: "a = sqlc.arg(x) AND b = sqlc.narg('y') AND c IN (sqlc.slice(\"z\"))",
      sql: "a = $1 AND b = $2 AND c IN ($3)",
      names: ["x", "y", "z"],
    },
    {
      name: "after the $n the text already uses",
      text: "a = $2 AND b = @x",
      sql: "a = $2 AND b = $3",
      names: [null, null, "x"],
    },
    {
      name: "nothing inside strings, quoted identifiers, comments and dollar quotes; @> and @@ stay operators",
      text: "a = '@x' AND \"@y\" = 1 AND j @> k AND t @@ q AND b = $$ @z $$ -- @w",
      sql: "a = '@x' AND \"@y\" = 1 AND j @> k AND t @@ q AND b = $$ @z $$ -- @w",
      names: [],
    },
    {
      name: "sqlc.embed(t) becomes t.*",
      text: "SELECT sqlc.embed(users) FROM users",
      sql: "SELECT users.* FROM users",
      names: [],
    },
  ];
  for (const c of cases) {
    it(`rewrites ${c.name}`, () => {
      const result = rewritePlaceholders(c.text);
      expect(result.sql).toBe(c.sql);
      expect(result.names).toEqual(c.names);
    });
  }

  it("maps offsets in the rewritten text back to the text as written", () => {
    const text = "SELECT 1 WHERE a = sqlc.arg(long_name) AND b = @c AND d";
    const result = rewritePlaceholders(text);
    const at = (needle: string) => result.toOriginal(result.sql.indexOf(needle));
    expect(at("$1")).toBe(text.indexOf("sqlc.arg"));
    expect(at("AND b")).toBe(text.indexOf("AND b"));
    expect(at("$2")).toBe(text.indexOf("@c"));
    expect(at("AND d")).toBe(text.indexOf("AND d"));
  });
});

describe("loadQueryFiles", () => {
  let root: string;
  beforeAll(async () => {
    await initSqlParser();
    root = mkdtempSync(join(tmpdir(), "pg-index-lint-queries-"));
    mkdirSync(join(root, "db/queries/nested"), { recursive: true });
    writeFileSync(join(root, "db/queries/b.sql"), "-- name: B :one\nSELECT 1 FROM t WHERE b = @b;\n");
    writeFileSync(join(root, "db/queries/a.sql"), "-- name: A :one\nSELECT 1 FROM t WHERE a = @a;\n");
    writeFileSync(join(root, "db/queries/nested/c.sql"), "SELECT 1 FROM t WHERE c = $1;\n");
    writeFileSync(join(root, "db/queries/notes.txt"), "not sql");
    writeFileSync(join(root, "db/queries/latin1.sql"), Buffer.from([0x53, 0x45, 0x4c, 0xe9, 0x0a]));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it("reads every .sql file under a folder, in path order, and reports a file that is not UTF-8", () => {
    const source = loadQueryFiles("db/queries", root);
    const rel = (file: string) => relative(root, join(process.cwd(), file)).split("\\").join("/");
    expect(source.queries.map((q) => [rel(q.range.file), q.name ?? null])).toEqual([
      ["db/queries/a.sql", "A"],
      ["db/queries/b.sql", "B"],
      ["db/queries/nested/c.sql", null],
    ]);
    expect(source.errors.map((e) => [rel(e.range.file), e.message])).toEqual([
      ["db/queries/latin1.sql", "this file is not UTF-8 text; its queries were not read"],
    ]);
  });

  it("reads the files a glob matches", () => {
    const source = loadQueryFiles("db/queries/[ab].sql", root);
    expect(source.queries.map((q) => q.name)).toEqual(["A", "B"]);
  });

  it("reports a folder or glob with no query files", () => {
    expect(loadQueryFiles("db/none/*.sql", root).errors.map((e) => e.message)).toEqual([
      "no query files match this path",
    ]);
    mkdirSync(join(root, "empty"), { recursive: true });
    expect(loadQueryFiles("empty", root).errors.map((e) => e.message)).toEqual([
      "no .sql files in this folder",
    ]);
  });
});
