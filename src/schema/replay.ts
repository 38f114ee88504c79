/**
 * Replays DDL statements into a `Catalog`, the way PostgreSQL would apply them: default names,
 * constraint-backed indexes, cascades of DROP COLUMN, renames. Statements it has no model for
 * (GRANT, CREATE FUNCTION, DML…) leave the catalog alone.
 */
import type {
  AlterTableStmt,
  ColumnDef as AstColumnDef,
  Constraint,
  CreateStmt,
  CreateTableAsStmt,
  DoStmt,
  DropStmt,
  IndexElem,
  IndexStmt,
  Node,
  RangeVar,
  RenameStmt,
  TableLikeClause,
  TypeName,
  VariableSetStmt,
} from "@pgsql/types";
import { parsePlPgSQLSync, parseSync } from "libpg-query";
import type { SourceRange } from "../model.js";
import { listItems, nodeAs, nodesAs, stringList, stringValue } from "../parse/nodes.js";
import {
  type Catalog,
  type ForeignKeyDef,
  type IndexDef,
  type IndexKey,
  qualify,
  type TableDef,
  TEMP_SCHEMA,
} from "./catalog.js";
import { deparseExpr, renameColumnIn } from "./expr.js";
import { indexColumnNames, sameDefinition } from "./index-def.js";
import { indexKey } from "./index-key.js";
import { chooseRelationName } from "./names.js";

export interface ReplayContext {
  /** Index of the migration being replayed. */
  migration: number;
  /** The statement's range. */
  range: SourceRange;
  /**
   * The range of a clause inside the statement, from a parser `location` (a UTF-8 byte offset
   * into the file) to the end of that line, so that findings point at the clause itself.
   */
  locate?: (location: number | undefined) => SourceRange;
  /**
   * The check pass predicts PostgreSQL will reject this statement. An index it builds is kept,
   * marked invalid, so that findings can say why the index does not count; nothing else applies.
   */
  rejected?: boolean;
}

function at(ctx: ReplayContext, location: number | undefined): SourceRange {
  return location !== undefined && location >= 0 && ctx.locate ? ctx.locate(location) : ctx.range;
}

export function applyStatement(catalog: Catalog, node: Node, ctx: ReplayContext): void {
  const index = nodeAs(node, "IndexStmt");
  if (index) createIndex(catalog, index, ctx);
  else if (!ctx.rejected) applyOther(catalog, node, ctx);
}

function applyOther(catalog: Catalog, node: Node, ctx: ReplayContext): void {
  const create = nodeAs(node, "CreateStmt");
  const createAs = nodeAs(node, "CreateTableAsStmt");
  const into = nodeAs(node, "SelectStmt")?.intoClause;
  const alter = nodeAs(node, "AlterTableStmt");
  const dropStmt = nodeAs(node, "DropStmt");
  const renameStmt = nodeAs(node, "RenameStmt");
  const set = nodeAs(node, "VariableSetStmt");
  const doStmt = nodeAs(node, "DoStmt");
  if (create) createTable(catalog, create, ctx);
  else if (createAs) createTableAs(catalog, createAs, ctx);
  else if (into) createTableAs(catalog, { into, query: node, objtype: "OBJECT_TABLE" }, ctx);
  else if (alter) alterTable(catalog, alter, ctx);
  else if (dropStmt) drop(catalog, dropStmt);
  else if (renameStmt) rename(catalog, renameStmt);
  else if (set) setVariable(catalog, set);
  else if (doStmt) replayDoBlock(catalog, doStmt, ctx);
}

function typeText(type: TypeName | undefined): string {
  const names = stringList(type?.names).filter((n) => n !== "pg_catalog");
  return names.join(".") + (type?.arrayBounds?.length ? "[]" : "");
}

/**
 * The DDL inside a `DO $$ … $$` block. Drizzle's older migrations add every foreign key in one
 * (`DO $$ BEGIN ALTER TABLE … ADD CONSTRAINT …; EXCEPTION WHEN duplicate_object THEN null; END $$;`),
 * and hand-written migrations guard DDL with `IF NOT EXISTS`. The body is read with PostgreSQL's
 * own PL/pgSQL parser; static SQL statements, and EXECUTE of a string literal, are replayed as if
 * they ran (both branches of an IF, which is what such guards mean to ensure). Findings about them
 * point at the DO statement.
 */
function replayDoBlock(catalog: Catalog, stmt: DoStmt, ctx: ReplayContext): void {
  const inner: ReplayContext = { migration: ctx.migration, range: ctx.range };
  for (const { node } of doBlockStatements(stmt)) applyStatement(catalog, node, inner);
}

/** The statements a DO block runs that can be read statically, parsed, in order. */
export function doBlockStatements(stmt: DoStmt): { node: Node; sql: string }[] {
  const tree = doBlockTree(stmt);
  if (tree === undefined) return [];
  const out: { node: Node; sql: string }[] = [];
  for (const query of staticQueries(tree)) {
    try {
      for (const raw of parseSync(query).stmts ?? []) if (raw.stmt) out.push({ node: raw.stmt, sql: query });
    } catch {
      // Not SQL we can parse on its own (it may use PL/pgSQL variables): skip it.
    }
  }
  return out;
}

/** The PL/pgSQL tree of a DO block; undefined for another language or a body PostgreSQL rejects. */
function doBlockTree(stmt: DoStmt): unknown {
  const option = (name: string) =>
    (stmt.args ?? []).map((a) => nodeAs(a, "DefElem")).find((d) => d?.defname === name)?.arg;
  const language = stringValue(option("language")) || "plpgsql";
  const body = stringValue(option("as"));
  if (language !== "plpgsql" || !body || body.includes("$pg_index_lint$")) return undefined;
  try {
    return parsePlPgSQLSync(
      `CREATE FUNCTION pg_index_lint_do() RETURNS void LANGUAGE plpgsql AS $pg_index_lint$${body}$pg_index_lint$`,
    );
  } catch {
    return undefined; // PostgreSQL would reject the block; the migration fails there anyway.
  }
}

/**
 * The SQL a DO block or a PL/pgSQL function builds at run time (`EXECUTE format(…)`, a string put
 * together from pieces) when it looks like it makes tables or indexes: the replay cannot see what
 * it makes, so the run says so rather than pass over it in silence.
 */
export function dynamicDdl(node: Node, sql: string): string[] {
  let tree: unknown;
  const doStmt = nodeAs(node, "DoStmt");
  const fn = nodeAs(node, "CreateFunctionStmt");
  if (doStmt) tree = doBlockTree(doStmt);
  else if (fn) {
    const language = (fn.options ?? [])
      .map((o) => nodeAs(o, "DefElem"))
      .find((d) => d?.defname === "language");
    if (stringValue(language?.arg) !== "plpgsql") return [];
    try {
      tree = parsePlPgSQLSync(sql);
    } catch {
      return [];
    }
  }
  if (tree === undefined) return [];
  const out: string[] = [];
  walkTree(tree, (node) => {
    const text = (
      node.PLpgSQL_stmt_dynexecute as { query?: { PLpgSQL_expr?: { query?: string } } } | undefined
    )?.query?.PLpgSQL_expr?.query;
    if (text === undefined || literalText(text) !== undefined) return;
    if (!/\b(create|alter|drop)\b[\s\S]*\b(index|table)\b/i.test(text)) return;
    if (leavesIndexesAlone(text)) return;
    out.push(text.trim());
  });
  return out;
}

/**
 * ALTER TABLE actions that neither create, drop nor rename a table or an index, nor change its
 * keys: storage parameters, persistence, triggers, CHECK and NOT NULL constraints, defaults,
 * statistics and ownership. Partitioned tables' maintenance functions run many of these through
 * `EXECUTE format(…)`; a note that such a statement "may create tables or indexes" is wrong.
 */
const INDEX_NEUTRAL_ACTIONS = new Set([
  "AT_SetRelOptions",
  "AT_ResetRelOptions",
  "AT_ReplaceRelOptions",
  "AT_SetLogged",
  "AT_SetUnLogged",
  "AT_EnableTrig",
  "AT_EnableAlwaysTrig",
  "AT_EnableReplicaTrig",
  "AT_EnableTrigAll",
  "AT_EnableTrigUser",
  "AT_DisableTrig",
  "AT_DisableTrigAll",
  "AT_DisableTrigUser",
  "AT_ColumnDefault",
  "AT_SetNotNull",
  "AT_DropNotNull",
  "AT_SetStatistics",
  "AT_SetStorage",
  "AT_SetCompression",
  "AT_ChangeOwner",
  "AT_ValidateConstraint",
  "AT_EnableRowSecurity",
  "AT_DisableRowSecurity",
  "AT_ForceRowSecurity",
  "AT_NoForceRowSecurity",
]);

/**
 * Whether SQL built at run time is an ALTER TABLE whose every action leaves tables and indexes as
 * they are. The statement is rebuilt from the template of `format(…)` (or the literal pieces of a
 * `||` concatenation), with each placeholder or computed piece standing for one name, and parsed.
 * Anything that does not parse, or any other statement, is not known to be harmless.
 */
function leavesIndexesAlone(expression: string): boolean {
  let stmt: Node | undefined;
  try {
    stmt = parseSync(`SELECT ${expression}`).stmts?.[0]?.stmt;
  } catch {
    return false;
  }
  const target = nodeAs(stmt, "SelectStmt")?.targetList?.[0];
  const value = nodeAs(target, "ResTarget")?.val;
  const template = builtTemplate(value);
  if (template === undefined) return false;
  const sql = template.replace(/%(?:\d+\$)?-?\d*([sIL%])/g, (_, kind: string) =>
    kind === "%" ? "%" : kind === "L" ? "'x'" : "x",
  );
  let built: Node[];
  try {
    built = (parseSync(sql).stmts ?? []).flatMap((raw) => (raw.stmt ? [raw.stmt] : []));
  } catch {
    return false;
  }
  return (
    built.length > 0 &&
    built.every((node) => {
      const alter = nodeAs(node, "AlterTableStmt");
      if (alter?.objtype !== "OBJECT_TABLE") return false;
      return (alter.cmds ?? []).every((c) => {
        const cmd = nodeAs(c, "AlterTableCmd");
        if (!cmd?.subtype) return false;
        if (INDEX_NEUTRAL_ACTIONS.has(cmd.subtype)) return true;
        const constraint = nodeAs(cmd.def, "Constraint");
        return (
          cmd.subtype === "AT_AddConstraint" &&
          (constraint?.contype === "CONSTR_CHECK" || constraint?.contype === "CONSTR_NOTNULL")
        );
      });
    })
  );
}

/** The SQL text an expression builds, with `x` for each piece computed at run time. */
function builtTemplate(value: Node | undefined): string | undefined {
  const call = nodeAs(value, "FuncCall");
  if (call) {
    const name = stringList(call.funcname).at(-1);
    if (name !== "format") return "x";
    const first = nodeAs(call.args?.[0], "A_Const");
    return first?.sval?.sval;
  }
  const constant = nodeAs(value, "A_Const");
  if (constant) return constant.sval?.sval ?? "x";
  const op = nodeAs(value, "A_Expr");
  if (op && op.kind === "AEXPR_OP" && stringList(op.name).join() === "||") {
    const left = builtTemplate(op.lexpr);
    const right = builtTemplate(op.rexpr);
    return left === undefined || right === undefined ? undefined : left + right;
  }
  if (nodeAs(value, "ColumnRef")) return "x";
  return undefined;
}

/** The value of a string literal ('…' or $tag$…$tag$), or undefined for any other expression. */
function literalText(expression: string): string | undefined {
  const text = expression.trim();
  const quoted = /^'((?:[^']|'')*)'$/s.exec(text);
  if (quoted?.[1] !== undefined) return quoted[1].replace(/''/g, "'");
  const dollar = /^(\$[A-Za-z_]*\$)([\s\S]*)\1$/.exec(text);
  return dollar?.[2];
}

/** Calls `visit` on every object in a parse tree (a PL/pgSQL tree or a query's), depth first. */
function walkTree(tree: unknown, visit: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(tree)) {
    for (const item of tree) walkTree(item, visit);
    return;
  }
  if (typeof tree !== "object" || tree === null) return;
  const node = tree as Record<string, unknown>;
  visit(node);
  for (const child of Object.values(node)) walkTree(child, visit);
}

/** The SQL text of every static statement, and of every EXECUTE of a string literal, in a PL/pgSQL tree. */
function staticQueries(tree: unknown): string[] {
  const out: string[] = [];
  walkTree(tree, (node) => {
    const exec = node.PLpgSQL_stmt_execsql as { sqlstmt?: { PLpgSQL_expr?: { query?: string } } } | undefined;
    const query = exec?.sqlstmt?.PLpgSQL_expr?.query;
    if (query) out.push(query);
    const dynamic = node.PLpgSQL_stmt_dynexecute as
      | { query?: { PLpgSQL_expr?: { query?: string } } }
      | undefined;
    const literal = literalText(dynamic?.query?.PLpgSQL_expr?.query ?? "");
    if (literal !== undefined) out.push(literal);
  });
  return out;
}

/**
 * CREATE TEMP TABLE (and ON COMMIT DROP) makes a table in pg_temp that ends with the session; the
 * replay keeps it until the end of its migration file, so that statements on it resolve.
 */
function isTemporary(relation: RangeVar, onCommit?: string): boolean {
  return relation.relpersistence === "t" || onCommit === "ONCOMMIT_DROP";
}

function tableSchema(catalog: Catalog, relation: RangeVar, temporary: boolean): string {
  return temporary ? TEMP_SCHEMA : catalog.creationSchema(relation.schemaname);
}

function createTable(catalog: Catalog, stmt: CreateStmt, ctx: ReplayContext): void {
  const relation = stmt.relation;
  if (!relation?.relname) return;
  const temporary = isTemporary(relation, stmt.oncommit);
  const schema = tableSchema(catalog, relation, temporary);
  if (catalog.tables.has(qualify(schema, relation.relname))) return; // IF NOT EXISTS, or a replay of a table we already know
  const table = newTable(schema, relation, ctx, Boolean(stmt.partspec));
  if (temporary) catalog.markTemporary(table);
  // CREATE TABLE … PARTITION OF parent: the parent's indexes are made on the partition too.
  const parent = stmt.partbound
    ? catalog.resolveRelation(nodeAs(stmt.inhRelations?.[0], "RangeVar"))
    : undefined;
  if (parent) {
    table.partitionOf = qualify(parent.schema, parent.name);
    for (const column of parent.columns.values())
      if (!table.columns.has(column.name)) table.columns.set(column.name, { ...column });
  }
  catalog.tables.set(qualify(schema, table.name), table);
  const pending: Constraint[] = [];
  const likes: TableLikeClause[] = [];
  for (const element of stmt.tableElts ?? []) {
    const column = nodeAs(element, "ColumnDef");
    const constraint = nodeAs(element, "Constraint");
    const like = nodeAs(element, "TableLikeClause");
    if (column) pending.push(...addColumn(table, column));
    else if (constraint) pending.push(constraint);
    else if (like) likes.push(like);
  }
  for (const like of likes) copyLike(catalog, table, like, ctx);
  const all = [...pending, ...unwrapConstraints(stmt.constraints)];
  // PostgreSQL builds one index for identical PRIMARY KEY/UNIQUE clauses of one CREATE TABLE,
  // keeping the primary key's (transformIndexConstraints in parse_utilcmd.c).
  const primaryFirst = [...all].sort(
    (a, b) => Number(b.contype === "CONSTR_PRIMARY") - Number(a.contype === "CONSTR_PRIMARY"),
  );
  const built: Constraint[] = [];
  for (const constraint of primaryFirst) {
    if (isIndexConstraint(constraint) && built.some((prior) => sameIndexConstraint(prior, constraint)))
      continue;
    if (isIndexConstraint(constraint)) built.push(constraint);
    addConstraint(catalog, table, constraint, ctx);
  }
  // The partition's own constraints come first; the parent's indexes then attach to them or are added.
  if (parent) inheritIndexes(catalog, parent, table, ctx);
}

function isIndexConstraint(c: Constraint): boolean {
  return c.contype === "CONSTR_PRIMARY" || c.contype === "CONSTR_UNIQUE";
}

function sameIndexConstraint(a: Constraint, b: Constraint): boolean {
  const same = (x: Node[] | undefined, y: Node[] | undefined) =>
    stringList(x).join(",") === stringList(y).join(",");
  return (
    !a.indexname &&
    !b.indexname &&
    same(a.keys, b.keys) &&
    same(a.including, b.including) &&
    !a.where_clause &&
    !b.where_clause &&
    Boolean(a.nulls_not_distinct) === Boolean(b.nulls_not_distinct) &&
    Boolean(a.deferrable) === Boolean(b.deferrable)
  );
}

function newTable(schema: string, relation: RangeVar, ctx: ReplayContext, partitioned: boolean): TableDef {
  return {
    schema,
    name: relation.relname ?? "",
    columns: new Map(),
    indexes: new Map(),
    foreignKeys: new Map(),
    createdIn: ctx.migration,
    source: at(ctx, relation.location),
    partitioned,
  };
}

/**
 * `LIKE source INCLUDING INDEXES` (or ALL) copies the source's columns and its primary key,
 * unique constraints and indexes, each under a new name chosen as for a new index
 * (transformTableLikeClause / generateClonedIndexStmt in parse_utilcmd.c). Foreign keys are never
 * copied; INCLUDING CONSTRAINTS copies CHECK constraints only, which hold no index.
 */
function copyLike(catalog: Catalog, table: TableDef, like: TableLikeClause, ctx: ReplayContext): void {
  const source = catalog.resolveRelation(like.relation);
  if (!source) return;
  for (const column of source.columns.values()) table.columns.set(column.name, { ...column });
  const INCLUDING_INDEXES = 1 << 6;
  if (((like.options ?? 0) & INCLUDING_INDEXES) === 0) return;
  for (const index of source.indexes.values()) {
    cloneIndex(catalog, table, index, ctx);
  }
}

/**
 * A copy of `index` on `table`, named as PostgreSQL names a new index there: `<table>_pkey`,
 * `<table>_<columns>_key` for a constraint's index, else `<table>_<columns>_idx`, with the index's
 * own column names (a function key is named after the function, FigureColname).
 */
function cloneIndex(catalog: Catalog, table: TableDef, index: IndexDef, ctx: ReplayContext): void {
  const label = index.primary ? "pkey" : index.constraint ? "key" : "idx";
  const name = chooseRelationName(
    table.name,
    index.primary ? "" : indexColumnNames(index).join("_"),
    label,
    (candidate) => catalog.relationExists(table.schema, candidate),
  );
  catalog.addIndex(table, {
    ...index,
    keys: index.keys.map((k) => ({ ...k })),
    include: [...index.include],
    name,
    schema: table.schema,
    table: qualify(table.schema, table.name),
    ...(index.constraint ? { constraint: name } : {}),
    valid: true,
    source: ctx.range,
    migration: ctx.migration,
  });
}

/**
 * A partition gets an index for each of its parent's: an existing one with the same definition is
 * attached, else one is built (DefineIndex recursing to partitions, AttachPartitionEnsureIndexes).
 */
function inheritIndexes(catalog: Catalog, parent: TableDef, child: TableDef, ctx: ReplayContext): void {
  for (const index of parent.indexes.values()) {
    if (index.rejected) continue;
    const matching = [...child.indexes.values()].some(
      (i) => sameDefinition(i, index) && i.unique === index.unique,
    );
    if (!matching) cloneIndex(catalog, child, index, ctx);
  }
}

/** CREATE TABLE … AS, SELECT … INTO and CREATE MATERIALIZED VIEW make a relation that indexes can be built on. */
function createTableAs(catalog: Catalog, stmt: CreateTableAsStmt, ctx: ReplayContext): void {
  const relation = stmt.into?.rel;
  if (!relation?.relname) return;
  const temporary = isTemporary(relation, stmt.into?.onCommit);
  const schema = tableSchema(catalog, relation, temporary);
  if (catalog.tables.has(qualify(schema, relation.relname))) return;
  const table = newTable(schema, relation, ctx, false);
  if (temporary) catalog.markTemporary(table);
  if (stmt.objtype === "OBJECT_MATVIEW") {
    table.materialized = true;
    table.reads = relationsRead(stmt.query);
  }
  const select = nodeAs(stmt.query, "SelectStmt");
  const named = stringList(stmt.into?.colNames);
  const targets = (select?.targetList ?? []).map((t, i) => {
    const target = nodeAs(t, "ResTarget");
    const ref = nodeAs(target?.val, "ColumnRef");
    return named[i] ?? target?.name ?? (ref ? stringValue(ref.fields?.at(-1)) : "");
  });
  for (const name of targets) if (name) table.columns.set(name, { name, type: "", notNull: false });
  catalog.tables.set(qualify(schema, table.name), table);
}

function unwrapConstraints(nodes: Node[] | undefined): Constraint[] {
  return nodesAs(nodes, "Constraint");
}

/** Adds a column and returns its column constraints, rewritten as table constraints. */
function addColumn(table: TableDef, def: AstColumnDef): Constraint[] {
  const name = def.colname ?? "";
  const constraints = unwrapConstraints(def.constraints);
  const notNull =
    Boolean(def.is_not_null) ||
    constraints.some((c) => c.contype === "CONSTR_NOTNULL" || c.contype === "CONSTR_PRIMARY");
  table.columns.set(name, { name, type: typeText(def.typeName), notNull });
  const column: Node = { String: { sval: name } };
  const tableConstraints: Constraint[] = [];
  for (const c of constraints) {
    if (c.contype === "CONSTR_PRIMARY" || c.contype === "CONSTR_UNIQUE")
      tableConstraints.push({ ...c, keys: [column] });
    else if (c.contype === "CONSTR_FOREIGN") tableConstraints.push({ ...c, fk_attrs: [column] });
  }
  return tableConstraints;
}

function addConstraint(catalog: Catalog, table: TableDef, c: Constraint, ctx: ReplayContext): void {
  switch (c.contype) {
    case "CONSTR_PRIMARY":
    case "CONSTR_UNIQUE":
    case "CONSTR_EXCLUSION":
      addIndexConstraint(catalog, table, c, ctx);
      break;
    case "CONSTR_FOREIGN":
      addForeignKey(catalog, table, c, ctx);
      break;
    default:
      break;
  }
}

function addIndexConstraint(catalog: Catalog, table: TableDef, c: Constraint, ctx: ReplayContext): void {
  const primary = c.contype === "CONSTR_PRIMARY";
  // "multiple primary keys for table … are not allowed": PostgreSQL rejects a second one. Guarded
  // DO blocks (IF NOT EXISTS … ADD PRIMARY KEY) are replayed as if the guard passed, so this matters.
  if (primary && [...table.indexes.values()].some((i) => i.primary)) return;
  if (c.indexname) {
    // ADD CONSTRAINT … USING INDEX: the existing index becomes the constraint's, and takes its name.
    const existing = table.indexes.get(c.indexname);
    if (!existing) return;
    const name = c.conname ?? existing.name;
    catalog.removeIndex(table, existing.name);
    catalog.addIndex(table, { ...existing, name, constraint: name, primary, unique: true });
    if (primary) for (const key of existing.keys) markNotNull(table, key.column);
    return;
  }
  const exclusion = c.contype === "CONSTR_EXCLUSION";
  const keys: IndexKey[] = exclusion
    ? (c.exclusions ?? []).map((pair) => {
        const elem = nodeAs(listItems(pair)[0], "IndexElem");
        return elem ? indexKey(elem) : { desc: false, nullsFirst: false };
      })
    : stringList(c.keys).map((column) => ({ column, desc: false, nullsFirst: false }));
  const columnNames = keys.map((k) => k.column ?? "expr");
  const label = primary ? "pkey" : exclusion ? "excl" : "key";
  const name =
    c.conname ??
    chooseRelationName(table.name, primary ? "" : columnNames.join("_"), label, (candidate) =>
      catalog.relationExists(table.schema, candidate),
    );
  catalog.addIndex(table, {
    name,
    schema: table.schema,
    table: qualify(table.schema, table.name),
    method: c.access_method ?? "btree",
    keys,
    include: stringList(c.including),
    predicate: c.where_clause ? deparseExpr(c.where_clause) : null,
    unique: !exclusion,
    constraint: name,
    primary,
    valid: true,
    source: at(ctx, c.location),
    migration: ctx.migration,
  });
  if (primary) for (const key of keys) markNotNull(table, key.column);
}

function markNotNull(table: TableDef, column: string | undefined): void {
  const def = column ? table.columns.get(column) : undefined;
  if (def) def.notNull = true;
}

function addForeignKey(catalog: Catalog, table: TableDef, c: Constraint, ctx: ReplayContext): void {
  const columns = stringList(c.fk_attrs);
  const refSchema = c.pktable?.schemaname;
  const refName = c.pktable?.relname ?? "";
  const refTable = catalog.resolveTable(refSchema, refName);
  const refKey = refTable
    ? qualify(refTable.schema, refTable.name)
    : qualify(catalog.creationSchema(refSchema), refName);
  let refColumns = stringList(c.pk_attrs);
  if (refColumns.length === 0 && refTable) {
    // REFERENCES t without columns means t's primary key.
    const pk = [...refTable.indexes.values()].find((i) => i.primary);
    refColumns = pk?.keys.map((k) => k.column ?? "") ?? [];
  }
  const name = c.conname ?? chooseUniqueConstraintName(table, columns.join("_"), "fkey");
  const fk: ForeignKeyDef = {
    name,
    columns,
    refTable: refKey,
    refColumns,
    validated: !c.skip_validation,
    source: at(ctx, c.location),
    migration: ctx.migration,
  };
  table.foreignKeys.set(name, fk);
}

/** Constraint names that own no index only need to be unique among the table's constraints. */
function chooseUniqueConstraintName(table: TableDef, columns: string, label: string): string {
  return chooseRelationName(
    table.name,
    columns,
    label,
    (n) => table.foreignKeys.has(n) || table.indexes.has(n),
  );
}

/** The column name part of a default index name (ChooseIndexColumnNames). */
function keyNamePart(elem: IndexElem): string {
  if (elem.indexcolname) return elem.indexcolname;
  if (elem.name) return elem.name;
  const func = nodeAs(elem.expr, "FuncCall");
  if (func) return stringList(func.funcname).at(-1) ?? "expr";
  const ref = nodeAs(elem.expr, "ColumnRef");
  if (ref) return stringValue(ref.fields?.at(-1));
  return "expr";
}

function createIndex(catalog: Catalog, stmt: IndexStmt, ctx: ReplayContext): void {
  const table = catalog.resolveRelation(stmt.relation);
  if (!table) return;
  if (stmt.idxname && table.indexes.has(stmt.idxname)) return; // IF NOT EXISTS, or an error the replay cannot raise
  const elems = nodesAs(stmt.indexParams, "IndexElem");
  const name =
    stmt.idxname ??
    chooseRelationName(
      table.name,
      elems.map(keyNamePart).join("_"),
      stmt.primary ? "pkey" : "idx",
      (candidate) => catalog.relationExists(table.schema, candidate),
    );
  const include = (stmt.indexIncludingParams ?? []).map((p) => nodeAs(p, "IndexElem")?.name ?? "expr");
  const index: IndexDef = {
    name,
    schema: table.schema,
    table: qualify(table.schema, table.name),
    method: stmt.accessMethod ?? "btree",
    keys: elems.map(indexKey),
    include,
    predicate: stmt.whereClause ? deparseExpr(stmt.whereClause) : null,
    unique: Boolean(stmt.unique),
    primary: false,
    // CREATE INDEX ON ONLY a partitioned table makes an invalid index until every partition attaches one.
    valid: !ctx.rejected && !(table.partitioned && stmt.relation?.inh !== true),
    ...(ctx.rejected ? { rejected: true } : {}),
    source: ctx.range,
    migration: ctx.migration,
  };
  catalog.addIndex(table, index);
  // Without ONLY, an index on a partitioned table is made on every partition too.
  if (table.partitioned && stmt.relation?.inh === true && !ctx.rejected)
    for (const partition of catalog.partitionsOf(table)) inheritIndexes(catalog, table, partition, ctx);
}

function alterTable(catalog: Catalog, stmt: AlterTableStmt, ctx: ReplayContext): void {
  if (stmt.objtype !== "OBJECT_TABLE") {
    if (stmt.objtype === "OBJECT_INDEX") alterIndex(catalog, stmt);
    return;
  }
  const table = catalog.resolveRelation(stmt.relation);
  if (!table) return;
  for (const cmd of nodesAs(stmt.cmds, "AlterTableCmd")) {
    switch (cmd.subtype) {
      case "AT_AddColumn": {
        const def = nodeAs(cmd.def, "ColumnDef");
        if (!def?.colname || (cmd.missing_ok && table.columns.has(def.colname))) break;
        for (const c of addColumn(table, def)) addConstraint(catalog, table, c, ctx);
        break;
      }
      case "AT_DropColumn":
        if (cmd.name) dropColumn(catalog, table, cmd.name);
        break;
      case "AT_AddConstraint": {
        const c = nodeAs(cmd.def, "Constraint");
        if (c) addConstraint(catalog, table, c, ctx);
        break;
      }
      case "AT_DropConstraint":
        if (cmd.name) dropConstraint(catalog, table, cmd.name, cmd.behavior === "DROP_CASCADE");
        break;
      case "AT_ValidateConstraint": {
        const fk = cmd.name ? table.foreignKeys.get(cmd.name) : undefined;
        if (fk) fk.validated = true;
        break;
      }
      case "AT_AttachPartition":
      case "AT_DetachPartition":
      case "AT_DetachPartitionFinalize": {
        const child = catalog.resolveRelation(nodeAs(cmd.def, "PartitionCmd")?.name);
        if (child && cmd.subtype === "AT_AttachPartition") {
          child.partitionOf = qualify(table.schema, table.name);
          inheritIndexes(catalog, table, child, ctx);
        } else if (child) delete child.partitionOf;
        break;
      }
      case "AT_SetNotNull":
      case "AT_DropNotNull": {
        const column = cmd.name ? table.columns.get(cmd.name) : undefined;
        if (column) column.notNull = cmd.subtype === "AT_SetNotNull";
        break;
      }
      case "AT_AlterColumnType": {
        const column = cmd.name ? table.columns.get(cmd.name) : undefined;
        const def = nodeAs(cmd.def, "ColumnDef");
        if (column && def?.typeName) column.type = typeText(def.typeName);
        break;
      }
      default:
        break;
    }
  }
}

/** ALTER INDEX parent ATTACH PARTITION child: a partitioned index becomes valid once attached. */
function alterIndex(catalog: Catalog, stmt: AlterTableStmt): void {
  const found = stmt.relation?.relname
    ? catalog.resolveIndex(stmt.relation.schemaname, stmt.relation.relname)
    : undefined;
  const attaches = nodesAs(stmt.cmds, "AlterTableCmd").some((c) => c.subtype === "AT_AttachPartition");
  if (found && attaches) found.index.valid = true;
}

function dropColumn(catalog: Catalog, table: TableDef, column: string): void {
  table.columns.delete(column);
  // Indexes and constraints that use the column go with it.
  for (const index of [...table.indexes.values()]) {
    const uses =
      index.keys.some(
        (k) => k.column === column || (k.expression !== undefined && mentions(k.expression, column)),
      ) ||
      index.include.includes(column) ||
      (index.predicate !== null && mentions(index.predicate, column));
    if (uses) catalog.removeIndex(table, index.name);
  }
  for (const fk of [...table.foreignKeys.values()])
    if (fk.columns.includes(column)) table.foreignKeys.delete(fk.name);
  for (const other of catalog.tables.values()) {
    for (const fk of [...other.foreignKeys.values()]) {
      if (fk.refTable === qualify(table.schema, table.name) && fk.refColumns.includes(column)) {
        other.foreignKeys.delete(fk.name);
      }
    }
  }
}

function mentions(expression: string, column: string): boolean {
  return new RegExp(`(^|[^\\w"])"?${column.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"?($|[^\\w"])`).test(
    expression,
  );
}

function dropConstraint(catalog: Catalog, table: TableDef, name: string, cascade: boolean): void {
  if (table.foreignKeys.delete(name)) return;
  const index = table.indexes.get(name);
  if (index?.constraint !== name) return;
  catalog.removeIndex(table, name);
  if (!cascade) return;
  // CASCADE also drops the foreign keys that rely on the key's unique index.
  const key = qualify(table.schema, table.name);
  const columns = index.keys
    .map((k) => k.column)
    .sort()
    .join(",");
  for (const other of catalog.tables.values()) {
    for (const fk of [...other.foreignKeys.values()]) {
      if (fk.refTable === key && [...fk.refColumns].sort().join(",") === columns)
        other.foreignKeys.delete(fk.name);
    }
  }
}

function drop(catalog: Catalog, stmt: DropStmt): void {
  for (const object of stmt.objects ?? []) {
    const parts = stringList(listItems(object));
    const name = parts.at(-1);
    const schema = parts.length > 1 ? parts.at(-2) : undefined;
    if (!name) continue;
    if (stmt.behavior === "DROP_CASCADE" && stmt.removeType !== "OBJECT_INDEX")
      dropDependentViews(catalog, schema, name);
    if (stmt.removeType === "OBJECT_TABLE" || stmt.removeType === "OBJECT_MATVIEW") {
      const table = catalog.resolveTable(schema, name);
      if (!table) continue;
      for (const index of [...table.indexes.keys()]) catalog.removeIndex(table, index);
      catalog.tables.delete(qualify(table.schema, table.name));
      // DROP TABLE … CASCADE drops the foreign keys that point at it.
      for (const other of catalog.tables.values()) {
        for (const fk of [...other.foreignKeys.values()]) {
          if (fk.refTable === qualify(table.schema, table.name)) other.foreignKeys.delete(fk.name);
        }
      }
    } else if (stmt.removeType === "OBJECT_INDEX") {
      const found = catalog.resolveIndex(schema, name);
      if (found) catalog.removeIndex(found.table, found.index.name);
    }
  }
}

/**
 * `DROP VIEW|TABLE|MATERIALIZED VIEW x CASCADE` drops every materialized view that reads x (and
 * those that read them). Without this, a view re-created right after (lemmy's `DROP VIEW user_view
 * CASCADE; CREATE MATERIALIZED VIEW user_mview AS SELECT * FROM user_view`) looked like the old one,
 * and an index on it like an index on an existing view.
 */
function dropDependentViews(catalog: Catalog, schema: string | undefined, name: string): void {
  const matches = (read: string) => {
    const [readSchema, readName] = read.includes(".") ? read.split(".", 2) : [undefined, read];
    return readName === name && (readSchema === undefined || schema === undefined || readSchema === schema);
  };
  for (const view of [...catalog.tables.values()]) {
    if (!view.materialized || !view.reads?.some(matches)) continue;
    if (!catalog.tables.has(qualify(view.schema, view.name))) continue;
    for (const index of [...view.indexes.keys()]) catalog.removeIndex(view, index);
    catalog.tables.delete(qualify(view.schema, view.name));
    dropDependentViews(catalog, view.schema, view.name);
  }
}

/** The relations a query reads (every RangeVar in it), as `name` or `schema.name`. */
function relationsRead(query: unknown): string[] {
  const out = new Set<string>();
  walkTree(query, (node) => {
    const range = node.RangeVar as RangeVar | undefined;
    if (range?.relname) out.add(range.schemaname ? `${range.schemaname}.${range.relname}` : range.relname);
  });
  return [...out];
}

function rename(catalog: Catalog, stmt: RenameStmt): void {
  const newName = stmt.newname;
  if (!newName) return;
  switch (stmt.renameType) {
    case "OBJECT_TABLE": {
      const table = catalog.resolveRelation(stmt.relation);
      if (!table) return;
      const oldKey = qualify(table.schema, table.name);
      catalog.tables.delete(oldKey);
      table.name = newName;
      const newKey = qualify(table.schema, newName);
      catalog.tables.set(newKey, table);
      for (const index of table.indexes.values()) {
        index.table = newKey;
        catalog.indexOwners.set(qualify(table.schema, index.name), newKey);
      }
      for (const other of catalog.tables.values()) {
        for (const fk of other.foreignKeys.values()) if (fk.refTable === oldKey) fk.refTable = newKey;
      }
      return;
    }
    case "OBJECT_COLUMN": {
      const table = catalog.resolveRelation(stmt.relation);
      const oldName = stmt.subname;
      const column = oldName ? table?.columns.get(oldName) : undefined;
      if (!table || !column || !oldName) return;
      table.columns.delete(oldName);
      column.name = newName;
      table.columns.set(newName, column);
      const swap = (c: string) => (c === oldName ? newName : c);
      for (const index of table.indexes.values()) {
        for (const key of index.keys) {
          if (key.column) key.column = swap(key.column);
          // An expression key or a predicate refers to the column too, and follows the rename.
          if (key.expression) key.expression = renameColumnIn(key.expression, oldName, newName);
        }
        index.include = index.include.map(swap);
        if (index.predicate) index.predicate = renameColumnIn(index.predicate, oldName, newName);
      }
      for (const fk of table.foreignKeys.values()) fk.columns = fk.columns.map(swap);
      const key = qualify(table.schema, table.name);
      for (const other of catalog.tables.values()) {
        for (const fk of other.foreignKeys.values())
          if (fk.refTable === key) fk.refColumns = fk.refColumns.map(swap);
      }
      return;
    }
    case "OBJECT_INDEX": {
      const found = stmt.relation?.relname
        ? catalog.resolveIndex(stmt.relation.schemaname, stmt.relation.relname)
        : undefined;
      if (!found) return;
      renameIndex(catalog, found.table, found.index, newName);
      return;
    }
    case "OBJECT_TABCONSTRAINT": {
      const table = catalog.resolveRelation(stmt.relation);
      const oldName = stmt.subname;
      if (!table || !oldName) return;
      const fk = table.foreignKeys.get(oldName);
      if (fk) {
        table.foreignKeys.delete(oldName);
        fk.name = newName;
        table.foreignKeys.set(newName, fk);
        return;
      }
      const index = table.indexes.get(oldName);
      // Renaming a constraint renames its index too.
      if (index?.constraint === oldName) renameIndex(catalog, table, index, newName);
      return;
    }
    default:
      return;
  }
}

function renameIndex(catalog: Catalog, table: TableDef, index: IndexDef, newName: string): void {
  catalog.removeIndex(table, index.name);
  const renamed: IndexDef = { ...index, name: newName };
  if (index.constraint === index.name) renamed.constraint = newName;
  catalog.addIndex(table, renamed);
}

function setVariable(catalog: Catalog, stmt: VariableSetStmt): void {
  if (stmt.name !== "search_path" || stmt.kind !== "VAR_SET_VALUE") return;
  const schemas = (stmt.args ?? []).flatMap((arg) => {
    const value = nodeAs(arg, "A_Const")?.sval?.sval;
    return value ? value.split(",").map((s) => s.trim().replace(/^"|"$/g, "")) : [];
  });
  const usable = schemas.filter((s) => s !== "$user" && s !== "pg_catalog");
  if (usable.length) catalog.searchPath = usable;
}
