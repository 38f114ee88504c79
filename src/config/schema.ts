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

export const QUERY_FORMATS = ["pg_stat_statements", "csv", "json", "sql"] as const;

export const QueriesEntry = z.strictObject({
  path: nonEmpty.describe(
    "A pg_stat_statements export (CSV or JSON), or a folder, file or glob of .sql query files (sqlc's `-- name:` kept), relative to the config file.",
  ),
  format: z
    .enum(QUERY_FORMATS)
    .optional()
    .describe(
      "pg_stat_statements (csv and json are the same export), or sql for query files. Inferred from the path when omitted: .csv and .json are exports, the rest query files.",
    ),
});

export const QueryAnalysis = z.strictObject({
  "min-calls": z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe("A statement called fewer times is skipped (default 10)."),
  "min-mean-ms": z
    .number()
    .nonnegative()
    .optional()
    .describe("A statement with a lower mean time is skipped (default 0.1)."),
  "min-share": z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe(
      "A candidate whose queries take a smaller share of the export's time is not reported (default 0.001).",
    ),
  "min-rows": z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe("A table the table statistics say has fewer rows gets no candidate (default 1000)."),
  exclude: z
    .array(nonEmpty)
    .optional()
    .describe("Tables that get no suggested index (write-heavy tables, whose write cost is not modelled)."),
  "lock-rows": z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe(
      "With table-stats: a lock finding on a table with fewer rows is a warning (a note), and on a larger one an error with a build-time estimate (default 100000).",
    ),
});

export const Config = z.strictObject({
  $schema: z.string().optional(),
  migrations: z.array(MigrationsEntry).optional().describe("Where the migrations live."),
  models: z.array(ModelsEntry).optional().describe("Where the ORM models live."),
  "required-indexes": z.array(RequiredIndex).optional().describe("The indexes the team says must exist."),
  queries: z
    .array(QueriesEntry)
    .optional()
    .describe("The queries the service runs: query-needs-index derives the indexes they need."),
  "table-stats": z
    .union([nonEmpty, z.array(nonEmpty)])
    .optional()
    .describe(
      "Table statistics exports (pg_class relname, reltuples, relpages; pg_stats null_frac, n_distinct) from the same database.",
    ),
  "query-analysis": QueryAnalysis.optional().describe("Thresholds of query-needs-index and of table sizes."),
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
