/**
 * Characters that look like spaces. PostgreSQL's scanner takes only space, tab, newline, carriage
 * return, form feed and vertical tab as whitespace; any byte from 0x80 up may start or continue an
 * identifier, so U+00A0 (NO-BREAK SPACE, bytes C2 A0) before a keyword makes the keyword part of an
 * identifier and the statement a syntax error. Flyway splits with Java's Character.isWhitespace,
 * which is false for U+00A0, so it sends the character on and the server rejects the file too.
 * check must agree with the server both ways: an error where PostgreSQL gives one, and nothing
 * inside comments and string literals, where any character is fine.
 */
import { describe, expect, it } from "vitest";
import { checkRepo } from "../harness.js";

const NBSP = "\u00a0";

describe("look-alike spaces", () => {
  it("U+00A0 before a keyword is a syntax error in check, as PostgreSQL rejects it", async () => {
    const sql = `CREATE TABLE t (id int);\n${NBSP}${NBSP}CREATE INDEX t_i ON t (id);\n`;
    const result = await checkRepo({ files: { "V1__a.sql": sql }, runner: "flyway" });
    const errors = result.findings.filter((f) => f.rule === "syntax-error");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.line).toBe(2);
    expect(errors[0]?.message).toContain(`syntax error at or near "${NBSP}${NBSP}CREATE"`);
  });

  it("U+00A0 inside comments and string literals is no finding", async () => {
    const sql = `-- a${NBSP}comment\nCREATE TABLE t (id int, note text DEFAULT 'a${NBSP}b');\n/* x${NBSP}y */\n`;
    const result = await checkRepo({ files: { "001.sql": sql } });
    expect(result.findings.filter((f) => f.severity === "error")).toEqual([]);
    expect(result.summary.statements).toBe(1);
  });
});
