/**
 * Runs every example on every rule page (rules/<id>.md), so that the docs cannot drift from the
 * code. A page's ```sql bad``` block must produce at least one finding of the page's rule, and a
 * ```sql good``` block none. Attributes after the tag choose the runner (`runner=golang-migrate`)
 * and its version (`version=5.22`); a `-- file: NAME` line starts another migration file; a
 * ```yaml config``` block adds config keys to every later example on the page.
 *
 * ```python bad``` / ```python good``` blocks are Alembic revisions (runner alembic) and SQLAlchemy
 * models: a `# file: NAME` line starts another file; names under `models/` are model files (a
 * `models` entry with `orm: sqlalchemy`), the others revisions. With no revision the repo is
 * models-only.
 *
 * ```prisma bad``` / ```prisma good``` blocks are Prisma schemas (`orm: prisma`) and ```ts bad``` /
 * ```ts good``` blocks Drizzle schemas (`orm: drizzle`): a `// file: NAME` line starts another
 * file, and names under `migrations/` are the migrations the ORM generated (runner prisma or
 * drizzle). With none the repo is models-only.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DOCUMENTED_RULES } from "../../src/rules/index.js";
import { checkRepo } from "../harness.js";
import { examplesOf } from "./doc-examples.js";

const pages = readdirSync("rules").filter((f) => f.endsWith(".md"));
const ids = DOCUMENTED_RULES.map((r) => r.meta.id);
// verify's rules need a database: their pages show examples, which the verify tests cover.
const verifyIds = DOCUMENTED_RULES.filter((r) => r.meta.pass === "verify").map((r) => r.meta.id);

describe("rule pages", () => {
  it("exist for every rule", () => {
    expect(pages.sort()).toEqual(ids.map((id) => `${id}.md`).sort());
  });

  for (const page of pages.filter((p) => !verifyIds.includes(p.replace(/\.md$/, "")))) {
    const id = page.replace(/\.md$/, "");
    const examples = examplesOf(readFileSync(`rules/${page}`, "utf8"));
    describe(page, () => {
      it("has at least one bad and one good example", () => {
        expect(examples.some((e) => e.kind === "bad")).toBe(true);
        expect(examples.some((e) => e.kind === "good")).toBe(true);
      });
      for (const example of examples) {
        it(`${example.kind} example at line ${example.line}`, async () => {
          const result = await checkRepo(example.spec);
          expect(result.findings.filter((f) => f.rule === "syntax-error")).toEqual([]);
          const hits = result.findings.filter((f) => f.rule === id);
          if (example.kind === "bad") expect(hits.length).toBeGreaterThan(0);
          else {
            expect(hits).toEqual([]);
            // A good example is good: no rule calls it an error.
            expect(result.findings.filter((f) => f.severity === "error").map((f) => f.rule)).toEqual([]);
          }
        });
      }
    });
  }
});
