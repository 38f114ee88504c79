/**
 * SQLAlchemy schema items → the PostgreSQL DDL that SQLAlchemy (and Alembic, which compiles through
 * it) would emit, parsed back with libpg-query so that the rest of the pipeline sees ordinary
 * statements. Each generated statement keeps a map from its clauses to the Python code that
 * produced them, so that a finding about a foreign key points at its `Column(...)` line.
 */
import { createHash } from "node:crypto";
import type { SourceRange } from "../model.js";
import { GeneratedSql, qualified } from "../parse/generated.js";
import { quoteIdent } from "../schema/names.js";
import type {
  ColumnSpec,
  ConstraintSpec,
  ForeignKeySpec,
  IndexSpec,
  NamingConvention,
  TableSpec,
} from "./schema-items.js";

const MAX_IDENTIFIER = 63;

/**
 * The name SQLAlchemy gives a constraint or index through the MetaData naming convention
 * (sqlalchemy/sql/naming.py `ConventionDict`). Null: no convention applies, so the DDL leaves the
 * name out and PostgreSQL chooses it (or, for an index, the explicit name is used).
 */
export function conventionName(
  naming: NamingConvention,
  key: "ix" | "uq" | "fk" | "pk",
  table: string,
  columns: string[],
  explicit: string | null,
  referred?: { table: string; columns: string[] },
): string | null {
  const template = naming.get(key);
  if (!template) return explicit;
  if (explicit !== null && !template.includes("%(constraint_name)s")) return explicit;
  if (explicit === null && template.includes("%(constraint_name)s")) return null;
  let missing = false;
  const name = template.replace(/%\((\w+)\)s/g, (_, token: string) => {
    const value = conventionToken(token, table, columns, explicit, referred);
    if (value === null) missing = true;
    return value ?? "";
  });
  if (missing) return explicit;
  // SQLAlchemy shortens a convention name that is too long with an md5 suffix
  // (compiler.py _truncate_and_render_maxlen_name), instead of PostgreSQL's silent truncation.
  if (Buffer.byteLength(name) > MAX_IDENTIFIER) {
    const hash = createHash("md5").update(name).digest("hex").slice(-4);
    return `${name.slice(0, MAX_IDENTIFIER - 8)}_${hash}`;
  }
  return name;
}

function conventionToken(
  token: string,
  table: string,
  columns: string[],
  explicit: string | null,
  referred?: { table: string; columns: string[] },
): string | null {
  if (token === "table_name") return table;
  if (token === "constraint_name") return explicit;
  if (token === "referred_table_name") return referred?.table ?? null;
  const m = /^(referred_)?column_0(N|_N)?_(name|label|key)$/.exec(token);
  if (!m) return null;
  const cols = m[1] ? (referred?.columns ?? []) : columns;
  const tableName = m[1] ? (referred?.table ?? "") : table;
  const one = (c: string) => (m[3] === "label" ? `${tableName}_${c}` : c);
  if (!m[2]) return cols[0] !== undefined ? one(cols[0]) : null;
  return cols.map(one).join(m[2] === "N" ? "" : "_");
}

/** The name of an index as SQLAlchemy would emit it. */
export function indexName(naming: NamingConvention, table: string, index: IndexSpec): string | null {
  const columns = index.keys.map((k) => k.column ?? "expr");
  if (index.name === null || index.fromColumnFlag) return conventionName(naming, "ix", table, columns, null);
  return conventionName(naming, "ix", table, columns, index.name);
}

/** `CREATE TABLE` as SQLAlchemy's `CreateTable` compiles it for PostgreSQL, plus its indexes. */
export function createTableSql(
  table: TableSpec,
  naming: NamingConvention,
  statementRange: SourceRange,
  offset: number,
): GeneratedSql[] {
  const out = new GeneratedSql(statementRange, offset);
  out.add("CREATE TABLE ").add(qualified(table.schema, table.name), table.range).add(" (");
  const parts: (() => void)[] = [];
  for (const column of table.columns) {
    parts.push(() => out.add(columnSql(column), column.range));
  }
  const pkColumns = table.columns.filter((c) => c.primaryKey);
  const explicitPk = table.constraints.find((c) => c.kind === "primary");
  if (explicitPk) {
    parts.push(() => out.add(constraintSql(explicitPk, table.name, naming), explicitPk.range));
  } else if (pkColumns.length > 0 && pkColumns[0]) {
    const pk: ConstraintSpec = {
      kind: "primary",
      name: null,
      columns: pkColumns.map((c) => c.name),
      range: pkColumns[0].range,
    };
    parts.push(() => out.add(constraintSql(pk, table.name, naming), pk.range));
  }
  // Column(unique=True) is a UniqueConstraint, unless index=True makes it a unique index.
  for (const column of table.columns) {
    if (!column.unique || column.index) continue;
    const uq: ConstraintSpec = { kind: "unique", name: null, columns: [column.name], range: column.range };
    parts.push(() => out.add(constraintSql(uq, table.name, naming), column.range));
  }
  for (const constraint of table.constraints) {
    if (constraint.kind === "primary") continue;
    parts.push(() => out.add(constraintSql(constraint, table.name, naming), constraint.range));
  }
  for (const column of table.columns) {
    for (const fk of column.foreignKeys) {
      // The column is where the user reads and fixes an inline ForeignKey.
      parts.push(() => out.add(foreignKeySql(fk, table.name, naming), column.range));
    }
  }
  for (const fk of table.foreignKeys) {
    parts.push(() => out.add(foreignKeySql(fk, table.name, naming), fk.range));
  }
  parts.forEach((part, i) => {
    if (i > 0) out.add(", ");
    part();
  });
  out.add(")");
  const statements = [out];
  for (const index of tableIndexes(table)) {
    statements.push(createIndexSql(index, table.schema, table.name, naming, index.range, offset));
  }
  return statements;
}

/** Index=True columns first (SQLAlchemy adds them while the Table is built), then explicit Index objects. */
export function tableIndexes(table: TableSpec): IndexSpec[] {
  return [...table.columns.filter((c) => c.index).map(columnIndex), ...table.indexes];
}

/** The index `Column(..., index=True)` asks for. */
export function columnIndex(column: ColumnSpec): IndexSpec {
  return {
    name: null,
    fromColumnFlag: true,
    keys: [{ column: column.name, desc: false, range: column.range }],
    unique: column.unique,
    using: null,
    where: null,
    include: [],
    ops: new Map(),
    concurrently: false,
    ifNotExists: false,
    range: column.range,
  };
}

export function columnSql(column: ColumnSpec): string {
  return `${quoteIdent(column.name)} ${column.type}${column.notNull ? " NOT NULL" : ""}`;
}

function constraintSql(c: ConstraintSpec, table: string, naming: NamingConvention): string {
  const name = conventionName(naming, c.kind === "primary" ? "pk" : "uq", table, c.columns, c.name);
  const head = name ? `CONSTRAINT ${quoteIdent(name)} ` : "";
  return `${head}${c.kind === "primary" ? "PRIMARY KEY" : "UNIQUE"} (${c.columns.map(quoteIdent).join(", ")})`;
}

export function foreignKeySql(fk: ForeignKeySpec, table: string, naming: NamingConvention): string {
  const name = conventionName(naming, "fk", table, fk.columns, fk.name, {
    table: fk.refTable,
    columns: fk.refColumns,
  });
  const head = name ? `CONSTRAINT ${quoteIdent(name)} ` : "";
  return `${head}FOREIGN KEY (${fk.columns.map(quoteIdent).join(", ")}) REFERENCES ${qualified(fk.refSchema, fk.refTable)} (${fk.refColumns.map(quoteIdent).join(", ")})`;
}

/** `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON t [USING m] (keys) [INCLUDE] [WHERE]` */
export function createIndexSql(
  index: IndexSpec,
  schema: string | null,
  table: string,
  naming: NamingConvention,
  range: SourceRange,
  offset: number,
): GeneratedSql {
  const out = new GeneratedSql(range, offset);
  const name = indexName(naming, table, index);
  out.add(`CREATE ${index.unique ? "UNIQUE " : ""}INDEX ${index.concurrently ? "CONCURRENTLY " : ""}`);
  if (index.ifNotExists) out.add("IF NOT EXISTS ");
  if (name) out.add(`${quoteIdent(name)} `);
  out.add(`ON ${qualified(schema, table)}`);
  if (index.using) out.add(` USING ${index.using}`);
  out.add(" (");
  index.keys.forEach((key, i) => {
    if (i > 0) out.add(", ");
    const ops = key.column ? index.ops.get(key.column) : undefined;
    const text = key.column ? quoteIdent(key.column) : `(${key.expression})`;
    out.add(`${text}${ops ? ` ${ops}` : ""}${key.desc ? " DESC" : ""}`, key.range);
  });
  out.add(")");
  if (index.include.length) out.add(` INCLUDE (${index.include.map(quoteIdent).join(", ")})`);
  if (index.where) out.add(` WHERE ${index.where}`);
  return out;
}
