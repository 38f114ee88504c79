/**
 * SQLAlchemy models → the DDL `metadata.create_all()` would emit, as located statements, without
 * running Python. Reads declarative classes (`__tablename__`, classic `Column` and 2.0
 * `Mapped[...] = mapped_column(...)`), mixins, single-table subclasses, `__table_args__`,
 * imperative `Table(...)`, module-level `Index(...)`, and the `MetaData(naming_convention=…)`.
 */
import type { ModelFile, Statement } from "../model.js";
import { type GeneratedSql, parseGenerated } from "../parse/generated.js";
import { createTableSql } from "../python/ddl.js";
import {
  type ColumnResolver,
  type ColumnSpec,
  defaultNaming,
  ItemReader,
  type NamingConvention,
  readNamingConvention,
  type Skipped,
  type TableSpec,
} from "../python/schema-items.js";
import {
  dottedName,
  inlineIgnores,
  lastPart,
  meaningfulChildren,
  type PythonFile,
  rangeOf,
  type SyntaxNode,
  statementsOf,
  textOf,
  unwrapDecorated,
} from "../python/syntax.js";
import { evaluate, items, type PyValue, Scope, str } from "../python/values.js";

interface ClassInfo {
  py: PythonFile;
  node: SyntaxNode;
  name: string;
  bases: string[];
  body: SyntaxNode;
  scope: Scope;
  tablename: string | null;
  /** `__tablename__` is assigned but not to a literal. */
  dynamicTablename: SyntaxNode | null;
  tablenameNode: SyntaxNode | null;
  /** attribute → column name, for expressions that name columns by attribute. */
  attributes: Map<string, string>;
  /** The table this class maps (its own, or a single-table parent's). */
  table: TableSpec | null;
}

const COLUMN_CALLS = new Set(["Column", "mapped_column"]);

const TX = {
  inTransaction: false,
  reason: "autocommit" as const,
  detail: "declared in a SQLAlchemy model; metadata.create_all() would create it",
};

/** Reads every model file; a file with syntax errors keeps them in its `errors` and yields nothing. */
export function loadSqlAlchemyModels(files: PythonFile[]): ModelFile[] {
  const classes = new Map<string, ClassInfo>();
  const readers = new Map<PythonFile, ItemReader>();
  const extraSkipped: Skipped[] = [];
  const usable = files.filter((py) => py.errors.length === 0);
  let naming: NamingConvention = defaultNaming();

  // Pass 1: classes, naming convention.
  for (const py of usable) {
    const moduleScope = new Scope(py).collect(statementsOf(py.tree.topNode));
    py.tree.iterate({
      enter: (ref) => {
        if (ref.name !== "CallExpression") return;
        const node = ref.node;
        if (lastPart(dottedName(py, node.firstChild)) !== "MetaData") return;
        const value = evaluate(moduleScope, node);
        if (value.kind !== "call") return;
        const convention = value.kwargs.get("naming_convention");
        if (!convention) return;
        const read = readNamingConvention(convention);
        if (read) naming = read;
        else
          extraSkipped.push({
            message:
              "This naming_convention cannot be read statically; SQLAlchemy's default index names are assumed.",
            range: rangeOf(py, convention.node),
          });
      },
    });
    for (const statement of statementsOf(py.tree.topNode)) {
      const def = unwrapDecorated(statement);
      if (def?.name !== "ClassDefinition") continue;
      const info = classInfo(py, def, moduleScope);
      if (info) classes.set(info.name, info);
    }
  }

  const resolverFor = (info: ClassInfo | null): ColumnResolver => ({
    column(path) {
      const parts = path.split(".");
      if (parts.length === 1) return info?.attributes.get(path) ?? path;
      const viaC = /\.c\.(\w+)$/.exec(path);
      if (viaC?.[1]) return viaC[1];
      const owner = classes.get(parts[0] ?? "");
      const attr = parts[1] ?? "";
      if (owner && parts.length === 2) return owner.attributes.get(attr) ?? attr;
      return null;
    },
    tableColumn(path) {
      const parts = path.split(".");
      const owner = classes.get(parts[0] ?? "");
      if (!owner || parts.length !== 2) return null;
      const table = owner.table ?? null;
      const name = table?.name ?? owner.tablename;
      if (!name) return null;
      return {
        schema: table?.schema ?? null,
        table: name,
        column: owner.attributes.get(parts[1] ?? "") ?? parts[1] ?? "",
      };
    },
  });

  const tables: { py: PythonFile; spec: TableSpec; node: SyntaxNode }[] = [];

  // Pass 2: tables of declarative classes, in file order. Parents before single-table children.
  const ordered = [...classes.values()];
  for (const info of ordered) {
    const reader = readerFor(readers, info.py, resolverFor(info));
    if (info.dynamicTablename) {
      reader.skip(
        info.dynamicTablename,
        "This __tablename__ is not a string literal; the model was skipped.",
      );
      continue;
    }
    if (info.tablename === null) continue;
    const spec: TableSpec = {
      schema: null,
      name: info.tablename,
      columns: [],
      constraints: [],
      foreignKeys: [],
      indexes: [],
      range: rangeOf(info.py, info.tablenameNode ?? info.node),
    };
    info.table = spec;
    tables.push({ py: info.py, spec, node: info.node });
  }
  // Columns need every table's name known first (ForeignKey(Other.id)).
  for (const info of ordered) {
    if (!info.table) {
      // A subclass without __tablename__ of a mapped class: single-table inheritance adds its
      // columns to the parent's table.
      const parent = info.bases.map((b) => classes.get(b)).find((c) => c?.table);
      if (parent?.table && hasColumns(info)) info.table = parent.table;
      else continue;
      readColumns(info, info.table, readerFor(readers, info.py, resolverFor(info)));
      continue;
    }
    const reader = readerFor(readers, info.py, resolverFor(info));
    // Mixins first, as SQLAlchemy copies their columns onto the mapped class.
    for (const mixin of mixinsOf(info, classes)) {
      readColumns(mixin, info.table, readerFor(readers, mixin.py, resolverFor(info)), info);
    }
    readColumns(info, info.table, reader);
    readTableArgs(info, info.table, reader);
  }

  // Imperative tables and module-level indexes.
  const tableVars = new Map<string, TableSpec>();
  for (const py of usable) {
    const moduleScope = new Scope(py).collect(statementsOf(py.tree.topNode));
    const reader = readerFor(readers, py, resolverFor(null));
    for (const statement of statementsOf(py.tree.topNode)) {
      const value =
        statement.name === "AssignStatement" ? meaningfulChildren(statement).at(-1) : statement.firstChild;
      if (value?.name !== "CallExpression") continue;
      const callee = lastPart(dottedName(py, value.firstChild));
      if (callee === "Table") {
        const spec = imperativeTable(evaluate(moduleScope, value), reader);
        if (spec) tables.push({ py, spec, node: statement });
        const variable = statement.name === "AssignStatement" ? statement.firstChild : null;
        if (spec && variable?.name === "VariableName") tableVars.set(textOf(py, variable), spec);
      } else if (callee === "Index") {
        const call = evaluate(moduleScope, value);
        const index = reader.index(call);
        if (!index || call.kind !== "call") continue;
        const owner = ownerTable(call.args[1], classes, tableVars);
        if (owner) owner.indexes.push(index);
        else reader.skip(value, "The table of this Index cannot be read statically; it was skipped.");
      }
    }
  }

  // Statements, grouped by the file that declares each table.
  const out = new Map<PythonFile, ModelFile>();
  for (const py of files) {
    out.set(py, {
      file: py.file,
      statements: [],
      errors: py.errors,
      warnings: [],
      ignores: inlineIgnores(py),
      locators: new Map(),
    });
  }
  for (const { py, spec, node } of tables) {
    const model = out.get(py);
    if (!model) continue;
    const generated: GeneratedSql[] = createTableSql(spec, naming, rangeOf(py, node), node.from);
    for (const g of generated) {
      const parsed = parseGenerated(g);
      if ("error" in parsed) {
        model.warnings.push({
          message: `pg-index-lint could not turn this declaration into SQL it can parse (${parsed.error}); it was skipped.`,
          range: g.range,
        });
        continue;
      }
      const statement: Statement = {
        node: parsed.node,
        sql: parsed.sql,
        range: parsed.range,
        offset: parsed.offset,
        tx: TX,
        generated: true,
      };
      model.statements.push(statement);
      model.locators.set(statement, parsed.locate);
    }
  }
  for (const [py, reader] of readers) {
    const model = out.get(py);
    for (const s of reader.skipped) model?.warnings.push({ message: s.message, range: s.range });
  }
  for (const s of extraSkipped) {
    const model = [...out.values()].find((m) => m.file === s.range.file);
    model?.warnings.push({ message: s.message, range: s.range });
  }
  return [...out.values()];
}

function readerFor(
  readers: Map<PythonFile, ItemReader>,
  py: PythonFile,
  resolver: ColumnResolver,
): ItemReader {
  // One reader per file collects the skipped constructs; the resolver changes with the class.
  const reader = readers.get(py) ?? new ItemReader(py, resolver);
  reader.resolver = resolver;
  readers.set(py, reader);
  return reader;
}

function classInfo(py: PythonFile, def: SyntaxNode, moduleScope: Scope): ClassInfo | null {
  const nameNode = def.getChild("VariableName");
  const body = def.getChild("Body");
  if (!nameNode || !body) return null;
  const argList = def.getChild("ArgList");
  const bases = argList
    ? meaningfulChildren(argList)
        .map((b) => lastPart(dottedName(py, b)))
        .filter((b): b is string => b !== null)
    : [];
  const statements = statementsOf(body);
  const scope = new Scope(py, moduleScope).collect(statements);
  let tablename: string | null = null;
  let dynamicTablename: SyntaxNode | null = null;
  let tablenameNode: SyntaxNode | null = null;
  const attributes = new Map<string, string>();
  for (const statement of statements) {
    const target = assignmentTarget(py, statement);
    if (!target) {
      const def = unwrapDecorated(statement);
      if (def?.name === "FunctionDefinition" && statement.name === "DecoratedStatement") {
        const fname = textOf(py, def.getChild("VariableName") ?? def);
        if (fname === "__tablename__") dynamicTablename = statement;
      }
      continue;
    }
    if (target.name === "__tablename__") {
      const value = target.value ? evaluate(scope, target.value) : null;
      tablename = str(value ?? undefined);
      tablenameNode = statement;
      if (tablename === null) dynamicTablename = statement;
      continue;
    }
    if (target.value?.name === "CallExpression") {
      const callee = lastPart(dottedName(py, target.value.firstChild));
      if (callee && COLUMN_CALLS.has(callee)) {
        const value = evaluate(scope, target.value);
        const first = value.kind === "call" ? value.args[0] : undefined;
        attributes.set(target.name, first?.kind === "str" ? first.value : target.name);
      }
    } else if (target.value === null && target.annotation?.includes("Mapped[")) {
      attributes.set(target.name, target.name);
    }
  }
  return {
    py,
    node: def,
    name: textOf(py, nameNode),
    bases,
    body,
    scope,
    tablename,
    dynamicTablename,
    tablenameNode,
    attributes,
    table: null,
  };
}

interface AssignmentTarget {
  name: string;
  value: SyntaxNode | null;
  annotation: string | null;
}

function assignmentTarget(py: PythonFile, statement: SyntaxNode): AssignmentTarget | null {
  if (statement.name !== "AssignStatement") return null;
  const parts = meaningfulChildren(statement);
  const target = parts[0];
  if (target?.name !== "VariableName") return null;
  const typeDef = statement.getChild("TypeDef");
  const annotation = typeDef ? textOf(py, typeDef).replace(/^:\s*/, "") : null;
  const hasValue = parts.some((p) => p.name === "AssignOp");
  return { name: textOf(py, target), value: hasValue ? (parts.at(-1) ?? null) : null, annotation };
}

function hasColumns(info: ClassInfo): boolean {
  return info.attributes.size > 0;
}

/** Base classes in the models that are not mapped themselves but carry columns: mixins. */
function mixinsOf(info: ClassInfo, classes: Map<string, ClassInfo>, seen = new Set<string>()): ClassInfo[] {
  const out: ClassInfo[] = [];
  for (const base of info.bases) {
    const mixin = classes.get(base);
    if (!mixin || seen.has(base) || mixin.tablename !== null) continue;
    seen.add(base);
    out.push(...mixinsOf(mixin, classes, seen), mixin);
  }
  return out.filter((m) => hasColumns(m));
}

/** The Column / mapped_column attributes of a class body, and its bare `x: Mapped[T]` annotations. */
function readColumns(
  info: ClassInfo,
  table: TableSpec,
  reader: ItemReader,
  mappedInto: ClassInfo = info,
): void {
  for (const statement of statementsOf(info.body)) {
    const def = unwrapDecorated(statement);
    if (statement.name === "DecoratedStatement" && def?.name === "FunctionDefinition") {
      const decorator = textOf(info.py, statement.getChild("Decorator") ?? statement);
      if (/declared_attr/.test(decorator)) {
        const fname = textOf(info.py, def.getChild("VariableName") ?? def);
        if (fname !== "__tablename__" && fname !== "__table_args__")
          reader.skip(
            statement,
            `The declared_attr \`${fname}\` is computed when Python runs; pg-index-lint skipped it.`,
          );
        else if (fname === "__table_args__")
          reader.skip(
            statement,
            "This __table_args__ is computed by a declared_attr; its indexes and constraints were skipped.",
          );
      }
      continue;
    }
    const target = assignmentTarget(info.py, statement);
    if (!target || target.name.startsWith("__")) continue;
    if (target.value === null) {
      // 2.0: `name: Mapped[str]` alone is a column.
      if (
        target.annotation &&
        /^Mapped\[/.test(target.annotation) &&
        !/Mapped\[\s*(list|List|set|Set)\[|relationship/.test(target.annotation) &&
        !looksLikeRelationship(target.annotation)
      ) {
        table.columns.push(columnFromAnnotation(target.name, target.annotation, reader, statement));
      }
      continue;
    }
    if (target.value.name !== "CallExpression") continue;
    let call: SyntaxNode = target.value;
    let callee = lastPart(dottedName(info.py, call.firstChild));
    if (callee === "column_property") {
      // `x = column_property(Column(...), Parent.x)`: a joined subclass maps its own column with
      // the parent's name (CTFd's Solves); the Column inside is the declaration.
      const inner = meaningfulChildren(call.getChild("ArgList") ?? call)[0];
      if (inner?.name !== "CallExpression") continue;
      call = inner;
      callee = lastPart(dottedName(info.py, call.firstChild));
    }
    if (!callee || !COLUMN_CALLS.has(callee)) continue;
    const value = evaluate(info.scope, call);
    if (value.kind === "call" && value.spread) {
      reader.skip(call, "This column passes *args or **kwargs; it was skipped.");
      continue;
    }
    const column = reader.column(value, target.name, target.annotation);
    if (!column) continue;
    const existing = table.columns.findIndex((c) => c.name === column.name);
    // A subclass or the class itself overrides a mixin's column of the same name.
    if (existing !== -1) table.columns.splice(existing, 1, column);
    else table.columns.push(column);
    mappedInto.attributes.set(target.name, column.name);
  }
}

function looksLikeRelationship(annotation: string): boolean {
  // Mapped["Other"] / Mapped[Other] are relationships when Other is a class; a scalar type is a column.
  const inner = /^Mapped\[\s*(?:Optional\[)?\s*["']?([\w.]+)/.exec(annotation)?.[1] ?? "";
  return !/^(int|str|bool|float|bytes|datetime|date|time|timedelta|Decimal|UUID|uuid|dict|Any|JSON|decimal\.Decimal|datetime\.\w+|uuid\.UUID)$/.test(
    inner,
  );
}

function columnFromAnnotation(
  name: string,
  annotation: string,
  reader: ItemReader,
  node: SyntaxNode,
): ColumnSpec {
  const nullable = /Optional\[|\|\s*None|None\s*\|/.test(annotation);
  const column = reader.column(
    {
      kind: "call",
      callee: "mapped_column",
      target: null,
      method: null,
      args: [],
      kwargs: new Map(),
      spread: false,
      node,
    } as PyValue,
    name,
    annotation,
  );
  return (
    column ?? {
      attribute: name,
      name,
      type: "text",
      notNull: !nullable,
      primaryKey: false,
      unique: false,
      index: false,
      foreignKeys: [],
      range: reader.range({ kind: "none", node }),
    }
  );
}

/** `__table_args__ = (Index(...), UniqueConstraint(...), {"schema": "x"})`, or a dict. */
function readTableArgs(info: ClassInfo, table: TableSpec, reader: ItemReader): void {
  for (const statement of statementsOf(info.body)) {
    const target = assignmentTarget(info.py, statement);
    if (target?.name !== "__table_args__" || !target.value) continue;
    const value = evaluate(info.scope, target.value);
    const list = value.kind === "dict" ? [value] : items(value);
    if (!list) {
      reader.skip(
        target.value,
        "This __table_args__ cannot be read statically; its indexes and constraints were skipped.",
      );
      continue;
    }
    for (const item of list) tableItem(item, table, reader);
  }
}

function tableItem(item: PyValue, table: TableSpec, reader: ItemReader): void {
  if (item.kind === "dict") {
    for (const [k, v] of item.entries) if (str(k) === "schema") table.schema = str(v);
    return;
  }
  reader.tableItem(table, item, {
    columns: false,
    skipMessage: "This table argument cannot be read statically; it was skipped.",
  });
}

/** `Table("name", metadata, Column(...), Index(...), schema="x")` */
function imperativeTable(value: PyValue, reader: ItemReader): TableSpec | null {
  if (value.kind !== "call") return null;
  const name = str(value.args[0]);
  if (name === null) {
    reader.skip(value.node, "The name of this Table is not a string literal; it was skipped.");
    return null;
  }
  const spec: TableSpec = {
    schema: str(value.kwargs.get("schema")),
    name,
    columns: [],
    constraints: [],
    foreignKeys: [],
    indexes: [],
    range: reader.range(value.args[0] as PyValue),
  };
  for (const item of value.args.slice(2)) {
    reader.tableItem(spec, item, {
      columns: true,
      skipMessage: "This table argument cannot be read statically; it was skipped.",
    });
  }
  return spec;
}

/** The table a module-level `Index("ix", Model.col)` or `Index("ix", table.c.col)` belongs to. */
function ownerTable(
  first: PyValue | undefined,
  classes: Map<string, ClassInfo>,
  tableVars: Map<string, TableSpec>,
): TableSpec | null {
  if (first?.kind !== "ref") return null;
  const head = first.path.split(".")[0] ?? "";
  // `Model.col`, or `table.c.col` where `table = Table("name", …)`.
  return classes.get(head)?.table ?? tableVars.get(head) ?? null;
}
