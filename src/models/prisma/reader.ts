/**
 * Prisma schema files → the PostgreSQL DDL that `prisma migrate diff --from-empty` would emit, as
 * located statements, without running Prisma. One schema may span several files
 * (`prismaSchemaFolder`): models reference each other across files, and each statement belongs to
 * the file that declares it.
 *
 * The order within a file follows Prisma's migration steps: CreateEnum, CreateTable, CreateIndex,
 * AddForeignKey. Names are Prisma's (`Model_pkey`, `Model_a_b_key`, `Model_a_b_idx`,
 * `Model_a_fkey`, from the database names after `@map`/`@@map`); see names.ts.
 */
import type { ModelFile, SourceRange, Statement } from "../../model.js";
import { GeneratedSql, parseGenerated, qualified } from "../../parse/generated.js";
import { quoteIdent } from "../../schema/names.js";
import {
  defaultSql,
  INDEX_METHODS,
  nativeType,
  operatorClass,
  REFERENTIAL_ACTIONS,
  SCALAR_TYPES,
  serialType,
  sqlString,
} from "./ddl.js";
import { prismaIgnores } from "./ignores.js";
import { foreignKeyName, indexName, primaryKeyName, uniqueIndexName } from "./names.js";
import {
  type Arg,
  type Attribute,
  argument,
  type Block,
  type Expr,
  type Field,
  type PrismaSyntax,
  parsePrismaSyntax,
  pathOf,
  type Span,
  stringOf,
} from "./syntax.js";

export interface PrismaSchemaFile {
  /** Display path of the file. */
  file: string;
  text: string;
}

export interface PrismaReadOptions {
  /**
   * The Prisma major version that generates the migrations. Prisma 6 gives the join table of an
   * implicit many-to-many relation a primary key (`_AB_pkey`); earlier versions a unique index
   * (`_AB_unique`). Default: 6.
   */
  prismaMajor?: number;
}

/** A model as the reader understood it: where it is and what its fields are called in the database. */
export interface PrismaModel {
  name: string;
  file: string;
  schema: string | null;
  table: string;
  /** Field name → column name, scalar fields only. */
  columns: Map<string, string>;
  range: SourceRange;
}

export interface PrismaSchema {
  files: ModelFile[];
  models: PrismaModel[];
  /** `provider` of the datasource, when one is declared. */
  provider: string | null;
  /** `relationMode = "prisma"` emits no foreign keys. */
  relationMode: "foreignKeys" | "prisma";
  /** Statements generated. */
  understood: number;
  /** Declarations skipped, reported as warnings. */
  skipped: number;
}

const TX = {
  inTransaction: false,
  reason: "autocommit" as const,
  detail: "declared in a Prisma schema; prisma migrate dev would write it into a new migration",
};

interface ModelDecl {
  syntax: PrismaSyntax;
  block: Block;
  schema: string | null;
  table: string;
  columns: Map<string, string>;
}

interface EnumDecl {
  syntax: PrismaSyntax;
  block: Block;
  schema: string | null;
  dbName: string;
  values: Map<string, string>;
}

interface FileOutput {
  syntax: PrismaSyntax;
  model: ModelFile;
  enums: GeneratedSql[];
  tables: GeneratedSql[];
  /** CREATE TABLE statements a parse failure may retry without their DEFAULT clauses. */
  fallbacks: Map<GeneratedSql, GeneratedSql>;
  indexes: GeneratedSql[];
  foreignKeys: GeneratedSql[];
}

function attr(field: Field, name: string): Attribute | undefined {
  return field.attributes.find((a) => a.name === name);
}

function blockAttrs(block: Block, name: string): Attribute[] {
  return block.attributes.filter((a) => a.name === name);
}

function mapName(attributes: Attribute[], name: string): string {
  const map = attributes.find((a) => a.name === "map");
  return stringOf(map ? argument(map.args, "name", 0) : null) ?? name;
}

export function readPrismaSchema(files: PrismaSchemaFile[], options: PrismaReadOptions = {}): PrismaSchema {
  const prismaMajor = options.prismaMajor ?? 6;
  const syntaxes = files.map((f) => parsePrismaSyntax(f.text, f.file));
  const outputs = new Map<PrismaSyntax, FileOutput>();
  for (const syntax of syntaxes) {
    outputs.set(syntax, {
      syntax,
      model: {
        file: syntax.file,
        statements: [],
        errors: [...syntax.errors],
        warnings: [],
        ignores: prismaIgnores(syntax),
        locators: new Map(),
      },
      enums: [],
      tables: [],
      fallbacks: new Map(),
      indexes: [],
      foreignKeys: [],
    });
  }
  const out = (syntax: PrismaSyntax) => outputs.get(syntax) as FileOutput;
  let skipped = 0;
  const warn = (syntax: PrismaSyntax, span: Span, message: string) => {
    out(syntax).model.warnings.push({ message, range: syntax.source.range(span.start, span.end) });
    skipped++;
  };
  const errorAt = (syntax: PrismaSyntax, span: Span, message: string) => {
    out(syntax).model.errors.push({
      message: `Prisma schema error: ${message}`,
      range: syntax.source.range(span.start, span.end),
    });
  };
  const rangeOf = (syntax: PrismaSyntax, span: Span) => syntax.source.range(span.start, span.end);

  // Pass 1: declarations of every file, so that models can reference each other across files.
  const models = new Map<string, ModelDecl>();
  const views = new Set<string>();
  const enums = new Map<string, EnumDecl>();
  const composites = new Set<string>();
  let provider: string | null = null;
  let providerAt: { syntax: PrismaSyntax; span: Span } | null = null;
  let relationMode: "foreignKeys" | "prisma" = "foreignKeys";
  for (const syntax of syntaxes) {
    for (const block of syntax.blocks) {
      const schemaAttr = blockAttrs(block, "schema")[0];
      const schema = stringOf(schemaAttr ? argument(schemaAttr.args, "name", 0) : null);
      const taken = models.has(block.name) || enums.has(block.name) || views.has(block.name);
      if (
        taken &&
        (block.kind === "model" || block.kind === "enum" || block.kind === "view" || block.kind === "type")
      ) {
        errorAt(syntax, block.nameSpan, `"${block.name}" is declared more than once.`);
        continue;
      }
      switch (block.kind) {
        case "model": {
          const columns = new Map<string, string>();
          for (const field of block.fields) columns.set(field.name, mapName(field.attributes, field.name));
          models.set(block.name, {
            syntax,
            block,
            schema,
            table: mapName(block.attributes, block.name),
            columns,
          });
          break;
        }
        case "view":
          views.add(block.name);
          warn(
            syntax,
            block.headerSpan,
            `view ${block.name} is a database view, which Prisma does not create; pg-index-lint skipped it.`,
          );
          break;
        case "type":
          // Composite types exist on MongoDB only; PostgreSQL schemas have none to create.
          composites.add(block.name);
          break;
        case "enum": {
          const values = new Map<string, string>();
          for (const value of block.values) values.set(value.name, mapName(value.attributes, value.name));
          enums.set(block.name, {
            syntax,
            block,
            schema,
            dbName: mapName(block.attributes, block.name),
            values,
          });
          break;
        }
        case "datasource":
          for (const property of block.properties) {
            if (property.key === "provider") {
              provider = stringOf(property.value);
              providerAt = { syntax, span: property.span };
            }
            if (
              (property.key === "relationMode" || property.key === "referentialIntegrity") &&
              stringOf(property.value) === "prisma"
            )
              relationMode = "prisma";
          }
          break;
        case "generator":
          break;
      }
    }
  }

  const scalarColumns = (m: ModelDecl) => {
    const columns = new Map<string, string>();
    for (const field of m.block.fields)
      if (!models.has(field.type) && !views.has(field.type))
        columns.set(field.name, m.columns.get(field.name) ?? field.name);
    return columns;
  };

  const result = (understood: number): PrismaSchema => ({
    files: syntaxes.map((s) => out(s).model),
    models: [...models.entries()].map(([name, m]) => ({
      name,
      file: m.syntax.file,
      schema: m.schema,
      table: m.table,
      columns: scalarColumns(m),
      range: rangeOf(m.syntax, m.block.span),
    })),
    provider,
    relationMode,
    understood,
    skipped,
  });

  if (provider !== null && provider !== "postgresql" && provider !== "postgres" && providerAt) {
    warn(
      providerAt.syntax,
      providerAt.span,
      `This datasource's provider is "${provider}"; pg-index-lint reads PostgreSQL schemas only, so the models were skipped.`,
    );
    return result(0);
  }

  const enumValue = (type: string) => {
    const decl = enums.get(type);
    return decl ? (name: string) => decl.values.get(name) ?? null : null;
  };

  /** The column type of a scalar or enum field, without SERIAL; null for a type we cannot map. */
  const columnType = (field: Field): string | null => {
    if (field.unsupported !== null) return field.unsupported;
    const native = field.attributes.find((a) => a.name.startsWith("db."));
    if (native && SCALAR_TYPES[field.type]) {
      const sql = nativeType(native);
      if (sql) return sql;
    }
    const scalar = SCALAR_TYPES[field.type];
    if (scalar) return scalar;
    const decl = enums.get(field.type);
    if (decl) return qualified(decl.schema, decl.dbName);
    return null;
  };

  const isRelation = (field: Field) => models.has(field.type) || views.has(field.type);

  // Enums.
  for (const [name, decl] of enums) {
    const g = new GeneratedSql(rangeOf(decl.syntax, decl.block.span), decl.block.span.start);
    g.add("CREATE TYPE ")
      .add(qualified(decl.schema, decl.dbName), rangeOf(decl.syntax, decl.block.nameSpan))
      .add(" AS ENUM (");
    decl.block.values.forEach((value, i) => {
      if (i > 0) g.add(", ");
      g.add(sqlString(decl.values.get(value.name) ?? value.name), rangeOf(decl.syntax, value.span));
    });
    g.add(")");
    if (decl.block.values.length === 0) {
      warn(decl.syntax, decl.block.nameSpan, `enum ${name} has no values; it was skipped.`);
      continue;
    }
    out(decl.syntax).enums.push(g);
  }

  const joinTables = new Set<string>();
  for (const [modelName, m] of models) {
    const { syntax, block } = m;
    const o = out(syntax);
    const table = qualified(m.schema, m.table);
    const col = (fieldName: string) => quoteIdent(m.columns.get(fieldName) ?? fieldName);
    const fieldsByName = new Map(block.fields.map((f) => [f.name, f]));

    // CREATE TABLE, with and without DEFAULT clauses (a dbgenerated(…) text we cannot parse must
    // not lose the table).
    const create = (withDefaults: boolean) => {
      const g = new GeneratedSql(rangeOf(syntax, block.span), block.span.start);
      g.add("CREATE TABLE ").add(
        table,
        rangeOf(syntax, { start: block.span.start, end: block.nameSpan.end }),
      );
      g.add(" (");
      let first = true;
      for (const field of block.fields) {
        if (isRelation(field) || composites.has(field.type)) continue;
        let type = columnType(field);
        if (type === null) {
          if (withDefaults)
            warn(
              syntax,
              field.span,
              `The type "${field.type}" of field ${field.name} is not a Prisma scalar, enum or model; the field was skipped.`,
            );
          continue;
        }
        const defaultAttr = attr(field, "default");
        const defaultExpr = defaultAttr ? argument(defaultAttr.args, "value", 0) : null;
        if (defaultExpr?.kind === "call" && defaultExpr.name === "autoincrement")
          type = serialType(type) ?? type;
        let sql = `${col(field.name)} ${type}${field.list ? "[]" : ""}`;
        if (!field.optional && !field.list) sql += " NOT NULL";
        const dflt = withDefaults ? defaultSql(defaultExpr, type, field.list, enumValue(field.type)) : null;
        if (dflt !== null) sql += ` DEFAULT ${dflt}`;
        g.add(first ? "" : ", ").add(sql, rangeOf(syntax, field.span));
        first = false;
      }
      const pk = primaryKey(m);
      if (pk) {
        g.add(first ? "" : ", ").add(
          `CONSTRAINT ${quoteIdent(pk.name)} PRIMARY KEY (${pk.columns.map(quoteIdent).join(", ")})`,
          rangeOf(syntax, pk.span),
        );
      }
      g.add(")");
      return g;
    };
    const withDefaults = create(true);
    o.tables.push(withDefaults);
    o.fallbacks.set(withDefaults, create(false));

    // Unique indexes: @unique fields, then @@unique.
    const indexSpecs: IndexSpec[] = [];
    for (const field of block.fields) {
      const unique = attr(field, "unique");
      if (!unique) continue;
      indexSpecs.push({
        unique: true,
        keys: [{ field: field.name, args: unique.args }],
        map: stringOf(argument(unique.args, "map")),
        method: null,
        where: null,
        span: unique.span,
      });
    }
    for (const attribute of block.attributes) {
      if (attribute.name !== "unique" && attribute.name !== "index") continue;
      const fieldsExpr = argument(attribute.args, "fields", 0);
      if (fieldsExpr?.kind !== "array") {
        warn(syntax, attribute.span, `@@${attribute.name} needs a list of fields; it was skipped.`);
        continue;
      }
      const keys: IndexKeySpec[] = [];
      for (const item of fieldsExpr.items) {
        if (item.kind === "path") keys.push({ field: item.value, args: [] });
        else if (item.kind === "call") keys.push({ field: item.name, args: item.args });
      }
      const typeName = pathOf(argument(attribute.args, "type"));
      const method = typeName ? INDEX_METHODS[typeName] : null;
      if (method === undefined) {
        warn(
          syntax,
          attribute.span,
          `@@index type "${typeName}" is not a PostgreSQL index type Prisma knows; the index was skipped.`,
        );
        continue;
      }
      const whereExpr = argument(attribute.args, "where");
      let where: string | null = null;
      if (whereExpr) {
        where = whereSql(whereExpr, (f) => m.columns.get(f) ?? null);
        if (where === null) {
          warn(
            syntax,
            whereExpr.span,
            'This where: filter cannot be read statically (only raw("…") and { field: null | true | false | { not: null } } are); the index was skipped.',
          );
          continue;
        }
      }
      indexSpecs.push({
        unique: attribute.name === "unique",
        keys,
        // `name:` names the index in the database only on @@index (a Prisma 2 form); on @@unique
        // it is the name of the compound field in Prisma Client.
        map:
          stringOf(argument(attribute.args, "map")) ??
          (attribute.name === "index" ? stringOf(argument(attribute.args, "name")) : null),
        method,
        where,
        span: attribute.span,
      });
    }
    for (const spec of indexSpecs) {
      const unknown = spec.keys.find(
        (k) => !fieldsByName.has(k.field) || isRelation(fieldsByName.get(k.field) as Field),
      );
      if (unknown) {
        warn(
          syntax,
          spec.span,
          `Field "${unknown.field}" is not a scalar field of model ${modelName}; this index was skipped.`,
        );
        continue;
      }
      const columns = spec.keys.map((k) => m.columns.get(k.field) ?? k.field);
      const name =
        spec.map ?? (spec.unique ? uniqueIndexName(m.table, columns) : indexName(m.table, columns));
      const g = new GeneratedSql(rangeOf(syntax, spec.span), spec.span.start);
      g.add(spec.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ")
        .add(quoteIdent(name))
        .add(` ON ${table}`)
        .add(spec.method ? ` USING ${spec.method} (` : "(");
      spec.keys.forEach((key, i) => {
        let text = col(key.field);
        const ops = operatorClass(argument(key.args, "ops"));
        if (ops) text += ` ${ops}`;
        if (pathOf(argument(key.args, "sort")) === "Desc") text += " DESC";
        g.add(i > 0 ? ", " : "").add(text);
      });
      g.add(")");
      if (spec.where) g.add(` WHERE ${spec.where}`);
      o.indexes.push(g);
    }

    // Foreign keys and implicit many-to-many join tables.
    for (const field of block.fields) {
      if (!isRelation(field)) continue;
      const relation = attr(field, "relation");
      const fieldsExpr = relation ? argument(relation.args, "fields") : null;
      if (!fieldsExpr) {
        if (field.list && models.has(field.type)) {
          const join = implicitJoin(modelName, field);
          if (join && !joinTables.has(join.key)) {
            joinTables.add(join.key);
            emitJoinTable(join);
          }
        }
        continue;
      }
      if (relationMode === "prisma") continue;
      if (views.has(field.type)) continue; // Prisma creates no foreign keys to views.
      const target = models.get(field.type) as ModelDecl;
      const referencesExpr = relation ? argument(relation.args, "references") : null;
      const own = names(fieldsExpr);
      const refs = names(referencesExpr);
      if (!own || !refs || own.length === 0 || own.length !== refs.length) {
        warn(
          syntax,
          (relation as Attribute).span,
          "This @relation needs fields: […] and references: […] of the same length; no foreign key was generated.",
        );
        continue;
      }
      const missing =
        own.find((f) => !fieldsByName.has(f)) ??
        refs.find((f) => !target.block.fields.some((t) => t.name === f));
      if (missing) {
        warn(
          syntax,
          (relation as Attribute).span,
          `Field "${missing}" of this @relation does not exist; no foreign key was generated.`,
        );
        continue;
      }
      const columns = own.map((f) => m.columns.get(f) ?? f);
      const refColumns = refs.map((f) => target.columns.get(f) ?? f);
      const required = !field.optional || own.some((f) => !(fieldsByName.get(f) as Field).optional);
      const onDelete =
        pathOf(argument((relation as Attribute).args, "onDelete")) ?? (required ? "Restrict" : "SetNull");
      const onUpdate = pathOf(argument((relation as Attribute).args, "onUpdate")) ?? "Cascade";
      const name =
        stringOf(argument((relation as Attribute).args, "map")) ?? foreignKeyName(m.table, columns);
      const fieldRange = rangeOf(syntax, field.span);
      const g = new GeneratedSql(fieldRange, field.span.start);
      g.add(`ALTER TABLE ${table} ADD `).add(
        `CONSTRAINT ${quoteIdent(name)} FOREIGN KEY (${columns.map(quoteIdent).join(", ")}) REFERENCES ${qualified(target.schema, target.table)}(${refColumns.map(quoteIdent).join(", ")}) ON DELETE ${REFERENTIAL_ACTIONS[onDelete] ?? "RESTRICT"} ON UPDATE ${REFERENTIAL_ACTIONS[onUpdate] ?? "CASCADE"}`,
        fieldRange,
      );
      o.foreignKeys.push(g);
    }
  }

  function primaryKey(m: ModelDecl): { name: string; columns: string[]; span: Span } | null {
    for (const field of m.block.fields) {
      const id = attr(field, "id");
      if (id) {
        return {
          name: stringOf(argument(id.args, "map")) ?? primaryKeyName(m.table),
          columns: [m.columns.get(field.name) ?? field.name],
          span: id.span,
        };
      }
    }
    const id = blockAttrs(m.block, "id")[0];
    if (!id) return null;
    const fields = argument(id.args, "fields", 0);
    const list =
      fields?.kind === "array"
        ? fields.items.map((i) => (i.kind === "call" ? i.name : (pathOf(i) ?? "")))
        : [];
    return {
      name: stringOf(argument(id.args, "map")) ?? primaryKeyName(m.table),
      columns: list.map((f) => m.columns.get(f) ?? f),
      span: id.span,
    };
  }

  interface JoinSpec {
    key: string;
    relationName: string;
    /** The models in A/B order: A is the model whose name sorts first. */
    a: ModelDecl & { name: string };
    b: ModelDecl & { name: string };
    syntax: PrismaSyntax;
    span: Span;
  }

  function implicitJoin(modelName: string, field: Field): JoinSpec | null {
    const relation = attr(field, "relation");
    const explicit = relation ? stringOf(argument(relation.args, "name", 0)) : null;
    const other = models.get(field.type) as ModelDecl;
    // The opposite field: a list of this model with the same relation name.
    const opposite = other.block.fields.find((f) => {
      if (f === field || f.type !== modelName || !f.list) return false;
      const r = attr(f, "relation");
      return (r ? stringOf(argument(r.args, "name", 0)) : null) === explicit;
    });
    if (!opposite) return null;
    const [first, second] = [modelName, field.type].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)) as [
      string,
      string,
    ];
    const relationName = explicit ?? `${first}To${second}`;
    const a = { ...(models.get(first) as ModelDecl), name: first };
    const b = { ...(models.get(second) as ModelDecl), name: second };
    // The join table is declared where model A declares its side of the relation.
    const aField = modelName === first ? field : opposite;
    return {
      key: `${relationName}|${first}|${second}`,
      relationName,
      a,
      b,
      syntax: a.syntax,
      span: aField.span,
    };
  }

  function idColumn(m: ModelDecl): { column: string; type: string } | null {
    const pk = primaryKey(m);
    if (pk?.columns.length !== 1) return null;
    const field = m.block.fields.find((f) => (m.columns.get(f.name) ?? f.name) === pk.columns[0]);
    const type = field ? columnType(field) : null;
    return type && pk.columns[0] ? { column: pk.columns[0], type } : null;
  }

  function emitJoinTable(join: JoinSpec): void {
    const o = out(join.syntax);
    const aId = idColumn(join.a);
    const bId = idColumn(join.b);
    if (!aId || !bId) {
      warn(
        join.syntax,
        join.span,
        "The models of this implicit many-to-many relation need a single-field @id; its join table was skipped.",
      );
      return;
    }
    const tableName = `_${join.relationName}`;
    const table = qualified(join.a.schema, tableName);
    const range = rangeOf(join.syntax, join.span);
    const g = (sql: string) => new GeneratedSql(range, join.span.start).add(sql, range);
    const pkName = truncate(`${tableName}_AB_pkey`);
    o.tables.push(
      g(
        `CREATE TABLE ${table} ("A" ${aId.type} NOT NULL, "B" ${bId.type} NOT NULL${prismaMajor >= 6 ? `, CONSTRAINT ${quoteIdent(pkName)} PRIMARY KEY ("A", "B")` : ""})`,
      ),
    );
    if (prismaMajor < 6)
      o.indexes.push(
        g(`CREATE UNIQUE INDEX ${quoteIdent(truncate(`${tableName}_AB_unique`))} ON ${table}("A", "B")`),
      );
    o.indexes.push(g(`CREATE INDEX ${quoteIdent(truncate(`${tableName}_B_index`))} ON ${table}("B")`));
    if (relationMode === "prisma") return;
    for (const [side, target, id] of [
      ["A", join.a, aId],
      ["B", join.b, bId],
    ] as const) {
      o.foreignKeys.push(
        g(
          `ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(truncate(`${tableName}_${side}_fkey`))} FOREIGN KEY ("${side}") REFERENCES ${qualified(target.schema, target.table)}(${quoteIdent(id.column)}) ON DELETE CASCADE ON UPDATE CASCADE`,
        ),
      );
    }
  }

  // Parse every generated statement, file by file, in Prisma's step order.
  let understood = 0;
  for (const o of outputs.values()) {
    for (const g of [...o.enums, ...o.tables, ...o.indexes, ...o.foreignKeys]) {
      let parsed = parseGenerated(g);
      const fallback = o.fallbacks.get(g);
      if ("error" in parsed && fallback) {
        const retry = parseGenerated(fallback);
        if (!("error" in retry)) {
          o.model.warnings.push({
            message: `A @default(…) of this model is not SQL pg-index-lint can parse (${parsed.error}); the table was read without its defaults.`,
            range: g.range,
          });
          skipped++;
          parsed = retry;
        }
      }
      if ("error" in parsed) {
        o.model.warnings.push({
          message: `pg-index-lint could not turn this declaration into SQL it can parse (${parsed.error}); it was skipped.`,
          range: g.range,
        });
        skipped++;
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
      o.model.statements.push(statement);
      o.model.locators.set(statement, parsed.locate);
      understood++;
    }
  }
  return result(understood);
}

interface IndexKeySpec {
  field: string;
  args: Arg[];
}

interface IndexSpec {
  unique: boolean;
  keys: IndexKeySpec[];
  map: string | null;
  method: string | null;
  where: string | null;
  span: Span;
}

function names(expr: Expr | null): string[] | null {
  if (expr?.kind !== "array") return null;
  const out: string[] = [];
  for (const item of expr.items) {
    const name = pathOf(item);
    if (name === null) return null;
    out.push(name);
  }
  return out;
}

/** PostgreSQL keeps the first 63 bytes of a longer identifier. */
function truncate(name: string): string {
  const bytes = Buffer.from(name, "utf8");
  if (bytes.length <= 63) return name;
  let cut = 63;
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut).toString("utf8");
}

/**
 * The predicate of a partial index (Prisma 7.4, `partialIndexes` preview): `raw("…")` is sent as
 * written; the object form `{ field: null }` / `{ field: { not: null } }` / `{ flag: true }` becomes
 * the matching comparisons joined with AND. Null for anything else.
 */
function whereSql(expr: Expr, column: (field: string) => string | null): string | null {
  if (expr.kind === "call" && expr.name === "raw") return stringOf(argument(expr.args, "", 0));
  if (expr.kind !== "object") return null;
  const parts: string[] = [];
  for (const entry of expr.entries) {
    const name = entry.name ? column(entry.name) : null;
    if (!name || !entry.value) return null;
    const value = entry.value;
    const c = quoteIdent(name);
    if (pathOf(value) === "null") parts.push(`${c} IS NULL`);
    else if (pathOf(value) === "true" || pathOf(value) === "false") parts.push(`${c} = ${pathOf(value)}`);
    else if (
      value.kind === "object" &&
      value.entries.length === 1 &&
      value.entries[0]?.name === "not" &&
      pathOf(value.entries[0]?.value) === "null"
    )
      parts.push(`${c} IS NOT NULL`);
    else return null;
  }
  return parts.length ? parts.join(" AND ") : null;
}
