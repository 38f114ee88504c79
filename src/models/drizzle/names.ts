/**
 * The names drizzle-kit (0.x, the stable line; checked at drizzle-team/drizzle-orm b7862528,
 * drizzle-kit 0.31.10) gives constraints and indexes that the schema leaves unnamed. None of them
 * is shortened: drizzle-kit writes the whole name into the migration and PostgreSQL truncates an
 * identifier longer than 63 bytes (NAMEDATALEN - 1) with a NOTICE, as libpg-query's scanner does
 * for our replay too, so both sides of a drift comparison see the same truncated name.
 *
 * (drizzle-kit 1.0 release candidates switch to PostgreSQL-like names: `_pkey`, `_key`, `_idx`,
 * and `_fkey` with a 12-character hash when the name would pass 63; not modelled yet.)
 */

/**
 * drizzle-orm pg-core/foreign-keys.ts ForeignKey.getName():
 * `${table}_${columns}_${foreignTable}_${foreignColumns}_fk` over drizzle-orm's column names
 * (the key when the column has no explicit name); then drizzle-kit pgSerializer.ts replaces,
 * when a casing is set, the first occurrence of each such name by its cased form.
 */
export function foreignKeyName(
  table: string,
  columns: { ormName: string; name: string }[],
  refTable: string,
  refColumns: { ormName: string; name: string }[],
): string {
  let name = [table, ...columns.map((c) => c.ormName), refTable, ...refColumns.map((c) => c.ormName)].join(
    "_",
  );
  name = `${name}_fk`;
  for (const c of [...columns, ...refColumns]) name = name.replace(c.ormName, c.name);
  return name;
}

/**
 * drizzle-orm pg-core/primary-keys.ts PrimaryKey.getName(): `${table}_${columns}_pk`, with the
 * same first-occurrence casing replacement in drizzle-kit pgSerializer.ts.
 */
export function primaryKeyName(table: string, columns: { ormName: string; name: string }[]): string {
  let name = `${table}_${columns.map((c) => c.ormName).join("_")}_pk`;
  for (const c of columns) name = name.replace(c.ormName, c.name);
  return name;
}

/**
 * drizzle-orm pg-core/unique-constraint.ts uniqueKeyName(): `${table}_${columns}_unique`. Both
 * `unique().on(...)` and a column's `.unique()` compute it in drizzle-orm over the columns' own
 * names (the property key when unnamed), and drizzle-kit does not apply the casing to it: with
 * `casing: "snake_case"`, `emailAddress: text().unique()` is `users_emailAddress_unique`
 * (drizzle-team/drizzle-orm#3069, #3080, #4541, #4800; fixed only in the 1.0 line).
 */
export function uniqueName(table: string, ormColumnNames: string[]): string {
  return `${table}_${ormColumnNames.join("_")}_unique`;
}

/** drizzle-kit serializer/pgSerializer.ts indexName(): `${table}_${columns}_index`, over the cased column names. */
export function indexName(table: string, columnNames: string[]): string {
  return `${table}_${columnNames.join("_")}_index`;
}
