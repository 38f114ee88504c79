/**
 * Drizzle table specs → the SQL `drizzle-kit generate` writes for them on an empty PostgreSQL
 * database (drizzle-kit src/sqlgenerator.ts, stable 0.x line): CREATE SCHEMA, CREATE TYPE … AS
 * ENUM, CREATE TABLE with inline primary keys and named UNIQUE / composite PRIMARY KEY
 * constraints, then `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY` for every foreign key, then
 * `CREATE INDEX … USING method (…)`. Every clause maps back to the code that declares it.
 */
import type { SourceRange } from "../../model.js";
import { GeneratedSql } from "../../parse/generated.js";
import type { DrizzleEnum, DrizzleTable, Span } from "./reader.js";
import { rangeOf, type TsFile } from "./syntax.js";

/** drizzle-kit always double-quotes identifiers; a `"` inside one is doubled as PostgreSQL requires. */
function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function qualified(schema: string | null, name: string): string {
  return schema ? `${q(schema)}.${q(name)}` : q(name);
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function createSchemaSql(ts: TsFile, name: string, span: Span): GeneratedSql {
  const range = rangeOf(ts, span);
  return new GeneratedSql(range, span.start).add(`CREATE SCHEMA ${q(name)}`, range);
}

/** CreateTypeEnumConvertor: `CREATE TYPE "public"."role" AS ENUM('a', 'b')`. */
export function createEnumSql(e: DrizzleEnum): GeneratedSql {
  const range = rangeOf(e.ts, e.span);
  return new GeneratedSql(range, e.span.start).add(
    `CREATE TYPE ${qualified(e.schema ?? "public", e.name)} AS ENUM(${e.values.map(literal).join(", ")})`,
    range,
  );
}

/** PgCreateTableConvertor: columns with inline PRIMARY KEY, DEFAULT and NOT NULL, then constraints. */
export function createTableSql(table: DrizzleTable): GeneratedSql {
  const ts = table.ts;
  const at = (span: Span): SourceRange => rangeOf(ts, span);
  const out = new GeneratedSql(rangeOf(ts, table.call), table.call.start ?? 0);
  out.add("CREATE TABLE ").add(qualified(table.schema, table.name), at(table.nameSpan)).add(" (");
  const parts: (() => void)[] = [];
  for (const column of table.columns) {
    parts.push(() => {
      out.add(`${q(column.name)} ${column.type}`, at(column.span));
      if (column.primaryKey) out.add(" PRIMARY KEY", at(column.primaryKey));
      if (column.default !== null) out.add(` DEFAULT ${column.default}`, at(column.span));
      // drizzle-kit leaves NOT NULL out for identity columns: PostgreSQL implies it.
      if (column.notNull && !column.identity) out.add(" NOT NULL", at(column.span));
      if (column.identity) out.add(` GENERATED ${column.identity} AS IDENTITY`, at(column.span));
    });
  }
  if (table.primaryKey) {
    const pk = table.primaryKey;
    parts.push(() =>
      out.add(`CONSTRAINT ${q(pk.name)} PRIMARY KEY(${pk.columns.map(q).join(",")})`, at(pk.span)),
    );
  }
  // pgSerializer.ts collects a column's .unique() and the table's unique() into one list of
  // named UNIQUE table constraints.
  for (const column of table.columns) {
    const u = column.unique;
    if (!u) continue;
    parts.push(() =>
      out.add(
        `CONSTRAINT ${q(u.name)} UNIQUE${u.nullsNotDistinct ? " NULLS NOT DISTINCT" : ""}(${q(column.name)})`,
        at(u.span),
      ),
    );
  }
  for (const u of table.uniques) {
    parts.push(() =>
      out.add(
        `CONSTRAINT ${q(u.name)} UNIQUE${u.nullsNotDistinct ? " NULLS NOT DISTINCT" : ""}(${u.columns.map(q).join(",")})`,
        at(u.span),
      ),
    );
  }
  parts.forEach((part, i) => {
    if (i > 0) out.add(", ");
    part();
  });
  out.add(")");
  return out;
}

/**
 * PgCreateForeignKeyConvertor: `ALTER TABLE "t" ADD CONSTRAINT "n" FOREIGN KEY ("c") REFERENCES
 * "public"."other"("id") ON DELETE … ON UPDATE …`, located at the `.references(...)` or
 * `foreignKey(...)` code.
 */
export function foreignKeySqls(table: DrizzleTable): GeneratedSql[] {
  return table.foreignKeys.map((fk) => {
    const range = rangeOf(table.ts, fk.span);
    const out = new GeneratedSql(range, fk.span.start);
    out.add(`ALTER TABLE ${qualified(table.schema, table.name)} `);
    out.add(
      `ADD CONSTRAINT ${q(fk.name)} FOREIGN KEY (${fk.columns.map(q).join(",")}) REFERENCES ${qualified(fk.refSchema ?? "public", fk.refTable)}(${fk.refColumns.map(q).join(",")})`,
      range,
    );
    // drizzle-kit writes both actions, "no action" by default (ForeignKey.onDelete/onUpdate).
    out.add(` ON DELETE ${fk.onDelete ?? "no action"} ON UPDATE ${fk.onUpdate ?? "no action"}`);
    return out;
  });
}

/** CreatePgIndexConvertor: `CREATE [UNIQUE] INDEX [CONCURRENTLY] "n" ON "t" USING m (keys) [WHERE …]`. */
export function indexSqls(table: DrizzleTable): GeneratedSql[] {
  return table.indexes.map((index) => {
    const range = rangeOf(table.ts, index.span);
    const out = new GeneratedSql(range, index.span.start);
    out.add(`CREATE ${index.unique ? "UNIQUE " : ""}INDEX ${index.concurrently ? "CONCURRENTLY " : ""}`);
    out.add(`${q(index.name)} ON ${qualified(table.schema, table.name)} USING ${index.method} (`);
    index.keys.forEach((key, i) => {
      if (i > 0) out.add(",");
      out.add(key.sql, rangeOf(table.ts, key.span));
    });
    out.add(")");
    if (index.where !== null) out.add(` WHERE ${index.where}`);
    return out;
  });
}
