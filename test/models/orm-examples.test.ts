/**
 * examples/prisma-app and examples/drizzle-app through the real `check()`: the unindexed relation
 * at the schema line with a fix in the ORM's words, the duplicate index, the hand-edited partial
 * index and the undeclared-in-migrations index reported as drift on each side, and the fix applied
 * to a copy of the example makes the finding go away and adds none.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type CheckResult, check } from "../../src/check.js";
import type { Finding } from "../../src/finding.js";
import { applyEdits, fixEdits } from "../../src/fix/apply.js";
import { metaOf } from "../../src/rules/index.js";
import { scratchDir } from "../harness.js";

const where = (result: CheckResult) =>
  result.findings.map(
    (f) =>
      `${f.rule} ${f.file.replace(/^.*?examples\/[a-z-]+\/|^.*?pg-index-lint-test-\w+\//, "")}:${f.line}:${f.column}`,
  );

const CASES = [
  {
    app: "prisma-app",
    schema: "prisma/schema.prisma",
    relation: "prisma/schema.prisma:42:3",
    help: /^Declare it in the model: add @@index\(\[productId\]\) to model Batch \(.*schema\.prisma:39\), then run `prisma migrate dev`/,
    fixed: '  @@map("batches")\n  @@index([productId])\n}',
    alone: ["duplicate-index prisma/schema.prisma:33:3", "unindexed-foreign-key prisma/schema.prisma:42:3"],
    both: [
      "duplicate-index prisma/migrations/20240101000000_init/migration.sql:42:1",
      "orm-migration-drift prisma/migrations/20240301000000_sku_search/migration.sql:4:1",
      "orm-migration-drift prisma/schema.prisma:35:3",
      "unindexed-foreign-key prisma/schema.prisma:42:3",
    ],
    regenerate: "prisma migrate dev",
    undeclared: "the next `prisma migrate dev` would drop it",
    modelSide: /add @@index\(\[sku\], where: raw\("sku IS NOT NULL"\)\) to model Product/,
  },
  {
    app: "drizzle-app",
    schema: "src/db/schema.ts",
    relation: "src/db/schema.ts:38:6",
    help: /^Declare it in the table: add index\("batches_product_id_idx"\)\.on\(t\.productId\) to the third argument of batches \(.*schema\.ts:34\), then run `drizzle-kit generate`/,
    fixed:
      '  updatedAt: timestamp().defaultNow(),\n}, (t) => [index("batches_product_id_idx").on(t.productId)]);',
    alone: ["duplicate-index src/db/schema.ts:28:5", "unindexed-foreign-key src/db/schema.ts:38:6"],
    both: [
      "duplicate-index drizzle/0000_init.sql:31:1",
      "orm-migration-drift drizzle/0000_init.sql:35:1",
      "orm-migration-drift src/db/schema.ts:30:5",
      "unindexed-foreign-key src/db/schema.ts:38:6",
    ],
    regenerate: "drizzle-kit generate",
    // drizzle-kit generate diffs with its snapshot, which a hand-written index never enters.
    undeclared:
      "`drizzle-kit push` would drop it, and so would the next `drizzle-kit generate` if the last meta/*_snapshot.json holds it",
    modelSide:
      /add index\("products_sku_idx"\)\.on\(t\.sku\)\.where\(sql`sku IS NOT NULL`\) to the third argument of products/,
  },
];

for (const c of CASES) {
  describe(`examples/${c.app}`, () => {
    const dir = `examples/${c.app}`;

    it("the schema alone: the duplicate and the unindexed relation at their lines, with a fix in the ORM's words", async () => {
      const result = await check({ paths: [dir], config: join(dir, "schema.pg-index-lint.yml") });
      expect(where(result)).toEqual(c.alone);
      const relation = result.findings.find((f) => f.rule === "unindexed-foreign-key") as Finding;
      expect(relation.help).toMatch(c.help);
      expect(relation.fix?.description).toContain(c.regenerate);
    });

    it("with the migrations: the drift on both sides, each in its own words", async () => {
      const result = await check({ paths: [dir], config: join(dir, ".pg-index-lint.yml") });
      expect(where(result)).toEqual(c.both);
      const drift = result.findings.filter((f) => f.rule === "orm-migration-drift");
      const [migrationSide, modelSide] = drift;
      expect(migrationSide?.message).toContain(
        `WHERE sku IS NOT NULL exists after the migrations, but no model declares it: ${c.undeclared}.`,
      );
      expect(migrationSide?.help).toMatch(c.modelSide);
      expect(modelSide?.message).toMatch(/is declared in the models, but no migration creates it/);
      expect(modelSide?.help).toContain(`(\`${c.regenerate}\` writes it from the models.)`);
      for (const f of drift) expect(`${f.message} ${f.help}`).not.toMatch(/alembic|op\.create_index/i);
    });

    it("the fix applied to a copy makes the finding go away and adds none", async () => {
      const root = scratchDir();
      cpSync(dir, root, { recursive: true });
      for (const config of ["schema.pg-index-lint.yml", ".pg-index-lint.yml"]) {
        const options = { paths: [root], config: join(root, config) };
        const before = await check(options);
        const relation = before.findings.find((f) => f.rule === "unindexed-foreign-key") as Finding;
        const edited = applyEdits(fixEdits(relation), (file) => readFileSync(resolve(file), "utf8"));
        if (!edited.ok) throw new Error(edited.reason);
        for (const [file, text] of edited.files) writeFileSync(resolve(file), text);
        expect(readFileSync(join(root, c.schema), "utf8")).toContain(c.fixed);
        const after = await check(options);
        const added = where(after).filter((w) => !where(before).includes(w));
        expect(where(after)).not.toContain(`unindexed-foreign-key ${c.relation}`);
        if (config === "schema.pg-index-lint.yml") expect(added).toEqual([]);
        else {
          // With the migrations, the model now declares an index that no migration builds yet:
          // drift at the new declaration, and the migrated schema still lacks the index until
          // the ORM's generate command writes its migration.
          expect(added).toEqual([
            expect.stringMatching(/^unindexed-foreign-key .*(migration\.sql|0000_init\.sql):/),
            expect.stringMatching(new RegExp(`^orm-migration-drift ${c.schema.replace(/\./g, "\\.")}:`)),
          ]);
        }
        cpSync(dir, root, { recursive: true });
      }
    });
  });
}

describe("rule metadata of the fixes in the models", () => {
  it("says fixable for every rule whose finding carries a fix in Prisma or Drizzle models", async () => {
    const rules = new Set<string>();
    for (const c of CASES) {
      const root = scratchDir();
      cpSync(`examples/${c.app}`, root, { recursive: true });
      // A required index the models do not declare: missing-required-index fixes it in the models too.
      const config = join(root, "required.pg-index-lint.yml");
      writeFileSync(
        config,
        `${readFileSync(join(root, "schema.pg-index-lint.yml"), "utf8")}required-indexes:\n  - table: batches\n    columns: [name]\n`,
      );
      for (const options of [
        { paths: [root], config },
        { paths: [root], config: join(root, ".pg-index-lint.yml") },
      ]) {
        for (const f of (await check(options)).findings) {
          if (!f.fix) continue;
          rules.add(f.rule);
          expect({ rule: f.rule, fixable: metaOf(f.rule).fixable }).toEqual({ rule: f.rule, fixable: true });
        }
      }
    }
    expect([...rules].sort()).toEqual(["missing-required-index", "unindexed-foreign-key"]);
  });
});
