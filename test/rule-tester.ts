/**
 * One table-driven tester for every rule, in the shape of ESLint's RuleTester: `valid` cases
 * must give no finding of the rule and no error of any rule, `invalid` cases exactly the listed
 * ones, each with its whole span.
 */
import { describe, expect, it } from "vitest";
import type { Rule } from "../src/rules/rule.js";
import { checkRepo, type InvalidCase, type ValidCase } from "./harness.js";

export function ruleTester(rule: Rule, cases: { valid: ValidCase[]; invalid: InvalidCase[] }): void {
  const id = rule.meta.id;
  describe(id, () => {
    for (const c of cases.valid) {
      it(`accepts: ${c.name}`, async () => {
        const result = await checkRepo(c);
        expect(result.findings.filter((f) => f.rule === id)).toEqual([]);
        // A valid case is valid: no rule calls it an error, the input errors included.
        expect(
          result.findings.filter((f) => f.severity === "error").map((f) => `${f.rule}:${f.line}`),
        ).toEqual([]);
      });
    }
    for (const c of cases.invalid) {
      it(`flags: ${c.name}`, async () => {
        const result = await checkRepo(c);
        expect(result.findings.filter((f) => f.rule === "syntax-error")).toEqual([]);
        const found = result.findings.filter((f) => f.rule === id);
        // Paths inside the throwaway repo, as given in `files`.
        const inRepo = (file: string) => file.replace(/^.*pg-index-lint-test-[^/]+\/(migrations\/)?/, "");
        // The whole span, as ESLint's RuleTester pins it: line, column, end line, end column.
        const span = (
          file: string,
          f: { line: number; column: number; endLine: number; endColumn: number },
        ) => `${file}:${f.line}:${f.column}-${f.endLine}:${f.endColumn}`;
        expect(found.map((f) => span(inRepo(f.file), f))).toEqual(
          c.errors.map((e, i) => span(e.file ?? (found[i] ? inRepo(found[i].file) : "?"), e)),
        );
        c.errors.forEach((e, i) => {
          if (e.message) expect(found[i]?.message).toMatch(e.message);
          expect(found[i]?.severity).toBe(rule.meta.defaultSeverity);
        });
        if (c.fix !== undefined) expect(found[0]?.fix?.replacement).toBe(c.fix);
      });
    }
  });
}
