import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseSync } from "libpg-query";
import { beforeAll, describe, expect, it } from "vitest";
import { initSqlParser } from "../../src/parse/sql.js";
import { KEYWORDS_NEEDING_QUOTES, quoteIdent } from "../../src/schema/names.js";

/**
 * Every keyword the installed parser knows: its scanner's keyword table (kwlist_d.h), one
 * NUL-terminated string after another in alphabetical order, as it sits in the WASM binary.
 */
function parserKeywords(): string[] {
  const main = createRequire(import.meta.url).resolve("libpg-query");
  let dir = dirname(main);
  while (!dir.endsWith("libpg-query")) dir = dirname(dir);
  const wasm = readFileSync(join(dir, "wasm", "libpg-query.wasm"));
  const start = wasm.indexOf(Buffer.from("abort\0absent\0absolute\0"));
  expect(start).toBeGreaterThan(0);
  const words: string[] = [];
  for (let at = start; ; ) {
    const end = wasm.indexOf(0, at);
    const word = wasm.subarray(at, end).toString("latin1");
    if (!/^[a-z_]+$/.test(word)) break;
    words.push(word);
    at = end + 1;
  }
  return words;
}

/** The question quoteIdent answers, put to the parser: does it take `name` back as a column name? */
function parserTakesPlain(name: string): boolean {
  try {
    const stmt = parseSync(`CREATE TABLE t (${name} int)`).stmts?.[0]?.stmt as
      | { CreateStmt?: { tableElts?: { ColumnDef?: { colname?: string } }[] } }
      | undefined;
    return stmt?.CreateStmt?.tableElts?.[0]?.ColumnDef?.colname === name;
  } catch {
    return false;
  }
}

describe("quoteIdent", () => {
  beforeAll(() => initSqlParser());

  it("quotes exactly the keywords the parser does not take as a column name", () => {
    const keywords = parserKeywords();
    expect(keywords.length).toBeGreaterThan(400);
    expect(keywords).toContain("zone");
    const needQuotes = keywords.filter((word) => !parserTakesPlain(word));
    expect(new Set(needQuotes)).toEqual(KEYWORDS_NEEDING_QUOTES);
    for (const word of keywords)
      expect(quoteIdent(word)).toBe(needQuotes.includes(word) ? `"${word}"` : word);
  });

  it("agrees with the parser on names around the 63-byte limit and on other plain names", () => {
    const names = [
      "a".repeat(62),
      "a".repeat(63),
      "a".repeat(64),
      "_",
      "__",
      "a$b",
      "users_2",
      "user_id",
      "orders",
      "select_",
      "nulls",
      "nulls_first",
      "format",
      "without",
      "int",
      "integer",
      "zone",
    ];
    for (const name of names)
      expect(quoteIdent(name), name).toBe(parserTakesPlain(name) ? name : `"${name}"`);
  });

  it("quotes names with other characters, doubling their quotes", () => {
    expect(quoteIdent("Users")).toBe('"Users"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent("1a")).toBe('"1a"');
    expect(quoteIdent("a b")).toBe('"a b"');
  });
});
