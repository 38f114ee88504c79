/**
 * Recognises the statements that build, drop or rebuild indexes, and whether they do it
 * CONCURRENTLY. Shared by the concurrency rules.
 */
import type { DropStmt, IndexStmt, Node, ReindexStmt } from "@pgsql/types";
import type { Fix } from "../finding.js";
import type { Statement } from "../model.js";
import { statementShape } from "../parse/classify.js";
import { listItems, nodeAs, stringList } from "../parse/nodes.js";
import type { Isolation } from "../runners/runner.js";
import type { Catalog, TableDef } from "../schema/catalog.js";
import type { StatementContext } from "./rule.js";

export type IndexOperation =
  | { kind: "create-index"; stmt: IndexStmt; concurrent: boolean }
  | { kind: "drop-index"; stmt: DropStmt; concurrent: boolean }
  | { kind: "reindex"; stmt: ReindexStmt; concurrent: boolean };

export function indexOperation(node: Node): IndexOperation | null {
  // One definition of "concurrent" for check, the runner model and verify.
  const shape = statementShape(node);
  const create = nodeAs(node, "IndexStmt");
  if (create)
    return { kind: "create-index", stmt: create, concurrent: shape === "create-index-concurrently" };
  const drop = nodeAs(node, "DropStmt");
  if (drop?.removeType === "OBJECT_INDEX")
    return { kind: "drop-index", stmt: drop, concurrent: shape === "drop-index-concurrently" };
  const reindex = nodeAs(node, "ReindexStmt");
  if (reindex) return { kind: "reindex", stmt: reindex, concurrent: shape === "reindex-concurrently" };
  return null;
}

/** The words a message uses for the operation. */
export function operationName(op: IndexOperation): string {
  switch (op.kind) {
    case "create-index":
      return op.stmt.unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX";
    case "drop-index":
      return "DROP INDEX";
    case "reindex":
      return "REINDEX";
  }
}

/** Tables the operation touches, with the indexes by name for DROP INDEX. */
export function droppedIndexes(catalog: Catalog, stmt: DropStmt): { table: TableDef; name: string }[] {
  return (stmt.objects ?? []).flatMap((object) => {
    const parts = stringList(listItems(object));
    const name = parts.at(-1);
    if (!name) return [];
    const found = catalog.resolveIndex(parts.length > 1 ? parts.at(-2) : undefined, name);
    return found ? [{ table: found.table, name }] : [];
  });
}

export function reindexTable(catalog: Catalog, stmt: ReindexStmt): TableDef | undefined {
  if (stmt.kind === "REINDEX_OBJECT_TABLE") return catalog.resolveRelation(stmt.relation);
  if (stmt.kind === "REINDEX_OBJECT_INDEX" && stmt.relation?.relname) {
    return catalog.resolveIndex(stmt.relation.schemaname, stmt.relation.relname)?.table;
  }
  return undefined;
}

/**
 * Was the table created by the migration being checked? Then nobody else can be using it yet,
 * and a blocking lock on it harms no one (squawk#349 flags these; we do not).
 */
export function isNewTable(table: TableDef | undefined, migrationIndex: number): boolean {
  return table !== undefined && table.createdIn === migrationIndex;
}

/**
 * The CONCURRENTLY rewrite of a statement. Where the statement runs outside a transaction, it is
 * rewritten in place. Inside one (the runner's, the file's one string, a BEGIN block) the rewrite
 * would fail with 25001 there, so the runner says how to run it outside: a migration of its own,
 * or its opt-out; the fix makes that change when the runner can.
 */
export function concurrentRewrite(
  op: IndexOperation,
  statement: Statement,
  description: string,
  help: string,
  isolate?: StatementContext["isolate"],
): { help: string; fix?: Fix; codeFix?: boolean } {
  const replacement = withConcurrently(op, statement.sql);
  if (!statement.tx.inTransaction) {
    if (!replacement) return { help };
    // The runner decides whether the rewrite can stay in place: a statement its splitter cannot
    // parse makes it send the whole file as one string, in one implicit transaction.
    const answer = isolate ? isolate(statement, [replacement]) : null;
    const inPlace =
      !answer ||
      (answer.help === "" &&
        answer.fix?.replacement === replacement &&
        !answer.fix.range &&
        !answer.fix.edits);
    if (inPlace) return { help, fix: { description, replacement } };
    return {
      help: `${help.replace(/, outside a transaction block\.$/, "")}; but written with CONCURRENTLY, this statement would make the runner send the whole file as one string, which PostgreSQL runs in one implicit transaction, where CONCURRENTLY fails: ${answer?.help || defaultWay(statement)}.`,
      ...isolatedFix(answer, description),
    };
  }
  const answer = replacement && isolate ? isolate(statement, [replacement]) : null;
  const way = answer?.help || defaultWay(statement);
  return {
    help: `${help.replace(/, outside a transaction block\.$/, "")}; but this statement runs in a transaction (${statement.tx.detail}), where CONCURRENTLY fails: ${way}.`,
    ...isolatedFix(answer, description),
  };
}

/** How to get out of the transaction when the runner was not asked. */
export function defaultWay(statement: Statement): string {
  return (
    statement.tx.optOut ??
    (statement.tx.reason === "explicit"
      ? "move it out of the BEGIN … COMMIT block"
      : "run it outside the migration runner")
  );
}

/** The fix of a runner's answer, with the rule's description. */
export function isolatedFix(
  answer: Isolation | null | undefined,
  description: string,
): { fix?: Fix; codeFix?: boolean } {
  if (!answer?.fix) return {};
  const { code, ...fix } = answer.fix;
  return { fix: { description, ...fix }, ...(code ? { codeFix: true } : {}) };
}

/** Inserts CONCURRENTLY into a statement's SQL at the place the grammar expects it. */
function withConcurrently(op: IndexOperation, sql: string): string | null {
  const patterns: Record<IndexOperation["kind"], RegExp> = {
    "create-index": /^(CREATE\s+(?:UNIQUE\s+)?INDEX)(?=\s)/i,
    "drop-index": /^(DROP\s+INDEX)(?=\s)/i,
    reindex: /^(REINDEX\s*(?:\([^)]*\)\s*)?(?:INDEX|TABLE|SCHEMA|DATABASE))(?=\s)/i,
  };
  const pattern = patterns[op.kind];
  return pattern.test(sql) ? sql.replace(pattern, "$1 CONCURRENTLY") : null;
}
