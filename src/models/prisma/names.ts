/**
 * The names Prisma gives constraints and indexes when the schema has no `map:`
 * (prisma/prisma-engines `psl/psl-core/src/datamodel_connector/constraint_names.rs`,
 * `ConstraintNames`): always from the database names (`@@map`/`@map`), `{table}_pkey`,
 * `{table}_{columns}_key`, `{table}_{columns}_idx`, `{table}_{columns}_fkey`.
 *
 * Past PostgreSQL's 63-byte limit, Prisma cuts the part before the suffix to `63 - suffix length`
 * bytes (at a UTF-8 character boundary) and appends the suffix, so the suffix always survives.
 * That differs from PostgreSQL's own makeObjectName, which shortens the longer of the table and
 * column parts. Real generated migrations show Prisma's rule, e.g. trigger.dev's
 * `BatchTaskRun_runtimeEnvironmentId_taskIdentifier_idempotenc_key` (63 bytes).
 */

/** PostgreSQL's NAMEDATALEN - 1; Prisma's `max_identifier_length` for PostgreSQL. */
const MAX_IDENTIFIER = 63;

function withSuffix(base: string, suffix: string): string {
  const limit = MAX_IDENTIFIER - suffix.length;
  const bytes = Buffer.from(base, "utf8");
  if (bytes.length < limit) return base + suffix;
  let cut = limit;
  // floor_char_boundary: never split a multi-byte character.
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut).toString("utf8") + suffix;
}

export function primaryKeyName(table: string): string {
  return withSuffix(table, "_pkey");
}

export function uniqueIndexName(table: string, columns: string[]): string {
  return withSuffix(`${table}_${columns.join("_")}`, "_key");
}

export function indexName(table: string, columns: string[]): string {
  return withSuffix(`${table}_${columns.join("_")}`, "_idx");
}

export function foreignKeyName(table: string, columns: string[]): string {
  return withSuffix(`${table}_${columns.join("_")}`, "_fkey");
}
