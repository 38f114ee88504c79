/**
 * One table-driven tester for every rule, in the shape of ESLint's RuleTester: `valid` cases
 * must give no finding of the rule, `invalid` cases exactly the listed ones.
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
        expect(result.findings.filter((f) => f.rule === "syntax-error")).toEqual([]);
        expect(result.findings.filter((f) => f.rule === id)).toEqual([]);
      });
    }
    for (const c of cases.invalid) {
      it(`flags: ${c.name}`, async () => {
        const result = await checkRepo(c);
        expect(result.findings.filter((f) => f.rule === "syntax-error")).toEqual([]);
        const found = result.findings.filter((f) => f.rule === id);
        // Paths inside the throwaway repo, as given in `files`.
        const inRepo = (file: string) => file.replace(/^.*pg-index-lint-test-[^/]+\/(migrations\/)?/, "");
        expect(found.map((f) => `${inRepo(f.file)}:${f.line}`)).toEqual(
          c.errors.map((e, i) => `${e.file ?? (found[i] ? inRepo(found[i].file) : "?")}:${e.line}`),
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
