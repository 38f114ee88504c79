/**
 * Drizzle pg-core schema files → table specs, statically: `pgTable(...)`, `pgTableCreator(...)`,
 * `pgSchema("s").table(...)` and `pgEnum(...)` declarations, their column builder chains and their
 * third argument (indexes, constraints). Names from other files resolve by exported variable
 * names. What can only be known by running the code (a spread of columns, a helper that returns a
 * column, a computed name) becomes a located warning, never a guess.
 */
import type { Node } from "@babel/types";
import type { InputError, SourceRange } from "../../model.js";
import { type Casing, columnName } from "./casing.js";
import { foreignKeyName, indexName, primaryKeyName, uniqueName } from "./names.js";
import {
  type CallExpression,
  type Chain,
  type ChainCall,
  chainOf,
  firstParamName,
  literalString,
  literalValue,
  memberPath,
  type ObjectProperty,
  objectProperties,
  propertyKey,
  rangeOf,
  returnedExpression,
  type TsFile,
  unwrap,
  walk,
} from "./syntax.js";
import { type Options, sqlTypeOf } from "./types.js";

/** A part of a file: char offsets. */
export interface Span {
  start: number;
  end: number;
}

export interface DrizzleColumn {
  /** The property key. */
  key: string;
  /** The database name. */
  name: string;
  /** drizzle-orm's `column.name`: the explicit name, else the key, before any casing. */
  ormName: string;
  type: string;
  notNull: boolean;
  /** The `.primaryKey()` call. */
  primaryKey: Span | null;
  unique: { name: string; nullsNotDistinct: boolean; span: Span } | null;
  identity: "ALWAYS" | "BY DEFAULT" | null;
  default: string | null;
  references: { target: Node; actions: Node | null; span: Span }[];
  /** The whole `key: builder…` property. */
  span: Span;
}

export interface DrizzleForeignKey {
  name: string;
  columns: string[];
  refSchema: string | null;
  refTable: string;
  refColumns: string[];
  onDelete: string | null;
  onUpdate: string | null;
  /** The `.references(...)` call or the `foreignKey(...)` chain. */
  span: Span;
}

export interface DrizzleIndexKey {
  /** SQL text of the key as drizzle-kit writes it: `"col" DESC NULLS LAST`, `lower("email")`. */
  sql: string;
  column: string | null;
  span: Span;
}

export interface DrizzleIndex {
  name: string;
  unique: boolean;
  concurrently: boolean;
  method: string;
  keys: DrizzleIndexKey[];
  where: string | null;
  span: Span;
}

export interface DrizzleConstraint {
  name: string;
  columns: string[];
  nullsNotDistinct: boolean;
  span: Span;
}

export interface DrizzleTable {
  ts: TsFile;
  variable: string;
  exported: boolean;
  schema: string | null;
  name: string;
  nameSpan: Span;
  /** The `pgTable(...)` (or creator, or `schema.table`) call. */
  call: CallExpression;
  /** The top-level statement that declares it. */
  declaration: Span;
  columns: DrizzleColumn[];
  /** The third argument: `(t) => [...]` or `(t) => ({...})`. */
  extra: Node | null;
  primaryKey: DrizzleConstraint | null;
  uniques: DrizzleConstraint[];
  foreignKeys: DrizzleForeignKey[];
  indexes: DrizzleIndex[];
  /** Declarations inside the table, for inline ignores: columns and third-argument entries. */
  declarations: Span[];
}

export interface DrizzleEnum {
  ts: TsFile;
  variable: string;
  exported: boolean;
  schema: string | null;
  name: string;
  values: string[];
  span: Span;
}

interface FileScope {
  ts: TsFile;
  /** Local name → pg-core export name. */
  pgCore: Map<string, string>;
  pgCoreNamespaces: Set<string>;
  /** Local names of drizzle-orm's `sql` tag and operator functions (local → exported name). */
  drizzle: Map<string, string>;
  /** Local name → (module, imported name) for every other import. */
  imports: Map<string, { module: string; imported: string }>;
  namespaces: Map<string, string>;
  /** Local name → the name it is exported under. */
  exports: Map<string, string>;
  creators: Map<string, ((name: string) => string) | null>;
  schemas: Map<string, string>;
  customTypes: Map<string, string | null>;
  tables: Map<string, DrizzleTable>;
  enums: Map<string, DrizzleEnum>;
  /**
   * Top-level `const` initialisers and `enum` declarations by name: where a pgEnum's values may come
   * from (`pgEnum("status", statuses)` with `const statuses = ["a", "b"] as const`, or a string enum).
   */
  constants: Map<string, Node>;
  /** Table calls read at the top level (declared or skipped with a warning). */
  seen: Set<Node>;
  warnings: InputError[];
}

export interface ReadSchema {
  tables: DrizzleTable[];
  enums: DrizzleEnum[];
  /** Non-public schemas declared with pgSchema(), by file. */
  schemas: { ts: TsFile; name: string; span: Span }[];
  warnings: Map<TsFile, InputError[]>;
}

const PG_CORE = /^drizzle-orm\/pg-core$/;
const DRIZZLE = /^drizzle-orm(\/sql)?$/;

/** Column builder methods that change nothing drizzle-kit writes (client-side defaults, type hints…). */
const NO_DDL_METHODS = new Set([
  "$type",
  "$default",
  "$defaultFn",
  "$onUpdate",
  "$onUpdateFn",
  "$notNull",
  "$dataType",
  "generatedAlwaysAs",
]);

export function readSchema(files: TsFile[], casing: Casing | undefined): ReadSchema {
  const scopes = files.filter((ts) => ts.ast).map((ts) => collectScope(ts));
  const byFile = new Map(scopes.map((s) => [s.ts.file, s]));
  const resolver = new Resolver(scopes, byFile);
  const schemas: ReadSchema["schemas"] = [];

  // Pass 1: schemas, enums, table creators and custom types, which tables in any file may use;
  // then tables and their columns (every table's column names must be known before a
  // `.references(() => other.id)` or a `foreignKey()` can name them).
  for (const phase of ["types", "tables"] as const) {
    for (const scope of scopes) {
      for (const statement of scope.ts.ast?.program.body ?? []) {
        const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
        if (declaration?.type !== "VariableDeclaration") continue;
        for (const declarator of declaration.declarations) {
          if (declarator.id.type !== "Identifier" || !declarator.init) continue;
          const variable = declarator.id.name;
          const span = { start: statement.start ?? 0, end: statement.end ?? 0 };
          declare(scope, resolver, phase, variable, declarator.init, span, casing, schemas);
        }
      }
    }
  }
  // Table calls anywhere else (inside a function, a loop, an object) are dynamic.
  for (const scope of scopes) {
    const root = scope.ts.ast;
    if (!root) continue;
    walk(root, (node) => {
      if (node.type !== "CallExpression" || scope.seen.has(node)) return;
      const kind = tableCallKind(scope, resolver, node);
      if (kind && !scope.seen.has(kind.call))
        warn(
          scope,
          node,
          "This table is not declared as `const name = pgTable(...)` at the top level of the file; pg-index-lint cannot read it without running the code, so it was skipped.",
        );
    });
  }

  // Pass 2: references and the third argument.
  const tables = scopes.flatMap((s) => [...s.tables.values()]);
  for (const table of tables) {
    const scope = byFile.get(table.ts.file) as FileScope;
    for (const column of table.columns) {
      for (const ref of column.references) {
        const fk = columnReference(scope, resolver, table, column, ref, casing);
        if (fk) table.foreignKeys.push(fk);
      }
    }
    if (table.extra) readExtraConfig(scope, resolver, table, casing);
  }

  return {
    tables,
    enums: scopes.flatMap((s) => [...s.enums.values()]),
    schemas,
    warnings: new Map(scopes.map((s) => [s.ts, s.warnings])),
  };
}

function warn(scope: FileScope, node: Node | Span, message: string): void {
  scope.warnings.push({ message, range: rangeOf(scope.ts, node) });
}

function collectScope(ts: TsFile): FileScope {
  const scope: FileScope = {
    ts,
    pgCore: new Map(),
    pgCoreNamespaces: new Set(),
    drizzle: new Map(),
    imports: new Map(),
    namespaces: new Map(),
    exports: new Map(),
    creators: new Map(),
    schemas: new Map(),
    customTypes: new Map(),
    tables: new Map(),
    enums: new Map(),
    constants: new Map(),
    seen: new Set(),
    warnings: [],
  };
  for (const statement of ts.ast?.program.body ?? []) {
    const declared = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (declared?.type === "VariableDeclaration" && declared.kind === "const") {
      for (const d of declared.declarations)
        if (d.id.type === "Identifier" && d.init) scope.constants.set(d.id.name, d.init);
    } else if (declared?.type === "TSEnumDeclaration") {
      scope.constants.set(declared.id.name, declared);
      if (statement.type === "ExportNamedDeclaration") scope.exports.set(declared.id.name, declared.id.name);
    }
    if (statement.type === "ImportDeclaration") {
      const module = statement.source.value;
      for (const spec of statement.specifiers) {
        const local = spec.local.name;
        if (spec.type === "ImportNamespaceSpecifier") {
          if (PG_CORE.test(module)) scope.pgCoreNamespaces.add(local);
          else scope.namespaces.set(local, module);
          continue;
        }
        const imported =
          spec.type === "ImportDefaultSpecifier"
            ? "default"
            : spec.imported.type === "Identifier"
              ? spec.imported.name
              : spec.imported.value;
        if (PG_CORE.test(module)) scope.pgCore.set(local, imported);
        else if (DRIZZLE.test(module)) scope.drizzle.set(local, imported);
        else scope.imports.set(local, { module, imported });
      }
    } else if (statement.type === "ExportNamedDeclaration") {
      const d = statement.declaration;
      if (d?.type === "VariableDeclaration") {
        for (const declarator of d.declarations)
          if (declarator.id.type === "Identifier") scope.exports.set(declarator.id.name, declarator.id.name);
      }
      if (!statement.source) {
        for (const spec of statement.specifiers) {
          if (spec.type !== "ExportSpecifier") continue;
          const exported = spec.exported.type === "Identifier" ? spec.exported.name : spec.exported.value;
          scope.exports.set(spec.local.name, exported);
        }
      }
    }
  }
  return scope;
}

/** pg-core's export name for a callee path (`pgTable`, `pg.pgTable`), or null. */
function pgCoreName(scope: FileScope, path: string[]): string | null {
  if (path.length === 1) return scope.pgCore.get(path[0] as string) ?? null;
  if (path.length === 2 && scope.pgCoreNamespaces.has(path[0] as string)) return path[1] as string;
  return null;
}

interface TableCall {
  call: CallExpression;
  args: CallExpression["arguments"];
  schema: string | null;
  /** pgTableCreator's name function; null when it could not be read. */
  rename: ((name: string) => string) | null | undefined;
}

function tableCallKind(scope: FileScope, resolver: Resolver, node: Node): TableCall | null {
  const chain = chainOf(node);
  if (!chain || chain.node !== node) return null;
  return tableCallOf(scope, chain, resolver);
}

/** Is the chain a table declaration (and which call in it is the table call)? */
function tableCallOf(scope: FileScope, chain: Chain, resolver: Resolver | null): TableCall | null {
  const core = pgCoreName(scope, chain.rootPath);
  if (core === "pgTable")
    return { call: chain.root.call, args: chain.root.args, schema: null, rename: undefined };
  if (core === "pgSchema" && chain.methods[0]?.name === "table") {
    const schema = literalString(chain.root.args[0]);
    const m = chain.methods[0];
    return { call: m.call, args: m.args, schema: schema === "public" ? null : schema, rename: undefined };
  }
  const head = chain.rootPath[0] as string;
  if (chain.rootPath.length === 1) {
    const creator = scope.creators.has(head) ? scope.creators.get(head) : resolver?.creatorOf(scope, head);
    if (creator !== undefined)
      return { call: chain.root.call, args: chain.root.args, schema: null, rename: creator };
  }
  if (chain.rootPath.length === 2 && chain.rootPath[1] === "table") {
    const schema = scope.schemas.get(head) ?? resolver?.schemaOf(scope, head);
    if (schema !== undefined)
      return {
        call: chain.root.call,
        args: chain.root.args,
        schema: schema === "public" ? null : schema,
        rename: undefined,
      };
  }
  return null;
}

/** pgSchema, pgTableCreator, customType and pgEnum declarations. */
function declareType(
  scope: FileScope,
  resolver: Resolver,
  variable: string,
  chain: Chain,
  core: string | null,
  exported: boolean,
  declaration: Span,
  schemas: ReadSchema["schemas"],
): void {
  if (core === "pgSchema" && chain.methods.length === 0) {
    const name = literalString(chain.root.args[0]);
    if (name === null) {
      warn(
        scope,
        chain.root.call,
        "The name of this pgSchema is not a string literal; its tables were skipped.",
      );
      return;
    }
    scope.schemas.set(variable, name);
    if (name !== "public") schemas.push({ ts: scope.ts, name, span: declaration });
    return;
  }
  if (core === "pgTableCreator") {
    scope.creators.set(variable, creatorFunction(chain.root.args[0]));
    if (!scope.creators.get(variable))
      warn(
        scope,
        chain.root.call,
        "This pgTableCreator's name function is not a template or concatenation of its parameter with string literals; the tables it creates were skipped.",
      );
    return;
  }
  if (core === "customType") {
    // customType({ dataType() { return "citext" } }): the type is the literal dataType() returns.
    const options = objectProperties(chain.root.args[0]);
    scope.customTypes.set(variable, null);
    const method = unwrap(chain.root.args[0]);
    if (method?.type === "ObjectExpression") {
      for (const p of method.properties) {
        if (p.type === "ObjectMethod" && p.key.type === "Identifier" && p.key.name === "dataType") {
          const body = p.body.body;
          const last = body.at(-1);
          if (body.length === 1 && last?.type === "ReturnStatement") {
            scope.customTypes.set(variable, literalString(last.argument));
          }
        }
      }
    }
    if (options?.has("dataType")) {
      const value = returnedExpression(options.get("dataType")?.value);
      scope.customTypes.set(variable, literalString(value));
    }
    if (scope.customTypes.get(variable) === null)
      warn(
        scope,
        chain.root.call,
        `The SQL type this customType's dataType() returns is computed; columns of type ${variable} are read with the placeholder type "${variable}".`,
      );
    return;
  }
  const isEnum =
    core === "pgEnum" ||
    (chain.rootPath.length === 2 &&
      chain.rootPath[1] === "enum" &&
      scope.schemas.has(chain.rootPath[0] as string));
  if (isEnum) {
    const schema = core === "pgEnum" ? null : (scope.schemas.get(chain.rootPath[0] as string) ?? null);
    const name = literalString(chain.root.args[0]);
    const values = enumValues(scope, resolver, chain.root.args[1]);
    if (name === null || values === null) {
      const list = unwrap(chain.root.args[1]);
      const from =
        name !== null && list?.type === "Identifier"
          ? `This pgEnum's values come from ${list.name}, which is not an array of string literals or a string enum declared in the models files`
          : "This pgEnum's name or values are not string literals";
      warn(scope, chain.root.call, `${from}; its columns' type is unknown and its CREATE TYPE was skipped.`);
      scope.enums.set(variable, {
        ts: scope.ts,
        variable,
        exported,
        schema,
        name: name ?? variable,
        values: [],
        span: declaration,
      });
      return;
    }
    scope.enums.set(variable, {
      ts: scope.ts,
      variable,
      exported,
      schema: schema === "public" ? null : schema,
      name,
      values: values as string[],
      span: declaration,
    });
    return;
  }
}

/**
 * A pgEnum's values: an array of string literals, or the name of a top-level `const` holding one
 * (`as const` allowed) or of a string enum (drizzle takes `Object.values` of it), in this file or
 * imported from another models file. Null for anything else.
 */
function enumValues(scope: FileScope, resolver: Resolver, node: Node | null | undefined): string[] | null {
  const n = unwrap(node);
  if (n?.type === "ArrayExpression") {
    const values = n.elements.map((e) => (e ? literalString(e) : null));
    return values.every((v): v is string => v !== null) ? values : null;
  }
  if (n?.type !== "Identifier") return null;
  const found = resolver.constantAt(scope, n.name);
  if (!found) return null;
  if (found.node.type === "TSEnumDeclaration") {
    const members = "members" in found.node ? found.node.members : [];
    const values = members.map((m) => literalString(m.initializer));
    return values.every((v): v is string => v !== null) ? values : null;
  }
  // One step only: a constant that names another constant is left to the warning.
  const init = unwrap(found.node);
  return init?.type === "ArrayExpression" ? enumValues(found.scope, resolver, init) : null;
}

function declare(
  scope: FileScope,
  resolver: Resolver,
  phase: "types" | "tables",
  variable: string,
  init: Node,
  declaration: Span,
  casing: Casing | undefined,
  schemas: ReadSchema["schemas"],
): void {
  const chain = chainOf(init);
  if (!chain) return;
  const exported = scope.exports.has(variable);
  const core = pgCoreName(scope, chain.rootPath);
  if (phase === "types") {
    declareType(scope, resolver, variable, chain, core, exported, declaration, schemas);
    return;
  }
  const tableCall = tableCallOf(scope, chain, resolver);
  if (!tableCall) return;
  scope.seen.add(tableCall.call);
  const rawName = literalString(tableCall.args[0]);
  if (rawName === null) {
    warn(
      scope,
      tableCall.args[0] ?? tableCall.call,
      "This table's name is not a string literal; pg-index-lint cannot know it without running the code, so the table was skipped.",
    );
    return;
  }
  if (tableCall.rename === null) return; // warned at the creator
  if (!exported) {
    // drizzle-kit reads the schema module's exports (serializer/pgImports.ts prepareFromExports):
    // a table that is not exported gets no migration.
    warn(
      scope,
      tableCall.call,
      `Table "${rawName}" is not exported, so drizzle-kit does not see it and generates no migration for it; it was skipped.`,
    );
    return;
  }
  const name = tableCall.rename ? tableCall.rename(rawName) : rawName;
  const nameNode = tableCall.args[0] as Node;
  const table: DrizzleTable = {
    ts: scope.ts,
    variable,
    exported,
    schema: tableCall.schema,
    name,
    nameSpan: { start: nameNode.start ?? 0, end: nameNode.end ?? 0 },
    call: tableCall.call,
    declaration,
    columns: [],
    extra: tableCall.args[2] ? (tableCall.args[2] as Node) : null,
    primaryKey: null,
    uniques: [],
    foreignKeys: [],
    indexes: [],
    declarations: [],
  };
  if (readColumns(scope, resolver, table, tableCall.args[1] as Node | undefined, casing))
    scope.tables.set(variable, table);
}

/** `(name) => \`prefix_${name}\`` or `(name) => "prefix_" + name`. */
function creatorFunction(node: Node | undefined): ((name: string) => string) | null {
  const param = firstParamName(node);
  const body = returnedExpression(node);
  if (!param || !body) return null;
  if (body.type === "TemplateLiteral") {
    const ok = body.expressions.every((e) => e.type === "Identifier" && e.name === param);
    if (!ok) return null;
    const quasis = body.quasis.map((q) => q.value.cooked ?? "");
    return (name) => quasis.map((q, i) => (i < quasis.length - 1 ? q + name : q)).join("");
  }
  const parts: ({ literal: string } | { param: true })[] = [];
  const flatten = (n: Node | null): boolean => {
    const u = unwrap(n);
    if (u?.type === "BinaryExpression" && u.operator === "+") return flatten(u.left) && flatten(u.right);
    if (u?.type === "Identifier" && u.name === param) return parts.push({ param: true }) > 0;
    const s = literalString(u);
    return s !== null && parts.push({ literal: s }) > 0;
  };
  if (!flatten(body)) return null;
  return (name) => parts.map((p) => ("param" in p ? name : p.literal)).join("");
}

function readColumns(
  scope: FileScope,
  resolver: Resolver,
  table: DrizzleTable,
  arg: Node | undefined,
  casing: Casing | undefined,
): boolean {
  let object = unwrap(arg);
  // pgTable("t", (t) => ({ id: t.integer() })): the builders come in as the parameter.
  let builders: string | null = null;
  if (object?.type === "ArrowFunctionExpression" || object?.type === "FunctionExpression") {
    builders = firstParamName(object);
    object = returnedExpression(object);
  }
  if (object?.type !== "ObjectExpression") {
    warn(
      scope,
      arg ?? table.call,
      "The columns of this table are not an object literal; pg-index-lint cannot read them without running the code, so the table was skipped.",
    );
    return false;
  }
  for (const property of object.properties) {
    if (property.type === "SpreadElement") {
      warn(
        scope,
        property,
        "Columns spread from another object are not read: pg-index-lint cannot know them without running the code. Declare them in the table, or add an inline ignore.",
      );
      continue;
    }
    if (property.type !== "ObjectProperty" || property.computed) {
      warn(scope, property, "This column's key is computed; the column was skipped.");
      continue;
    }
    const key = propertyKey(property);
    if (key === null) continue;
    const column = readColumn(scope, resolver, property, key, builders, table, casing);
    if (column) {
      table.columns.push(column);
      table.declarations.push(column.span);
    }
  }
  return true;
}

function readColumn(
  scope: FileScope,
  resolver: Resolver,
  property: ObjectProperty,
  key: string,
  builders: string | null,
  table: DrizzleTable,
  casing: Casing | undefined,
): DrizzleColumn | null {
  const span = { start: property.start ?? 0, end: property.end ?? 0 };
  const chain = chainOf(property.value);
  const builder = chain ? columnBuilder(scope, resolver, chain, builders) : null;
  if (!chain || !builder) {
    warn(
      scope,
      property,
      `Column "${key}" is not built by a drizzle-orm/pg-core column builder that pg-index-lint can read (a helper function, or a builder it does not know); it was skipped.`,
    );
    return null;
  }
  // Arguments: (name?, options?) in either order drizzle accepts: ("n"), ("n", {…}), ({…}).
  const first = chain.root.args[0];
  const explicit = first ? literalString(first) : null;
  if (first && explicit === null && unwrap(first)?.type !== "ObjectExpression") {
    warn(scope, first, `The name of column "${key}" is not a string literal; the column was skipped.`);
    return null;
  }
  const optionsNode = explicit !== null ? chain.root.args[1] : first;
  const options: Options | null = objectProperties(optionsNode);
  let type: string | null;
  if (builder.kind === "enum") type = builder.type;
  else if (builder.kind === "custom") type = builder.type;
  else type = sqlTypeOf(builder.name, options);
  if (type === null) {
    warn(scope, chain.root.call, `Column "${key}" uses a type pg-index-lint does not know; it was skipped.`);
    return null;
  }
  const column: DrizzleColumn = {
    key,
    name: columnName(key, explicit, casing),
    ormName: explicit ?? key,
    type,
    notNull: false,
    primaryKey: null,
    unique: null,
    identity: null,
    default: null,
    references: [],
    span,
  };
  for (const method of chain.methods) {
    const mspan = { start: method.start, end: method.end };
    switch (method.name) {
      case "notNull":
        column.notNull = true;
        break;
      case "primaryKey":
        column.primaryKey = mspan;
        column.notNull = true;
        break;
      case "unique": {
        const name = method.args[0] ? literalString(method.args[0]) : null;
        if (method.args[0] && name === null) {
          warn(
            scope,
            method.args[0],
            "This unique constraint's name is not a string literal; it was skipped.",
          );
          break;
        }
        const nulls = objectProperties(method.args[1])?.get("nulls");
        column.unique = {
          // drizzle-orm pg-core/columns/common.ts: an unnamed .unique() is named from the column's own name.
          name: name ?? uniqueName(table.name, [column.ormName]),
          nullsNotDistinct: nulls ? literalValue(nulls.value) === "not distinct" : false,
          span: mspan,
        };
        break;
      }
      case "references":
        column.references.push({
          target: method.args[0] as Node,
          actions: (method.args[1] as Node) ?? null,
          span: mspan,
        });
        break;
      case "array": {
        const size = method.args[0] ? literalValue(method.args[0]) : undefined;
        column.type = `${column.type}[${size ?? ""}]`;
        break;
      }
      case "default":
        column.default = defaultSql(method.args[0] as Node | undefined);
        break;
      case "defaultNow":
        column.default = "now()";
        break;
      case "defaultRandom":
        column.default = "gen_random_uuid()";
        break;
      case "generatedAlwaysAsIdentity":
        column.identity = "ALWAYS";
        column.notNull = true;
        break;
      case "generatedByDefaultAsIdentity":
        column.identity = "BY DEFAULT";
        column.notNull = true;
        break;
      default:
        if (!NO_DDL_METHODS.has(method.name))
          warn(
            scope,
            mspan,
            `pg-index-lint does not know what \`.${method.name}()\` does to column "${key}"; it was ignored.`,
          );
    }
  }
  return column;
}

/** A literal default as drizzle-kit writes it (strings quoted, numbers and booleans bare); else none. */
function defaultSql(node: Node | undefined): string | null {
  const value = literalValue(node);
  if (typeof value === "string") return `'${value.replace(/'/g, "''")}'`;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  // sql`…` and other expressions: PostgreSQL defaults do not matter to any index rule, and
  // rendering them would risk SQL that does not parse back.
  return null;
}

type Builder =
  | { kind: "core"; name: string }
  | { kind: "enum"; type: string }
  | { kind: "custom"; type: string };

function columnBuilder(
  scope: FileScope,
  resolver: Resolver,
  chain: Chain,
  builders: string | null,
): Builder | null {
  const path = chain.rootPath;
  if (builders && path.length === 2 && path[0] === builders) return { kind: "core", name: path[1] as string };
  const core = pgCoreName(scope, path);
  if (core) return sqlTypeOf(core, null) !== null || core === "numeric" ? { kind: "core", name: core } : null;
  if (path.length !== 1) {
    // `schema.roleEnum()` through a namespace import.
    const e = resolver.enumAt(scope, path);
    return e ? { kind: "enum", type: enumType(e) } : null;
  }
  const name = path[0] as string;
  const custom = scope.customTypes.has(name)
    ? scope.customTypes.get(name)
    : resolver.customTypeOf(scope, name);
  // A computed dataType() was warned about at the customType; its name stands in for the type.
  if (custom !== undefined) return { kind: "custom", type: custom ?? `"${name.replace(/"/g, '""')}"` };
  const e = resolver.enumAt(scope, path);
  return e ? { kind: "enum", type: enumType(e) } : null;
}

function enumType(e: DrizzleEnum): string {
  // drizzle-kit sqlgenerator.ts: a non-public enum's type is written schema-qualified.
  return e.schema ? `"${e.schema}"."${e.name}"` : `"${e.name}"`;
}

/** `.references(() => users.id, { onDelete: "cascade" })` */
function columnReference(
  scope: FileScope,
  resolver: Resolver,
  table: DrizzleTable,
  column: DrizzleColumn,
  ref: DrizzleColumn["references"][number],
  _casing: Casing | undefined,
): DrizzleForeignKey | null {
  const target = returnedExpression(ref.target);
  const resolved = target ? resolver.column(scope, memberPath(target), null) : null;
  if (!resolved) {
    warn(
      scope,
      ref.span,
      `The column this reference points to cannot be resolved statically (it must be \`() => table.column\` with a table declared in the schema files); the foreign key on "${column.key}" was skipped.`,
    );
    return null;
  }
  const actions = objectProperties(ref.actions);
  const action = (key: string) => {
    const p = actions?.get(key);
    const value = p ? literalString(p.value) : null;
    return value;
  };
  return {
    name: foreignKeyName(table.name, [column], resolved.table.name, [resolved.column]),
    columns: [column.name],
    refSchema: resolved.table.schema,
    refTable: resolved.table.name,
    refColumns: [resolved.column.name],
    onDelete: action("onDelete"),
    onUpdate: action("onUpdate"),
    span: ref.span,
  };
}

/** The third argument: `(t) => [ … ]`, `(t) => ({ … })`, or a function body returning either. */
function readExtraConfig(
  scope: FileScope,
  resolver: Resolver,
  table: DrizzleTable,
  casing: Casing | undefined,
): void {
  const fn = table.extra;
  const param = firstParamName(fn);
  const body = returnedExpression(fn);
  const entries: Node[] = [];
  if (body?.type === "ArrayExpression") {
    for (const e of body.elements) {
      if (!e) continue;
      if (e.type === "SpreadElement") {
        warn(scope, e, "Entries spread into the table's third argument are not read; they were skipped.");
        continue;
      }
      entries.push(e);
    }
  } else if (body?.type === "ObjectExpression") {
    for (const p of body.properties) {
      if (p.type === "ObjectProperty") {
        entries.push(p.value as Node);
        table.declarations.push({ start: p.start ?? 0, end: p.end ?? 0 });
      } else
        warn(scope, p, "This entry of the table's third argument cannot be read statically; it was skipped.");
    }
  } else {
    warn(
      scope,
      fn ?? table.call,
      "The third argument of this table is not `(t) => [ … ]` or `(t) => ({ … })`; its indexes and constraints were skipped.",
    );
    return;
  }
  const ctx: ExtraContext = { scope, resolver, table, param, casing };
  for (const entry of entries) {
    if (body?.type === "ArrayExpression")
      table.declarations.push({ start: entry.start ?? 0, end: entry.end ?? 0 });
    readExtraEntry(ctx, entry);
  }
}

interface ExtraContext {
  scope: FileScope;
  resolver: Resolver;
  table: DrizzleTable;
  param: string | null;
  casing: Casing | undefined;
}

function readExtraEntry(ctx: ExtraContext, entry: Node): void {
  const { scope, table } = ctx;
  const chain = chainOf(entry);
  const core = chain ? pgCoreName(scope, chain.rootPath) : null;
  const span = { start: entry.start ?? 0, end: entry.end ?? 0 };
  switch (core) {
    case "index":
    case "uniqueIndex":
      readIndex(ctx, chain as Chain, core === "uniqueIndex", span);
      return;
    case "foreignKey":
      readForeignKey(ctx, chain as Chain, span);
      return;
    case "primaryKey": {
      const c = constraintColumns(ctx, chain as Chain, span);
      if (!c) return;
      table.primaryKey = {
        name: c.name ?? primaryKeyName(table.name, c.columns),
        columns: c.columns.map((col) => col.name),
        nullsNotDistinct: false,
        span,
      };
      return;
    }
    case "unique": {
      const c = constraintColumns(ctx, chain as Chain, span);
      if (!c) return;
      table.uniques.push({
        name:
          c.name ??
          uniqueName(
            table.name,
            c.columns.map((col) => col.ormName),
          ),
        columns: c.columns.map((col) => col.name),
        nullsNotDistinct: (chain as Chain).methods.some((m) => m.name === "nullsNotDistinct"),
        span,
      });
      return;
    }
    // CHECK constraints and row-level security policies build no index.
    case "check":
    case "pgPolicy":
      return;
    default:
      warn(
        scope,
        entry,
        "This entry of the table's third argument is not an index(), uniqueIndex(), foreignKey(), primaryKey() or unique() that pg-index-lint can read; it was skipped.",
      );
  }
}

/** A column named inside the third argument: `t.authorId`, or `posts.authorId` by the table's variable. */
function extraColumn(ctx: ExtraContext, node: Node | null | undefined): DrizzleColumn | null {
  const path = memberPath(node);
  if (!path) return null;
  if (path.length === 2 && path[0] === ctx.param)
    return ctx.table.columns.find((c) => c.key === path[1]) ?? null;
  const resolved = ctx.resolver.column(ctx.scope, path, null);
  return resolved && resolved.table === ctx.table ? resolved.column : null;
}

function readIndex(ctx: ExtraContext, chain: Chain, unique: boolean, span: Span): void {
  const { scope, table } = ctx;
  const nameArg = chain.root.args[0];
  const explicit = nameArg ? literalString(nameArg) : null;
  if (nameArg && explicit === null) {
    warn(scope, nameArg, "This index's name is not a string literal; the index was skipped.");
    return;
  }
  const index: DrizzleIndex = {
    name: explicit ?? "",
    unique,
    concurrently: false,
    method: "btree",
    keys: [],
    where: null,
    span,
  };
  let ok = true;
  const readKeys = (args: CallExpression["arguments"]) => {
    for (const arg of args) {
      const key = indexKey(ctx, arg as Node);
      if (!key) {
        warn(
          scope,
          arg,
          "This index key is not a column of the table (`t.column`, with .asc(), .desc(), .nullsFirst(), .nullsLast() or .op()) or a static sql`…` expression; the index was skipped.",
        );
        ok = false;
        return;
      }
      index.keys.push(key);
    }
  };
  for (const m of chain.methods) {
    switch (m.name) {
      case "on":
      case "onOnly":
        readKeys(m.args);
        break;
      case "using": {
        const method = literalString(m.args[0]);
        if (method === null) {
          warn(
            scope,
            m.args[0] ?? m.call,
            "This index method is not a string literal; the index was skipped.",
          );
          ok = false;
        } else index.method = method;
        readKeys(m.args.slice(1));
        break;
      }
      case "concurrently":
        index.concurrently = true;
        break;
      case "where": {
        const where = sqlText(ctx, m.args[0] as Node | undefined);
        if (where === null) {
          warn(
            scope,
            m.args[0] ?? m.call,
            "This index's where() is not a static sql`…` template (interpolating only the table's columns), isNull() or isNotNull(); the partial index was skipped rather than read as a full one.",
          );
          ok = false;
        } else index.where = where;
        break;
      }
      case "with":
        break;
      default:
        warn(
          scope,
          { start: m.start, end: m.end },
          `pg-index-lint does not know the index method \`.${m.name}()\`; it was ignored.`,
        );
    }
    if (!ok) return;
  }
  if (index.keys.length === 0) {
    warn(scope, span, "This index names no columns (.on(...) or .using(...)); it was skipped.");
    return;
  }
  if (!explicit) {
    if (index.keys.some((k) => k.column === null)) {
      // drizzle-kit refuses to generate it: "Please specify an index name … that has … expression".
      warn(scope, span, "drizzle-kit requires a name for an index on an expression; this index was skipped.");
      return;
    }
    index.name = indexName(
      table.name,
      index.keys.map((k) => k.column as string),
    );
  }
  table.indexes.push(index);
}

/**
 * One key as drizzle-kit's CreatePgIndexConvertor writes it: `"col"`, then ` DESC` unless
 * ascending, and ` NULLS FIRST|LAST` unless it is ascending with nulls last; an operator class
 * replaces both (drizzle-kit writes the opclass and drops the direction).
 */
function indexKey(ctx: ExtraContext, node: Node): DrizzleIndexKey | null {
  const span = { start: node.start ?? 0, end: node.end ?? 0 };
  const u = unwrap(node);
  if (u?.type === "TaggedTemplateExpression") {
    const sql = sqlText(ctx, u);
    return sql === null ? null : { sql, column: null, span };
  }
  let n: Node | null = u;
  let order: "asc" | "desc" = "asc";
  let nulls: "first" | "last" | null = null;
  let opclass: string | null = null;
  const methods: { name: string; args: CallExpression["arguments"] }[] = [];
  while (n?.type === "CallExpression") {
    const callee = unwrap(n.callee);
    if (callee?.type !== "MemberExpression" || callee.property.type !== "Identifier") return null;
    methods.unshift({ name: callee.property.name, args: n.arguments });
    n = unwrap(callee.object);
  }
  const column = extraColumn(ctx, n);
  if (!column) return null;
  for (const m of methods) {
    if (m.name === "asc" || m.name === "desc") order = m.name;
    else if (m.name === "nullsFirst") nulls = "first";
    else if (m.name === "nullsLast") nulls = "last";
    else if (m.name === "op") {
      opclass = literalString(m.args[0]);
      if (opclass === null) return null;
    } else return null;
  }
  const effectiveNulls = nulls ?? "last";
  let sql = `"${column.name}"`;
  if (opclass) sql += ` ${opclass}`;
  else {
    if (order === "desc") sql += " DESC";
    if (!(order === "asc" && effectiveNulls === "last")) sql += ` NULLS ${effectiveNulls.toUpperCase()}`;
  }
  return { sql, column: column.name, span };
}

/**
 * The SQL of `sql\`…\`` as drizzle-kit writes it for an index (dialect.sqlToQuery(…, "indexes")):
 * the template's text, with each `${t.col}` as the quoted column name. Also `isNull(t.col)` and
 * `isNotNull(t.col)`. Anything else is dynamic: null.
 */
function sqlText(ctx: ExtraContext, node: Node | undefined): string | null {
  const u = unwrap(node);
  if (u?.type === "TaggedTemplateExpression") {
    const tag = unwrap(u.tag);
    if (tag?.type !== "Identifier" || ctx.scope.drizzle.get(tag.name) !== "sql") return null;
    const quasi = u.quasi;
    let out = "";
    for (let i = 0; i < quasi.quasis.length; i++) {
      out += quasi.quasis[i]?.value.cooked ?? "";
      const expr = quasi.expressions[i];
      if (!expr) continue;
      const column = extraColumn(ctx, expr as Node);
      if (!column) return null;
      out += `"${column.name}"`;
    }
    return out;
  }
  if (u?.type === "CallExpression") {
    const callee = unwrap(u.callee);
    const fn = callee?.type === "Identifier" ? ctx.scope.drizzle.get(callee.name) : undefined;
    if ((fn === "isNull" || fn === "isNotNull") && u.arguments.length === 1) {
      const column = extraColumn(ctx, u.arguments[0] as Node);
      if (!column) return null;
      return `"${column.name}" ${fn === "isNull" ? "is null" : "is not null"}`;
    }
  }
  return null;
}

function readForeignKey(ctx: ExtraContext, chain: Chain, span: Span): void {
  const { scope, table } = ctx;
  const options = objectProperties(chain.root.args[0]);
  const columnsNode = unwrap(options?.get("columns")?.value);
  const foreignNode = unwrap(options?.get("foreignColumns")?.value);
  const nameNode = options?.get("name")?.value;
  const explicit = nameNode ? literalString(nameNode) : null;
  const columns =
    columnsNode?.type === "ArrayExpression"
      ? columnsNode.elements.map((e) => extraColumn(ctx, e as Node))
      : null;
  const refs =
    foreignNode?.type === "ArrayExpression"
      ? foreignNode.elements.map((e) => {
          // A self-reference names the table's own columns through the parameter.
          const own = extraColumn(ctx, e as Node);
          return own ? { table, column: own } : ctx.resolver.column(scope, memberPath(e as Node), ctx);
        })
      : null;
  if (
    !columns ||
    !refs ||
    columns.some((c) => !c) ||
    refs.some((r) => !r) ||
    refs.length === 0 ||
    (nameNode && explicit === null)
  ) {
    warn(
      scope,
      span,
      "This foreignKey() cannot be read statically (columns and foreignColumns must be arrays of table columns, and the name a string literal); it was skipped.",
    );
    return;
  }
  const cols = columns as DrizzleColumn[];
  const targets = refs as ResolvedColumn[];
  const refTable = (targets[0] as ResolvedColumn).table;
  let onDelete: string | null = null;
  let onUpdate: string | null = null;
  for (const m of chain.methods) {
    if (m.name === "onDelete") onDelete = literalString(m.args[0]);
    else if (m.name === "onUpdate") onUpdate = literalString(m.args[0]);
  }
  table.foreignKeys.push({
    name:
      explicit ??
      foreignKeyName(
        table.name,
        cols,
        refTable.name,
        targets.map((t) => t.column),
      ),
    columns: cols.map((c) => c.name),
    refSchema: refTable.schema,
    refTable: refTable.name,
    refColumns: targets.map((t) => t.column.name),
    onDelete,
    onUpdate,
    span,
  });
}

/** `primaryKey({ columns: [t.a, t.b], name })`, the older `primaryKey(t.a, t.b)`, `unique("n").on(t.a)`. */
function constraintColumns(
  ctx: ExtraContext,
  chain: Chain,
  span: Span,
): { name: string | null; columns: DrizzleColumn[] } | null {
  const { scope } = ctx;
  const first = chain.root.args[0];
  const options = objectProperties(first);
  let name: string | null = null;
  let nodes: Node[] = [];
  if (options) {
    const list = unwrap(options.get("columns")?.value);
    nodes = list?.type === "ArrayExpression" ? (list.elements as Node[]) : [];
    const n = options.get("name")?.value;
    name = n ? literalString(n) : null;
    if (n && name === null) nodes = [];
  } else if (chain.rootPath.at(-1) === "unique" || pgCoreName(scope, chain.rootPath) === "unique") {
    name = first ? literalString(first) : null;
    const on = chain.methods.find((m) => m.name === "on");
    nodes = (on?.args as Node[]) ?? [];
    if (first && name === null) nodes = [];
  } else nodes = chain.root.args as Node[];
  const columns = nodes.map((n) => extraColumn(ctx, n));
  if (columns.length === 0 || columns.some((c) => !c)) {
    warn(
      scope,
      span,
      "This constraint's columns or name cannot be read statically (they must be the table's columns and a string literal); it was skipped.",
    );
    return null;
  }
  return { name, columns: columns as DrizzleColumn[] };
}

export interface ResolvedColumn {
  table: DrizzleTable;
  column: DrizzleColumn;
}

/** Finds declarations across files: a local variable, an import from a schema file, or a unique exported name. */
class Resolver {
  constructor(
    private readonly scopes: FileScope[],
    private readonly byFile: Map<string, FileScope>,
  ) {}

  /** The file scope and variable name a local name refers to. */
  private target(
    scope: FileScope,
    local: string,
    namespace: string | null,
  ): { scope: FileScope; name: string }[] {
    if (namespace === null && !scope.imports.has(local)) return [{ scope, name: local }];
    const imported = namespace === null ? scope.imports.get(local) : { module: namespace, imported: local };
    if (!imported) return [];
    const file = this.resolveModule(scope.ts.file, imported.module);
    if (file) {
      const name = [...file.exports].find(([, exported]) => exported === imported.imported)?.[0];
      if (name) return [{ scope: file, name }];
    }
    // Barrels (`export * from "./users"`), path aliases (`@/db/schema`): any file exporting the name.
    return this.scopes.flatMap((s) => {
      const name = [...s.exports].find(([, exported]) => exported === imported.imported)?.[0];
      return name ? [{ scope: s, name }] : [];
    });
  }

  private resolveModule(from: string, module: string): FileScope | null {
    if (!module.startsWith(".")) return null;
    const base = from.split("/").slice(0, -1);
    for (const part of module.split("/")) {
      if (part === "..") base.pop();
      else if (part !== ".") base.push(part);
    }
    const stem = base.join("/").replace(/\.[cm]?js$/, "");
    for (const candidate of [
      stem,
      `${stem}.ts`,
      `${stem}.tsx`,
      `${stem}/index.ts`,
      `${stem}.js`,
      `${stem}.mts`,
    ]) {
      const found = this.byFile.get(candidate);
      if (found) return found;
    }
    return null;
  }

  private lookup<T>(
    scope: FileScope,
    path: string[],
    pick: (s: FileScope, name: string) => T | undefined,
  ): T | null {
    const [head, second] = path;
    if (head === undefined) return null;
    const namespace = scope.namespaces.get(head);
    const targets =
      namespace !== undefined && second !== undefined
        ? this.target(scope, second, namespace)
        : this.target(scope, head, null);
    for (const t of targets) {
      const found = pick(t.scope, t.name);
      if (found !== undefined) return found;
    }
    return null;
  }

  column(scope: FileScope, path: string[] | null, _ctx: ExtraContext | null): ResolvedColumn | null {
    if (!path) return null;
    const namespaced = scope.namespaces.has(path[0] as string) && path.length === 3;
    if (path.length !== 2 && !namespaced) return null;
    const table = this.lookup(scope, path, (s, name) => s.tables.get(name));
    const key = path.at(-1) as string;
    const column = table?.columns.find((c) => c.key === key);
    return table && column ? { table, column } : null;
  }

  /** The top-level constant or enum a name refers to, in this file or the models file it is imported from. */
  constantAt(scope: FileScope, name: string): { scope: FileScope; node: Node } | null {
    return this.lookup(scope, [name], (s, n) => {
      const node = s.constants.get(n);
      return node ? { scope: s, node } : undefined;
    });
  }

  enumAt(scope: FileScope, path: string[]): DrizzleEnum | null {
    if (path.length > 2 || (path.length === 2 && !scope.namespaces.has(path[0] as string))) return null;
    return this.lookup(scope, path, (s, name) => s.enums.get(name));
  }

  /** A customType's SQL type: a string, null when computed, undefined when the name is no customType. */
  customTypeOf(scope: FileScope, name: string): string | null | undefined {
    if (!scope.imports.has(name)) return undefined;
    for (const t of this.target(scope, name, null))
      if (t.scope.customTypes.has(t.name)) return t.scope.customTypes.get(t.name);
    return undefined;
  }

  creatorOf(scope: FileScope, name: string): ((name: string) => string) | null | undefined {
    if (!scope.imports.has(name)) return undefined;
    const targets = this.target(scope, name, null);
    for (const t of targets) if (t.scope.creators.has(t.name)) return t.scope.creators.get(t.name);
    return undefined;
  }

  schemaOf(scope: FileScope, name: string): string | undefined {
    if (!scope.imports.has(name)) return undefined;
    return this.lookup(scope, [name], (s, n) => s.schemas.get(n)) ?? undefined;
  }
}

export type { ChainCall, SourceRange };
