/**
 * The `.pg-index-lint.yml` schema (DESIGN.md §5). The JSON Schema in `schema/` is generated from
 * this one by `npm run schema`, and a test keeps them equal.
 */
import { z } from "zod";
import { ORM_IDS, RUNNER_IDS } from "../sources/index.js";

export const SEVERITY_SETTINGS = ["error", "warning", "off"] as const;

const nonEmpty = z.string().trim().min(1);

export const MigrationsEntry = z.strictObject({
  path: nonEmpty.describe("A directory of migrations, relative to the config file."),
  runner: z
    .enum(RUNNER_IDS as [string, ...string[]])
    .optional()
    .describe("The migration runner. Detected from the files when omitted."),
  version: z
    .union([z.string(), z.number()])
    .transform(String)
    .optional()
    .describe("The runner's version, where its transaction behaviour changed across versions."),
  base: z
    .union([
      nonEmpty.describe(
        "A SQL file of the schema the migrations start from (pg_dump --schema-only, structure.sql).",
      ),
      z
        .strictObject({ models: z.literal(true) })
        .describe("The schema the config's models declare (create_all)."),
    ])
    .optional()
    .describe(
      "The schema that exists before the first migration: replayed first by check, applied first by verify.",
    ),
});

export const ModelsEntry = z.strictObject({
  path: nonEmpty.describe(
    "A directory of ORM model sources, or one file (schema.prisma, a Drizzle schema .ts file).",
  ),
  orm: z.enum(ORM_IDS as [string, ...string[]]).describe("The ORM the models use."),
});

export const RequiredIndex = z.strictObject({
  table: nonEmpty.describe("Table name, optionally schema-qualified (`billing.invoices`)."),
  columns: z
    .array(nonEmpty)
    .min(1, "a required index must name at least one column")
    .describe("Leading key columns in order; append ` DESC` for a descending key."),
  where: nonEmpty
    .optional()
    .describe("The predicate the queries always carry; a partial index must be implied by it."),
  unique: z.boolean().optional().describe("The index must be unique."),
  why: z.string().optional().describe("Why this index matters; shown in findings."),
  query: nonEmpty.optional().describe("A probe query that `verify` EXPLAINs to prove the index is used."),
});

export const Config = z.strictObject({
  $schema: z.string().optional(),
  migrations: z.array(MigrationsEntry).optional().describe("Where the migrations live."),
  models: z.array(ModelsEntry).optional().describe("Where the ORM models live."),
  "required-indexes": z.array(RequiredIndex).optional().describe("The indexes the team says must exist."),
  rules: z
    .record(z.string(), z.enum(SEVERITY_SETTINGS))
    .optional()
    .describe("Severity per rule id: error, warning or off."),
  ignore: z.array(nonEmpty).optional().describe("Globs of files to skip, relative to the config file."),
  verify: z
    .strictObject({
      rows: z.record(z.string(), z.number().int().nonnegative()).optional(),
    })
    .optional()
    .describe("Settings for `pg-index-lint verify`."),
});

export type ConfigData = z.infer<typeof Config>;
export type RequiredIndexData = z.infer<typeof RequiredIndex>;

export function configJsonSchema(): unknown {
  const schema = z.toJSONSchema(Config, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "pg-index-lint configuration (.pg-index-lint.yml)",
    ...schema,
  };
}
