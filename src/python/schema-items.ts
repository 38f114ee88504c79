/**
 * SQLAlchemy schema items as the source declares them: `Column`/`mapped_column`, `ForeignKey`,
 * `Index`, `UniqueConstraint`, `PrimaryKeyConstraint`, `ForeignKeyConstraint`, and the
 * `postgresql_where` / `postgresql_using` options. Alembic operations take the same items, so both
 * the Alembic runner and the model reader use this file. Nothing here emits SQL; see ddl.ts.
 */
import type { SourceRange } from "../model.js";
import { type PythonFile, rangeOf } from "./syntax.js";
import { bool, calleeName, items, nameValue, type PyValue, str } from "./values.js";

export interface ForeignKeySpec {
  name: string | null;
  columns: string[];
  refSchema: string | null;
  refTable: string;
  refColumns: string[];
  range: SourceRange;
}

export interface IndexKeySpec {
  /** A plain column, or an SQL expression (from `text(...)`, `func.lower(...)`). */
  column?: string;
  expression?: string;
  desc: boolean;
  range: SourceRange;
}

export interface IndexSpec {
  name: string | null;
  /** SQLAlchemy's `index=True`: named by the `ix` naming convention. */
  fromColumnFlag: boolean;
  keys: IndexKeySpec[];
  unique: boolean;
  using: string | null;
  where: string | null;
  include: string[];
  ops: Map<string, string>;
  concurrently: boolean;
  ifNotExists: boolean;
  range: SourceRange;
}

export interface ConstraintSpec {
  kind: "primary" | "unique";
  name: string | null;
  columns: string[];
  range: SourceRange;
}

export interface ColumnSpec {
  /** The attribute name in a declarative class, when it differs from the column name. */
  attribute: string | null;
  name: string;
  type: string;
  notNull: boolean;
  primaryKey: boolean;
  unique: boolean;
  index: boolean;
  foreignKeys: ForeignKeySpec[];
  range: SourceRange;
}

export interface TableSpec {
  schema: string | null;
  name: string;
  columns: ColumnSpec[];
  constraints: ConstraintSpec[];
  foreignKeys: ForeignKeySpec[];
  indexes: IndexSpec[];
  /** Where the table is named: `__tablename__ = …`, `Table("…"`, `op.create_table("…"`. */
  range: SourceRange;
}

/** A construct that could not be read statically: becomes an `unsupported-construct` warning. */
export interface Skipped {
  message: string;
  range: SourceRange;
}

/**
 * How names in expressions resolve to columns: the attributes of the class being read
 * (`revoked_at == None`), `Model.attr`, `table.c.col`, `sa.column("col")`.
 */
export interface ColumnResolver {
  /** The column name for a reference path, or null. */
  column(path: string): string | null;
  /** `ForeignKey(Product.id)`: the table and column of an attribute path. */
  tableColumn(path: string): { schema: string | null; table: string; column: string } | null;
}

export const NO_RESOLVER: ColumnResolver = {
  // `sa.table("t", sa.column("x")).c.x` and plain names.
  column: (path) => (/^[A-Za-z_]\w*$/.test(path) ? path : (/\.c\.(\w+)$/.exec(path)?.[1] ?? null)),
  tableColumn: () => null,
};

export class ItemReader {
  readonly skipped: Skipped[] = [];
  constructor(
    readonly py: PythonFile,
    /** Changes with the class being read; the skipped list stays per file. */
    public resolver: ColumnResolver,
  ) {}

  skip(node: { from: number; to: number }, message: string): void {
    this.skipped.push({ message, range: rangeOf(this.py, node) });
  }

  range(value: PyValue): SourceRange {
    return rangeOf(this.py, value.node);
  }

  /**
   * `Column("name", Type, ForeignKey(...), primary_key=…, nullable=…, unique=…, index=…)` or
   * `mapped_column(...)`. `attribute` is the declarative attribute it is assigned to;
   * `annotation` the `Mapped[...]` type, used for nullability and type when the call has none.
   */
  column(call: PyValue, attribute: string | null, annotation: string | null = null): ColumnSpec | null {
    if (call.kind !== "call") return null;
    let name: string | null = attribute;
    let type: string | null = null;
    const foreignKeys: ForeignKeySpec[] = [];
    for (const arg of call.args) {
      if (arg.kind === "str" && type === null && name === attribute && arg === call.args[0]) {
        name = arg.value;
        continue;
      }
      const callee = calleeName(arg);
      if (callee === "ForeignKey") {
        const fk = this.foreignKey(arg, name ?? "?");
        if (fk) foreignKeys.push(fk);
        continue;
      }
      if (
        callee === "Sequence" ||
        callee === "Identity" ||
        callee === "Computed" ||
        callee === "CheckConstraint" ||
        callee === "FetchedValue" ||
        callee === "DefaultClause"
      )
        continue;
      if (type === null) type = sqlType(arg);
    }
    if (name === null) {
      this.skip(call.node, "This column has no name that pg-index-lint can read statically; it was skipped.");
      return null;
    }
    const nameKw = str(call.kwargs.get("name"));
    if (nameKw) name = nameKw;
    const primaryKey = bool(call.kwargs.get("primary_key")) === true;
    const nullableArg = call.kwargs.get("nullable");
    const nullable =
      nullableArg?.kind === "bool"
        ? nullableArg.value
        : annotation !== null
          ? /Optional\[|\|\s*None|None\s*\|/.test(annotation)
          : true;
    for (const fk of foreignKeys) fk.columns = [name];
    return {
      attribute,
      name,
      type: type ?? (annotation ? annotationType(annotation) : "text"),
      notNull: primaryKey || !nullable,
      primaryKey,
      unique: bool(call.kwargs.get("unique")) === true,
      index: bool(call.kwargs.get("index")) === true,
      foreignKeys,
      range: this.range(call),
    };
  }

  /** `ForeignKey("table.col")`, `ForeignKey("schema.table.col")`, `ForeignKey(Model.col)`. */
  foreignKey(call: PyValue, column: string): ForeignKeySpec | null {
    if (call.kind !== "call") return null;
    const target = call.args[0];
    const name = nameValue(call.kwargs.get("name"));
    const ref = this.referent(target);
    if (!ref) {
      this.skip(
        call.node,
        "The target of this ForeignKey cannot be read statically; the foreign key was skipped.",
      );
      return null;
    }
    return {
      name,
      columns: [column],
      refSchema: ref.schema,
      refTable: ref.table,
      refColumns: [ref.column],
      range: this.range(call),
    };
  }

  private referent(
    target: PyValue | undefined,
  ): { schema: string | null; table: string; column: string } | null {
    if (!target) return null;
    if (target.kind === "str") {
      const parts = target.value.split(".");
      const column = parts.pop();
      const table = parts.pop();
      if (!column || !table) return null;
      return { schema: parts.length ? parts.join(".") : null, table, column };
    }
    if (target.kind === "ref") return this.resolver.tableColumn(target.path);
    return null;
  }

  /** `ForeignKeyConstraint(["a"], ["t.id"], name=...)` */
  foreignKeyConstraint(call: PyValue): ForeignKeySpec | null {
    if (call.kind !== "call") return null;
    const columns = this.columnList(call.args[0]);
    const refs = items(call.args[1]);
    if (!columns || !refs || refs.length === 0) {
      this.skip(
        call.node,
        "The columns of this ForeignKeyConstraint cannot be read statically; it was skipped.",
      );
      return null;
    }
    const targets = refs.map((r) => this.referent(r));
    const first = targets[0];
    if (!first || targets.some((t) => t === null || t.table !== first.table)) {
      this.skip(
        call.node,
        "The referenced columns of this ForeignKeyConstraint cannot be read statically; it was skipped.",
      );
      return null;
    }
    return {
      name: nameValue(call.kwargs.get("name")),
      columns,
      refSchema: first.schema,
      refTable: first.table,
      refColumns: targets.map((t) => t?.column ?? ""),
      range: this.range(call),
    };
  }

  /** `UniqueConstraint("a", "b", name=...)`, `PrimaryKeyConstraint(...)`. */
  constraint(call: PyValue, kind: "primary" | "unique"): ConstraintSpec | null {
    if (call.kind !== "call") return null;
    const columns = call.args.map((a) => this.columnName(a));
    if (columns.some((c) => c === null) || columns.length === 0) {
      this.skip(
        call.node,
        `The columns of this ${kind === "primary" ? "PrimaryKeyConstraint" : "UniqueConstraint"} cannot be read statically; it was skipped.`,
      );
      return null;
    }
    return {
      kind,
      name: nameValue(call.kwargs.get("name")),
      columns: columns as string[],
      range: this.range(call),
    };
  }

  /**
   * A positional item of a table (`Table(…)`, `op.create_table(…)`, `__table_args__`): a column,
   * when `columns` allows it, or a table-level constraint or index, added to `spec`. False when it
   * could not be read; `skipMessage` then says so at the item.
   */
  tableItem(spec: TableSpec, item: PyValue, options: { columns: boolean; skipMessage: string }): boolean {
    const callee = calleeName(item) ?? "";
    if (options.columns && (callee === "Column" || callee === "mapped_column")) {
      const column = this.column(item, null);
      if (column) spec.columns.push(column);
      return column !== null;
    }
    switch (callee) {
      case "PrimaryKeyConstraint":
      case "UniqueConstraint": {
        const c = this.constraint(item, callee === "PrimaryKeyConstraint" ? "primary" : "unique");
        if (c) spec.constraints.push(c);
        return c !== null;
      }
      case "ForeignKeyConstraint": {
        const fk = this.foreignKeyConstraint(item);
        if (fk) spec.foreignKeys.push(fk);
        return fk !== null;
      }
      case "Index": {
        const index = this.index(item);
        if (index) spec.indexes.push(index);
        return index !== null;
      }
      // A CHECK constraint builds no index; nothing to model.
      case "CheckConstraint":
        return true;
      default:
        this.skip(item.node, options.skipMessage);
        return false;
    }
  }

  /** `Index("name", "a", Model.b, text("lower(c)"), unique=…, postgresql_where=…, postgresql_using=…)` */
  index(call: PyValue, options: { name?: PyValue | undefined; keys?: PyValue[] } = {}): IndexSpec | null {
    if (call.kind !== "call") return null;
    const nameArg = options.name ?? call.args[0];
    const keyArgs = options.keys ?? call.args.slice(1);
    const name = nameArg === undefined || nameArg.kind === "none" ? null : nameValue(nameArg);
    if (nameArg !== undefined && nameArg.kind !== "none" && name === null) {
      this.skip(call.node, "The name of this index cannot be read statically; it was skipped.");
      return null;
    }
    const keys: IndexKeySpec[] = [];
    for (const arg of keyArgs) {
      const key = this.indexKey(arg);
      if (!key) {
        this.skip(arg.node, "This index key cannot be read statically; the index was skipped.");
        return null;
      }
      keys.push(key);
    }
    if (keys.length === 0) {
      this.skip(call.node, "This index names no columns that pg-index-lint can read; it was skipped.");
      return null;
    }
    const whereArg = call.kwargs.get("postgresql_where");
    let where: string | null = null;
    if (whereArg && whereArg.kind !== "none") {
      where = this.predicate(whereArg);
      if (where === null) {
        this.skip(whereArg.node, "This postgresql_where cannot be read statically; the index was skipped.");
        return null;
      }
    }
    const include = this.columnList(call.kwargs.get("postgresql_include")) ?? [];
    const ops = new Map<string, string>();
    const opsArg = call.kwargs.get("postgresql_ops");
    if (opsArg?.kind === "dict") {
      for (const [k, v] of opsArg.entries) {
        const key = str(k);
        const value = str(v);
        if (key && value) ops.set(key, value);
      }
    }
    return {
      name,
      fromColumnFlag: false,
      keys,
      unique: bool(call.kwargs.get("unique")) === true,
      using: str(call.kwargs.get("postgresql_using")),
      where,
      include,
      ops,
      concurrently: bool(call.kwargs.get("postgresql_concurrently")) === true,
      ifNotExists: bool(call.kwargs.get("if_not_exists")) === true,
      range: this.range(call),
    };
  }

  indexKey(arg: PyValue): IndexKeySpec | null {
    const range = this.range(arg);
    if (arg.kind === "call") {
      const callee = calleeName(arg);
      if (callee === "desc" || callee === "asc") {
        const inner = arg.args[0] ?? arg.target;
        const key = inner ? this.indexKey(inner) : null;
        return key ? { ...key, desc: callee === "desc", range } : null;
      }
      if (arg.method === "desc" || arg.method === "asc") {
        const key = arg.target ? this.indexKey(arg.target) : null;
        return key ? { ...key, desc: arg.method === "desc", range } : null;
      }
      if (callee === "text" || callee === "literal_column") {
        const text = str(arg.args[0]);
        if (text === null) return null;
        const plain = /^\s*"?([A-Za-z_][\w$]*)"?\s*(asc|desc)?\s*$/i.exec(text);
        if (plain?.[1]) return { column: plain[1], desc: /desc/i.test(plain[2] ?? ""), range };
        const ordered = /^(.*?)\s+(asc|desc)\s*$/i.exec(text);
        return { expression: ordered?.[1] ?? text, desc: /desc/i.test(ordered?.[2] ?? ""), range };
      }
      const expr = this.sqlExpression(arg);
      if (expr !== null) return { expression: expr, desc: false, range };
    }
    const column = this.columnName(arg);
    return column === null ? null : { column, desc: false, range };
  }

  /** A column named by a string, `Model.attr`, `t.c.col`, `sa.column("x")` or a bare attribute. */
  columnName(value: PyValue | undefined): string | null {
    if (!value) return null;
    if (value.kind === "str") return value.value;
    if (value.kind === "ref") return this.resolver.column(value.path);
    if (value.kind === "call") {
      const callee = calleeName(value);
      if (callee === "column" || callee === "literal_column") return str(value.args[0]);
      if (callee === "Column" || callee === "mapped_column") {
        // A class attribute used in its own class body (`revoked_at == None`): the use site names it.
        const first = value.args[0];
        if (first?.kind === "str") return first.value;
        return this.resolver.column(this.py.text.slice(value.node.from, value.node.to));
      }
    }
    return null;
  }

  columnList(value: PyValue | undefined): string[] | null {
    if (value === undefined) return null;
    if (value.kind === "str") return [value.value];
    const list = items(value);
    if (!list) return null;
    const names = list.map((v) => this.columnName(v));
    return names.some((n) => n === null) ? null : (names as string[]);
  }

  /**
   * `postgresql_where` as SQL: `col == None`, `col.is_(None)`, `col.isnot(None)`, `text("…")`,
   * `and_(…)`, `~col`, comparisons with literals.
   */
  predicate(value: PyValue): string | null {
    switch (value.kind) {
      case "str":
        return value.value;
      case "compare": {
        const left = this.operand(value.left);
        const right = this.operand(value.right);
        if (left === null || right === null) return null;
        if (right === "NULL" && (value.op === "==" || value.op === "is")) return `${left} IS NULL`;
        if (right === "NULL" && (value.op === "!=" || value.op === "is not")) return `${left} IS NOT NULL`;
        const op = {
          "==": "=",
          "!=": "<>",
          "<": "<",
          ">": ">",
          "<=": "<=",
          ">=": ">=",
          is: "IS",
          "is not": "IS NOT",
        }[value.op];
        return op ? `${left} ${op} ${right}` : null;
      }
      case "logic": {
        const left = this.predicate(value.left);
        const right = this.predicate(value.right);
        return left && right ? `(${left}) ${value.op.toUpperCase()} (${right})` : null;
      }
      case "unary": {
        if (value.op !== "~" && value.op !== "not") return null;
        const inner = this.predicate(value.operand);
        return inner ? `NOT (${inner})` : null;
      }
      case "call": {
        const callee = calleeName(value);
        if (callee === "text" || callee === "literal_column") return str(value.args[0]);
        if (callee === "and_" || callee === "or_") {
          const parts = value.args.map((a) => this.predicate(a));
          if (parts.some((p) => p === null) || parts.length === 0) return null;
          return parts.map((p) => `(${p})`).join(callee === "and_" ? " AND " : " OR ");
        }
        if (callee === "not_") {
          const inner = value.args[0] ? this.predicate(value.args[0]) : null;
          return inner ? `NOT (${inner})` : null;
        }
        if (callee === "true" || callee === "false") return callee;
        if (value.target && value.method) {
          const left = this.operand(value.target);
          if (left === null) return null;
          const arg = value.args[0] ? this.operand(value.args[0]) : null;
          switch (value.method) {
            case "is_":
              return arg ? `${left} IS ${arg}` : null;
            case "isnot":
            case "is_not":
              return arg ? `${left} IS NOT ${arg}` : null;
            case "in_": {
              const list = items(value.args[0]);
              const values = list?.map((v) => this.operand(v));
              if (!values || values.some((v) => v === null)) return null;
              return `${left} IN (${values.join(", ")})`;
            }
            case "is_true":
            case "is_false":
              return `${left} IS ${value.method === "is_true" ? "TRUE" : "FALSE"}`;
            default:
              return null;
          }
        }
        // A boolean column used as a condition: `postgresql_where=Model.active`.
        const column = this.columnName(value);
        return column;
      }
      case "ref":
        return this.resolver.column(value.path);
      default:
        return null;
    }
  }

  private operand(value: PyValue): string | null {
    switch (value.kind) {
      case "none":
        return "NULL";
      case "bool":
        return value.value ? "true" : "false";
      case "num":
        return String(value.value);
      case "str":
        return `'${value.value.replace(/'/g, "''")}'`;
      case "ref":
        return this.resolver.column(value.path);
      case "call": {
        const callee = calleeName(value);
        if (callee === "text" || callee === "literal_column") return str(value.args[0]);
        if (callee === "null") return "NULL";
        if (callee === "true" || callee === "false") return callee;
        return this.columnName(value) ?? this.sqlExpression(value);
      }
      default:
        return null;
    }
  }

  /** `func.lower(Model.email)` → `lower(email)`. */
  sqlExpression(value: PyValue): string | null {
    if (value.kind !== "call" || !value.callee) return null;
    const match = /(?:^|\.)func\.(\w+)$/.exec(value.callee);
    if (!match) return null;
    const args = value.args.map((a) => this.operand(a));
    if (args.some((a) => a === null)) return null;
    return `${match[1]}(${args.join(", ")})`;
  }
}

/** SQLAlchemy and PostgreSQL dialect types → SQL. Types do not change index rules; a rough name is enough. */
export function sqlType(value: PyValue): string | null {
  let name: string | null = null;
  let args: PyValue[] = [];
  if (value.kind === "ref") name = value.path.split(".").at(-1) ?? null;
  else if (value.kind === "call" && value.callee) {
    name = value.callee.split(".").at(-1) ?? null;
    args = value.args;
  } else return null;
  if (!name) return null;
  const n = (i: number) => (args[i]?.kind === "num" ? (args[i] as { value: number }).value : null);
  const tz = value.kind === "call" && bool(value.kwargs.get("timezone")) === true;
  switch (name) {
    case "Integer":
    case "INTEGER":
    case "INT":
      return "integer";
    case "BigInteger":
    case "BIGINT":
      return "bigint";
    case "SmallInteger":
    case "SMALLINT":
      return "smallint";
    case "String":
    case "Unicode":
    case "VARCHAR":
    case "NVARCHAR":
    case "CHAR":
      return n(0) !== null ? `varchar(${n(0)})` : "varchar";
    case "Text":
    case "UnicodeText":
    case "TEXT":
      return "text";
    case "Boolean":
    case "BOOLEAN":
      return "boolean";
    case "DateTime":
    case "TIMESTAMP":
      return tz ? "timestamptz" : "timestamp";
    case "Date":
    case "DATE":
      return "date";
    case "Time":
    case "TIME":
      return "time";
    case "Interval":
    case "INTERVAL":
      return "interval";
    case "Float":
    case "FLOAT":
    case "REAL":
    case "Double":
    case "DOUBLE_PRECISION":
      return "float8";
    case "Numeric":
    case "NUMERIC":
    case "DECIMAL":
      return "numeric";
    case "UUID":
    case "Uuid":
      return "uuid";
    case "JSON":
      return "json";
    case "JSONB":
      return "jsonb";
    case "LargeBinary":
    case "BYTEA":
    case "LargeBinaryType":
      return "bytea";
    case "INET":
      return "inet";
    case "CIDR":
      return "cidr";
    case "CITEXT":
      return "citext";
    case "TSVECTOR":
      return "tsvector";
    case "ARRAY": {
      const inner = args[0] ? sqlType(args[0]) : null;
      return `${inner ?? "text"}[]`;
    }
    default:
      // Enums, custom TypeDecorators, Geometry…: the replay only needs a name.
      return /^[A-Z]/.test(name) ? "text" : null;
  }
}

function annotationType(annotation: string): string {
  const inner = /Mapped\[\s*(?:Optional\[)?\s*([\w.]+)/.exec(annotation)?.[1]?.split(".").at(-1);
  switch (inner) {
    case "int":
      return "integer";
    case "bool":
      return "boolean";
    case "float":
      return "float8";
    case "datetime":
      return "timestamp";
    case "date":
      return "date";
    case "UUID":
    case "uuid":
      return "uuid";
    case "Decimal":
      return "numeric";
    default:
      return "varchar";
  }
}

/** SQLAlchemy's MetaData naming convention; `ix` defaults to `ix_%(column_0_label)s`. */
export type NamingConvention = Map<string, string>;

export function defaultNaming(): NamingConvention {
  return new Map([["ix", "ix_%(column_0_label)s"]]);
}

/** Reads `MetaData(naming_convention={...})`'s dict. Keys other than the short ones (class keys) are ignored. */
export function readNamingConvention(value: PyValue | undefined): NamingConvention | null {
  if (value?.kind !== "dict") return null;
  const out = defaultNaming();
  for (const [k, v] of value.entries) {
    const key = str(k);
    const template = str(v);
    if (key && template) out.set(key, template);
  }
  return out;
}
