/**
 * Alembic revision files, read without running Python: the revision header (`revision`,
 * `down_revision`, `depends_on`) and the operations of `upgrade()` (or `downgrade()`), each
 * translated into the PostgreSQL DDL Alembic would send, located at the `op.*(...)` call.
 *
 * Alembic's operations compile through SQLAlchemy (alembic/ddl/impl.py): `create_table` emits
 * CREATE TABLE and then CREATE INDEX for every `index=True` column and `Index` argument;
 * `add_column` emits ADD COLUMN and then the column's constraints and indexes.
 */
import type { InputError, SourceRange } from "../model.js";
import { GeneratedSql, type GeneratedStatement, parseGenerated, qualified } from "../parse/generated.js";
import { parseSql as parseSqlText } from "../parse/sql.js";
import { quoteIdent } from "../schema/names.js";
import { columnIndex, columnSql, createIndexSql, createTableSql, foreignKeySql } from "./ddl.js";
import {
  defaultNaming,
  type ForeignKeySpec,
  ItemReader,
  NO_RESOLVER,
  type Skipped,
  sqlType,
  type TableSpec,
} from "./schema-items.js";
import { readString } from "./strings.js";
import {
  dottedName,
  findFunction,
  lastPart,
  meaningfulChildren,
  type PythonFile,
  rangeOf,
  type SyntaxNode,
  statementsOf,
  textOf,
} from "./syntax.js";
import { bool, calleeName, evaluate, items, nameValue, type PyValue, Scope, str } from "./values.js";

export interface RevisionHeader {
  revision: string | null;
  downRevisions: string[];
  dependsOn: string[];
  /** Why the revision id could not be read, when it could not. */
  problem: string | null;
}

/** The module-level `revision = "…"` and `down_revision = "…" | ("a", "b") | None`. */
export function readRevisionHeader(py: PythonFile): RevisionHeader {
  const scope = new Scope(py).collect(statementsOf(py.tree.topNode));
  const read = (name: string): PyValue | null => {
    const node = scope.lookup(name, Number.POSITIVE_INFINITY);
    return node ? evaluate(scope, node) : null;
  };
  const ids = (value: PyValue | null): string[] | null => {
    if (value === null || value.kind === "none") return [];
    if (value.kind === "str") return [value.value];
    const list = items(value);
    if (!list) return null;
    const out = list.map(str);
    return out.some((s) => s === null) ? null : (out as string[]);
  };
  const revisionValue = read("revision");
  const revision = str(revisionValue ?? undefined);
  const down = ids(read("down_revision"));
  const depends = ids(read("depends_on"));
  let problem: string | null = null;
  if (revisionValue === null) problem = "it assigns no `revision`";
  else if (revision === null) problem = "its `revision` is not a string literal";
  else if (down === null) problem = "its `down_revision` is not a string, a tuple of strings or None";
  return { revision, downRevisions: down ?? [], dependsOn: depends ?? [], problem };
}

/** One generated statement and the transaction block it sits in. */
export interface AlembicStatement extends GeneratedStatement {
  /** The `with …autocommit_block():` that holds the operation, if any. */
  autocommitBlock: { from: number; to: number; line: number } | null;
}

export interface TranslatedRevision {
  statements: AlembicStatement[];
  skipped: Skipped[];
  errors: InputError[];
}

interface WalkContext {
  autocommit: { from: number; to: number; line: number } | null;
  batch: { table: string; schema: string | null; variable: string } | null;
  /** Set inside a loop: operations there run an unknown number of times with unknown values. */
  loop: string | null;
  depth: number;
}

/**
 * Calls that never change the schema: logging, and a DB-API result's or session's bookkeeping
 * (`result.close()`, `db.session.commit()`).
 */
const QUIET_CALLS =
  /^(print|logger\.\w+|log\.\w+|logging\.\w+|warnings\.warn|LOG\.\w+|_?log\w*|[\w.]+\.(close|commit|rollback|flush|fetchall|fetchone|fetchmany|scalar|scalar_one|scalars))$/;

/** Alembic operations that change nothing the catalog models (data, comments, CHECK constraints). */
const NO_SCHEMA_EFFECT = new Set([
  "bulk_insert",
  "create_check_constraint",
  "create_table_comment",
  "drop_table_comment",
  "get_bind",
  "get_context",
  "inline_literal",
  "f",
  "create_sequence",
  "drop_sequence",
]);

export function translateRevision(py: PythonFile, part: "upgrade" | "downgrade"): TranslatedRevision {
  const module = py.tree.topNode;
  const moduleScope = new Scope(py).collect(statementsOf(module));
  const translator = new Translator(py, moduleScope);
  const fn = findFunction(py, module, part);
  if (!fn) return { statements: [], skipped: [], errors: [] };
  const body = fn.getChild("Body");
  if (body) {
    const scope = new Scope(py, moduleScope).collect(statementsOf(body));
    translator.walk(statementsOf(body), scope, { autocommit: null, batch: null, loop: null, depth: 0 });
  }
  return {
    statements: translator.statements,
    skipped: [...translator.skipped, ...translator.reader.skipped],
    errors: translator.errors,
  };
}

class Translator {
  readonly statements: AlembicStatement[] = [];
  readonly skipped: Skipped[] = [];
  readonly errors: InputError[] = [];
  readonly reader: ItemReader;
  private readonly naming = defaultNaming();

  constructor(
    readonly py: PythonFile,
    readonly moduleScope: Scope,
  ) {
    this.reader = new ItemReader(py, NO_RESOLVER);
  }

  private skip(node: { from: number; to: number }, message: string): void {
    this.skipped.push({ message, range: rangeOf(this.py, node) });
  }

  walk(statements: SyntaxNode[], scope: Scope, ctx: WalkContext): void {
    for (const statement of statements) this.statement(statement, scope, ctx);
  }

  private statement(node: SyntaxNode, scope: Scope, ctx: WalkContext): void {
    switch (node.name) {
      case "ExpressionStatement":
      case "AssignStatement": {
        const assigned = node.name === "AssignStatement";
        const value = assigned ? meaningfulChildren(node).at(-1) : node.firstChild;
        // `x = f(...)` computes a value (a text(), an inspector, a table() for bulk_insert): only
        // operations and execute() calls in it are followed.
        if (value?.name === "CallExpression" && (!assigned || this.isOperation(value, ctx)))
          this.call(value, scope, ctx);
        else if (value?.name === "AwaitExpression")
          this.skip(
            node,
            "An awaited call was not followed; if it changes the schema, that change was not checked.",
          );
        return;
      }
      case "WithStatement":
        this.withStatement(node, scope, ctx);
        return;
      case "IfStatement": {
        const branch = this.branchOnPostgres(node);
        if (branch === null) return;
        if (!branch.decided)
          this.skip(
            branch.condition ?? node,
            "pg-index-lint does not evaluate this condition: it checked the operations of this branch as if it runs, and skipped the branches after it.",
          );
        const body = branch.body;
        this.walk(statementsOf(body), new Scope(this.py, scope).collect(statementsOf(body)), ctx);
        return;
      }
      case "ForStatement":
      case "WhileStatement": {
        const body = node.getChild("Body");
        if (body) {
          const kind = node.name === "ForStatement" ? "a for loop" : "a while loop";
          this.walk(statementsOf(body), scope, { ...ctx, loop: kind });
        }
        return;
      }
      case "TryStatement": {
        // The try body is the normal path; handlers run only on failure.
        const body = node.getChild("Body");
        if (body) this.walk(statementsOf(body), scope, ctx);
        return;
      }
      default:
        return;
    }
  }

  /**
   * The branch of an if/elif/else that runs when the migration runs on PostgreSQL. A condition that
   * tests the dialect (`url.startswith("mysql")`, `bind.dialect.name == "postgresql"`, and their
   * negations) is decided: migrations that serve several databases keep each one's DDL in its own
   * branch, and reading the MySQL branch on PostgreSQL invents constraints that never exist there.
   * The first condition that is not a dialect test is undecided: its branch is taken as running
   * (`decided: false`). Null when no branch runs on PostgreSQL.
   */
  private branchOnPostgres(
    node: SyntaxNode,
  ): { body: SyntaxNode; condition: SyntaxNode | null; decided: boolean } | null {
    const parts = meaningfulChildren(node);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as SyntaxNode;
      if (part.name === "else") {
        const body = parts[i + 1];
        return body?.name === "Body" ? { body, condition: null, decided: true } : null;
      }
      if (part.name !== "if" && part.name !== "elif") continue;
      const condition = parts[i + 1];
      const body = parts[i + 2];
      if (!condition || body?.name !== "Body") return null;
      const runs = runsOnPostgres(textOf(this.py, condition));
      if (runs === null) return { body, condition, decided: false };
      if (runs) return { body, condition, decided: true };
      i += 2;
    }
    return null;
  }

  private withStatement(node: SyntaxNode, scope: Scope, ctx: WalkContext): void {
    const body = node.getChild("Body");
    if (!body) return;
    const header = meaningfulChildren(node).filter((c) => c.from < body.from && c.name !== "with");
    let inner: WalkContext = ctx;
    for (let i = 0; i < header.length; i++) {
      const item = header[i] as SyntaxNode;
      if (item.name !== "CallExpression") continue;
      const callee = dottedName(this.py, item.firstChild);
      const method = lastPart(callee) ?? lastMethod(this.py, item);
      if (method === "autocommit_block") {
        // alembic/runtime/migration.py MigrationContext.autocommit_block(): commits the migration
        // transaction, runs the block with the AUTOCOMMIT isolation level, then begins a new one.
        const line = rangeOf(this.py, node).line;
        inner = { ...inner, autocommit: { from: node.from, to: node.to, line } };
      } else if (method === "batch_alter_table") {
        const call = evaluate(scope, item);
        const table = call.kind === "call" ? str(call.args[0] ?? call.kwargs.get("table_name")) : null;
        const asName = header[i + 1]?.name === "as" ? header[i + 2] : undefined;
        if (!table || !asName || asName.name !== "VariableName") {
          this.skip(
            item,
            "The table of this batch_alter_table cannot be read statically; the operations in the block were skipped.",
          );
          return;
        }
        const schema = call.kind === "call" ? str(call.kwargs.get("schema")) : null;
        inner = { ...inner, batch: { table, schema, variable: textOf(this.py, asName) } };
      }
    }
    this.walk(statementsOf(body), scope, inner);
  }

  private isOperation(node: SyntaxNode, ctx: WalkContext): boolean {
    const callee = dottedName(this.py, node.firstChild);
    if (!callee?.includes(".")) return false;
    const object = callee.slice(0, callee.lastIndexOf("."));
    return object === "op" || object === ctx.batch?.variable || callee.endsWith(".execute");
  }

  private call(node: SyntaxNode, scope: Scope, ctx: WalkContext): void {
    const callee = dottedName(this.py, node.firstChild);
    const value = evaluate(scope, node);
    if (value.kind !== "call") return;
    const method = lastPart(callee) ?? value.method;
    const object = callee?.includes(".") ? callee.slice(0, callee.lastIndexOf(".")) : null;
    const isOp =
      object === "op" || object === "alembic.op" || (ctx.batch !== null && object === ctx.batch.variable);
    if (method === "execute" && object !== null) {
      this.unlessInLoop(node, ctx, () => this.execute(value, ctx));
      return;
    }
    if (isOp && method) {
      this.unlessInLoop(node, ctx, () =>
        this.operation(method, value, ctx, object !== "op" && object !== "alembic.op"),
      );
      return;
    }
    if (callee !== null && QUIET_CALLS.test(callee)) return;
    if (callee !== null && !callee.includes(".") && ctx.depth < 3) {
      // A helper defined in this file and called without arguments: follow it.
      const def = findFunction(this.py, this.py.tree.topNode, callee);
      const params = def?.getChild("ParamList");
      const hasParams = params ? meaningfulChildren(params).length > 0 : false;
      const body = def?.getChild("Body");
      if (def && body && !hasParams && value.args.length === 0) {
        this.walk(statementsOf(body), new Scope(this.py, this.moduleScope).collect(statementsOf(body)), {
          ...ctx,
          depth: ctx.depth + 1,
        });
        return;
      }
    }
    if (callee !== null && /^(sa|sqlalchemy|context)\./.test(callee)) return;
    this.skip(
      node,
      `pg-index-lint does not follow the call \`${callee ?? textOf(this.py, node.firstChild ?? node)}(…)\`; if it changes the schema, that change was not checked.`,
    );
  }

  private unlessInLoop(node: SyntaxNode, ctx: WalkContext, run: () => boolean): void {
    if (ctx.loop) {
      this.skip(
        node,
        `This operation runs inside ${ctx.loop}, so its arguments are not known statically; it was skipped.`,
      );
      return;
    }
    run();
  }

  /** Emits the generated statements of one operation; false when it was skipped. */
  private emit(generated: GeneratedSql[], ctx: WalkContext): boolean {
    for (const g of generated) {
      const parsed = parseGenerated(g);
      if ("error" in parsed) {
        this.skipped.push({
          message: `pg-index-lint could not turn this operation into SQL it can parse (${parsed.error}); it was skipped.`,
          range: g.range,
        });
        return false;
      }
      this.statements.push({ ...parsed, autocommitBlock: ctx.autocommit });
    }
    return true;
  }

  /** `op.execute("…")`, `op.execute(sa.text("…"))`, `conn.execute(text("…"))`: the SQL itself, located in the literal. */
  private execute(call: Extract<PyValue, { kind: "call" }>, ctx: WalkContext): boolean {
    let arg = call.args[0] ?? call.kwargs.get("sqltext") ?? call.kwargs.get("statement");
    if (arg?.kind === "call" && calleeName(arg) === "text") arg = arg.args[0];
    if (!arg) {
      this.skip(
        call.node,
        "This execute() call has no SQL argument that pg-index-lint can read; it was skipped.",
      );
      return false;
    }
    if (arg.kind === "call") {
      const name = calleeName(arg) ?? "";
      // SQLAlchemy Core DML (table.insert(), sa.update(...)) changes data, not the schema.
      if (
        /^(insert|update|delete|select|values|where|bulk_insert)$/.test(name) ||
        /\.(insert|update|delete)\(/.test(textOf(this.py, arg.node))
      )
        return true;
    }
    if (arg.kind !== "str") {
      const why = arg.kind === "unknown" ? arg.why : "not a string literal";
      this.skip(
        arg.node,
        `The SQL of this execute() is ${why}, so pg-index-lint cannot read it; it was skipped.`,
      );
      return false;
    }
    const literal = readString(this.py, arg.node);
    const string = literal.ok ? literal.string : arg.string;
    const parsed = parseSqlText(string.value, this.py.file);
    const map = (index: number): number =>
      string.offsets[Math.min(Math.max(index, 0), string.offsets.length - 1)] ?? 0;
    if (parsed.errors.length > 0) {
      // Bind parameters (`:name`, `%(name)s`) are filled in by the driver, not PostgreSQL.
      if (/(^|[^:]):[A-Za-z_]\w*|%\(\w+\)s|%s/.test(string.value)) {
        this.skip(
          arg.node,
          "This SQL has bind parameters, which only the driver fills in; pg-index-lint cannot parse it and skipped it.",
        );
        return false;
      }
      for (const error of parsed.errors) {
        // The SQL parser's location counts lines inside the string; map its start back to the file.
        const inString = sqlOffset(string.value, error.range.line, error.range.column);
        const at = map(inString);
        const range = this.py.source.range(at, at + 1);
        this.errors.push({ message: `${error.message} (in the SQL of this execute())`, range });
      }
      return false;
    }
    for (const statement of parsed.statements) {
      const start = map(statement.offset);
      const end = map(statement.offset + statement.sql.length - 1) + 1;
      const range = this.py.source.range(start, end);
      const sqlSource = parsed.source;
      this.statements.push({
        node: statement.node,
        sql: statement.sql,
        range,
        offset: start,
        autocommitBlock: ctx.autocommit,
        locate: (byteLocation) => {
          if (byteLocation === undefined || byteLocation < 0) return range;
          const at = map(sqlSource.charOffset(byteLocation));
          const { line, column } = this.py.source.position(at);
          const endColumn =
            line === range.endLine ? range.endColumn : this.py.source.lineText(line).trimEnd().length + 1;
          return {
            file: range.file,
            line,
            column,
            endLine: line,
            endColumn: Math.max(endColumn, column + 1),
          };
        },
      });
    }
    return true;
  }

  /** One `op.<name>(...)` (or `batch_op.<name>(...)` with the batch's table). */
  private operation(
    name: string,
    call: Extract<PyValue, { kind: "call" }>,
    ctx: WalkContext,
    batch: boolean,
  ): boolean {
    if (call.spread) {
      this.skip(
        call.node,
        `This op.${name}() passes *args or **kwargs, so its arguments are not known statically; it was skipped.`,
      );
      return false;
    }
    const args = new Args(call, batch && ctx.batch ? { ...ctx.batch } : null, name);
    const range = rangeOf(this.py, call.node);
    const offset = call.node.from;
    const table = args.table();
    const schema = args.schema();
    const needTable = (): string | null => {
      if (table === null)
        this.skip(call.node, `The table name of this op.${name}() is not a string literal; it was skipped.`);
      return table;
    };
    switch (name) {
      case "create_table": {
        const t = needTable();
        if (t === null) return false;
        const spec: TableSpec = {
          schema,
          name: t,
          columns: [],
          constraints: [],
          foreignKeys: [],
          indexes: [],
          range: rangeOf(this.py, args.tableNode() ?? call.node),
        };
        for (const item of call.args.slice(1)) {
          if (!this.tableItem(spec, item)) return false;
        }
        return this.emit(createTableSql(spec, this.naming, range, offset), ctx);
      }
      case "drop_table": {
        const t = needTable();
        if (t === null) return false;
        const ifExists = bool(call.kwargs.get("if_exists")) ? "IF EXISTS " : "";
        return this.emit(
          [new GeneratedSql(range, offset).add(`DROP TABLE ${ifExists}${qualified(schema, t)}`)],
          ctx,
        );
      }
      case "add_column": {
        const t = needTable();
        const columnValue = args.get(1, "column");
        const column = columnValue ? this.reader.column(columnValue, null) : null;
        if (t === null) return false;
        if (!column) {
          this.skip(
            call.node,
            "The column of this op.add_column() cannot be read statically; it was skipped.",
          );
          return false;
        }
        const ifNotExists = bool(call.kwargs.get("if_not_exists")) ? "IF NOT EXISTS " : "";
        const out = [
          new GeneratedSql(range, offset)
            .add(`ALTER TABLE ${qualified(schema, t)} ADD COLUMN ${ifNotExists}`)
            .add(columnSql(column), column.range),
        ];
        for (const fk of column.foreignKeys) {
          out.push(
            new GeneratedSql(range, offset)
              .add(`ALTER TABLE ${qualified(schema, t)} ADD `)
              .add(foreignKeySql(fk, t, this.naming), column.range),
          );
        }
        if (column.unique && !column.index) {
          out.push(
            new GeneratedSql(range, offset)
              .add(`ALTER TABLE ${qualified(schema, t)} ADD `)
              .add(`UNIQUE (${quoteIdent(column.name)})`, column.range),
          );
        }
        if (column.index)
          out.push(createIndexSql(columnIndex(column), schema, t, this.naming, range, offset));
        return this.emit(out, ctx);
      }
      case "drop_column": {
        const t = needTable();
        const column = str(args.get(1, "column_name"));
        if (t === null) return false;
        if (column === null) {
          this.skip(
            call.node,
            "The column name of this op.drop_column() is not a string literal; it was skipped.",
          );
          return false;
        }
        return this.emit(
          [
            new GeneratedSql(range, offset).add(
              `ALTER TABLE ${qualified(schema, t)} DROP COLUMN ${quoteIdent(column)}`,
            ),
          ],
          ctx,
        );
      }
      case "alter_column":
        return this.alterColumn(call, args, range, offset, ctx);
      case "rename_table": {
        const from = str(args.get(0, "old_table_name"));
        const to = str(args.get(1, "new_table_name"));
        if (from === null || to === null) {
          this.skip(
            call.node,
            "The table names of this op.rename_table() are not string literals; it was skipped.",
          );
          return false;
        }
        return this.emit(
          [
            new GeneratedSql(range, offset).add(
              `ALTER TABLE ${qualified(schema, from)} RENAME TO ${quoteIdent(to)}`,
            ),
          ],
          ctx,
        );
      }
      case "create_index": {
        const t = needTable();
        if (t === null) return false;
        const columnsValue = args.get(2, "columns");
        const keys = columnsValue?.kind === "str" ? [columnsValue] : items(columnsValue);
        if (!keys) {
          this.skip(
            call.node,
            "The columns of this op.create_index() are not a literal list; it was skipped.",
          );
          return false;
        }
        const index = this.reader.index(call, { name: args.get(0, "index_name"), keys });
        if (!index) return false;
        index.unique = bool(args.get(3, "unique")) === true || index.unique;
        return this.emit([createIndexSql(index, schema, t, this.naming, range, offset)], ctx);
      }
      case "drop_index": {
        const indexName = nameValue(args.get(0, "index_name"));
        if (indexName === null) {
          this.skip(
            call.node,
            "The index name of this op.drop_index() is not a string literal; it was skipped.",
          );
          return false;
        }
        const concurrently = bool(call.kwargs.get("postgresql_concurrently")) ? "CONCURRENTLY " : "";
        const ifExists = bool(call.kwargs.get("if_exists")) ? "IF EXISTS " : "";
        return this.emit(
          [
            new GeneratedSql(range, offset).add(
              `DROP INDEX ${concurrently}${ifExists}${qualified(schema, indexName)}`,
            ),
          ],
          ctx,
        );
      }
      case "create_foreign_key": {
        const t = needTable();
        const referent = str(args.get(2, "referent_table"));
        const local = this.reader.columnList(args.get(3, "local_cols"));
        const remote = this.reader.columnList(args.get(4, "remote_cols"));
        if (t === null) return false;
        if (referent === null || !local || !remote) {
          this.skip(
            call.node,
            "The tables or columns of this op.create_foreign_key() are not literals; it was skipped.",
          );
          return false;
        }
        const fk: ForeignKeySpec = {
          name: nameValue(args.get(0, "constraint_name")),
          columns: local,
          refSchema: str(call.kwargs.get("referent_schema")),
          refTable: referent,
          refColumns: remote,
          range,
        };
        const sourceSchema = str(call.kwargs.get("source_schema")) ?? schema;
        return this.emit(
          [
            new GeneratedSql(range, offset)
              .add(`ALTER TABLE ${qualified(sourceSchema, t)} ADD `)
              .add(foreignKeySql(fk, t, this.naming), range),
          ],
          ctx,
        );
      }
      case "create_unique_constraint":
      case "create_primary_key": {
        const t = needTable();
        const columns = this.reader.columnList(args.get(2, "columns"));
        if (t === null) return false;
        if (!columns) {
          this.skip(call.node, `The columns of this op.${name}() are not a literal list; it was skipped.`);
          return false;
        }
        const constraintName = nameValue(args.get(0, "constraint_name"));
        const head = constraintName ? `CONSTRAINT ${quoteIdent(constraintName)} ` : "";
        const kind = name === "create_primary_key" ? "PRIMARY KEY" : "UNIQUE";
        return this.emit(
          [
            new GeneratedSql(range, offset)
              .add(`ALTER TABLE ${qualified(schema, t)} ADD `)
              .add(`${head}${kind} (${columns.map(quoteIdent).join(", ")})`, range),
          ],
          ctx,
        );
      }
      case "drop_constraint": {
        const t = needTable();
        const constraintName = nameValue(args.get(0, "constraint_name"));
        if (t === null) return false;
        if (constraintName === null) {
          this.skip(
            call.node,
            "The constraint name of this op.drop_constraint() is not a string literal; it was skipped.",
          );
          return false;
        }
        const ifExists = bool(call.kwargs.get("if_exists")) ? "IF EXISTS " : "";
        return this.emit(
          [
            new GeneratedSql(range, offset).add(
              `ALTER TABLE ${qualified(schema, t)} DROP CONSTRAINT ${ifExists}${quoteIdent(constraintName)}`,
            ),
          ],
          ctx,
        );
      }
      default:
        if (NO_SCHEMA_EFFECT.has(name)) return true;
        this.skip(call.node, `pg-index-lint does not model op.${name}(); it was skipped.`);
        return false;
    }
  }

  private alterColumn(
    call: Extract<PyValue, { kind: "call" }>,
    args: Args,
    range: SourceRange,
    offset: number,
    ctx: WalkContext,
  ): boolean {
    const t = args.table();
    const column = str(args.get(1, "column_name"));
    if (t === null || column === null) {
      this.skip(
        call.node,
        "The table or column of this op.alter_column() is not a string literal; it was skipped.",
      );
      return false;
    }
    const target = qualified(args.schema(), t);
    const out: GeneratedSql[] = [];
    const nullable = bool(call.kwargs.get("nullable"));
    if (nullable !== null) {
      out.push(
        new GeneratedSql(range, offset).add(
          `ALTER TABLE ${target} ALTER COLUMN ${quoteIdent(column)} ${nullable ? "DROP" : "SET"} NOT NULL`,
        ),
      );
    }
    const typeValue = call.kwargs.get("type_");
    if (typeValue) {
      const type = sqlType(typeValue);
      if (type)
        out.push(
          new GeneratedSql(range, offset).add(
            `ALTER TABLE ${target} ALTER COLUMN ${quoteIdent(column)} TYPE ${type}`,
          ),
        );
    }
    const newName = str(call.kwargs.get("new_column_name"));
    if (newName !== null) {
      out.push(
        new GeneratedSql(range, offset).add(
          `ALTER TABLE ${target} RENAME COLUMN ${quoteIdent(column)} TO ${quoteIdent(newName)}`,
        ),
      );
    }
    return this.emit(out, ctx);
  }

  /** A positional argument of `op.create_table`: a Column or a table-level constraint or index. */
  private tableItem(spec: TableSpec, item: PyValue): boolean {
    return this.reader.tableItem(spec, item, {
      columns: true,
      skipMessage: "This argument of op.create_table() cannot be read statically; the table was skipped.",
    });
  }
}

/** Where each operation takes its table name, for `batch_op.*`, which has none. */
const TABLE_POSITION: Record<string, { index: number; kw: string }> = {
  create_table: { index: 0, kw: "table_name" },
  drop_table: { index: 0, kw: "table_name" },
  add_column: { index: 0, kw: "table_name" },
  drop_column: { index: 0, kw: "table_name" },
  alter_column: { index: 0, kw: "table_name" },
  create_index: { index: 1, kw: "table_name" },
  drop_index: { index: 1, kw: "table_name" },
  create_foreign_key: { index: 1, kw: "source_table" },
  create_unique_constraint: { index: 1, kw: "table_name" },
  create_primary_key: { index: 1, kw: "table_name" },
  drop_constraint: { index: 1, kw: "table_name" },
};

/** An operation's arguments by Alembic's positions; a batch operation gets its table filled in. */
class Args {
  private readonly position: { index: number; kw: string } | undefined;
  constructor(
    private readonly call: Extract<PyValue, { kind: "call" }>,
    private readonly batch: { table: string; schema: string | null } | null,
    name: string,
  ) {
    this.position = TABLE_POSITION[name];
  }

  get(index: number, kw: string): PyValue | undefined {
    const fromKw = this.call.kwargs.get(kw);
    if (fromKw) return fromKw;
    if (this.batch && this.position) {
      if (index === this.position.index) return undefined;
      return this.call.args[index > this.position.index ? index - 1 : index];
    }
    return this.call.args[index];
  }

  table(): string | null {
    if (this.batch) return this.batch.table;
    if (!this.position) return null;
    return str(this.get(this.position.index, this.position.kw));
  }

  /** The node of the table-name argument, for locating the table. */
  tableNode(): SyntaxNode | null {
    if (this.batch || !this.position) return null;
    return this.get(this.position.index, this.position.kw)?.node ?? null;
  }

  schema(): string | null {
    return str(this.call.kwargs.get("schema")) ?? this.batch?.schema ?? null;
  }
}

function lastMethod(py: PythonFile, call: SyntaxNode): string | null {
  const callee = call.firstChild;
  if (callee?.name !== "MemberExpression") return null;
  const property = callee.getChild("PropertyName");
  return property ? textOf(py, property) : null;
}

/** The char offset of a 1-based line and column inside `text`. */
function sqlOffset(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf("\n", offset);
    if (next === -1) break;
    offset = next + 1;
  }
  return offset + column - 1;
}

/** The database names SQLAlchemy's URLs and dialects use, as a condition on them spells them. */
const DIALECTS = /^(postgres(?:ql)?|mysql|mariadb|sqlite|mssql|oracle)(?:\+\w+)?$/;

/**
 * Whether a condition that tests the database dialect holds on PostgreSQL: true or false for
 * `X.startswith("mysql")`, `X == "postgresql"`, `X != "sqlite"`, `"mysql" in X`, `X in ("mysql", "sqlite")`
 * and their `not` forms; null for any other condition.
 */
export function runsOnPostgres(condition: string): boolean | null {
  let text = condition.trim();
  let negated = false;
  const not = /^not\s+(.*)$/s.exec(text);
  if (not) {
    negated = true;
    text = (not[1] as string).trim();
  }
  const paren = /^\((.*)\)$/s.exec(text);
  if (paren) text = (paren[1] as string).trim();
  // `url.startswith("sqlite") is False` (CTFd), `… == True`.
  const truth = /^(.*?)\s+(?:is|==)\s+(True|False)$/s.exec(text);
  if (truth) {
    text = (truth[1] as string).trim();
    if (truth[2] === "False") negated = !negated;
  }
  const name = String.raw`[\w.\[\]()]+`;
  const literal = String.raw`["']([\w+]+)["']`;
  const tests: [RegExp, (m: RegExpExecArray) => { names: string[]; negate: boolean }][] = [
    [
      new RegExp(`^${name}\\.startswith\\(\\s*${literal}\\s*\\)$`),
      (m) => ({ names: [m[1] as string], negate: false }),
    ],
    [
      new RegExp(`^${name}\\s*(==|!=)\\s*${literal}$`),
      (m) => ({ names: [m[2] as string], negate: m[1] === "!=" }),
    ],
    [
      new RegExp(`^${literal}\\s*(==|!=)\\s*${name}$`),
      (m) => ({ names: [m[1] as string], negate: m[2] === "!=" }),
    ],
    [
      new RegExp(`^${literal}\\s+(not\\s+)?in\\s+${name}$`),
      (m) => ({ names: [m[1] as string], negate: Boolean(m[2]) }),
    ],
    [
      new RegExp(`^${name}\\s+(not\\s+)?in\\s+[(\\[]\\s*((?:${literal}\\s*,?\\s*)+)[)\\]]$`),
      (m) => ({
        names: [...(m[2] as string).matchAll(/["']([\w+]+)["']/g)].map((n) => n[1] as string),
        negate: Boolean(m[1]),
      }),
    ],
  ];
  for (const [re, read] of tests) {
    const m = re.exec(text);
    if (!m) continue;
    const { names, negate } = read(m);
    if (!names.every((n) => DIALECTS.test(n))) return null;
    const matches = names.some((n) => n.startsWith("postgres"));
    return matches !== (negate !== negated);
  }
  return null;
}
