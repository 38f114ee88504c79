/**
 * What a statement is, in the terms every stage asks about: does it open or end a transaction
 * block, must it run outside one, does it build or drop an index CONCURRENTLY. The runner model
 * (check), the apply loop (verify) and the rules all ask here, so they cannot disagree.
 */
import type { Node } from "@pgsql/types";
import { nodeAs } from "./nodes.js";

/**
 * A transaction control statement and what it does to the session's transaction block
 * (PostgreSQL docs: BEGIN, COMMIT, ROLLBACK, PREPARE TRANSACTION, SAVEPOINT).
 */
export type TransactionControl =
  /** BEGIN / START TRANSACTION: opens a block. */
  | "begin"
  /** COMMIT / END / ABORT / ROLLBACK: ends the block. */
  | "commit"
  | "rollback"
  /**
   * COMMIT AND CHAIN / ROLLBACK AND CHAIN: ends the block and at once opens a new one with the
   * same characteristics, so the session stays inside a block.
   */
  | "commit-and-chain"
  | "rollback-and-chain"
  /** PREPARE TRANSACTION: dissociates the transaction from the session, which leaves the block. */
  | "prepare"
  /** COMMIT PREPARED / ROLLBACK PREPARED: act on a prepared transaction; cannot run in a block. */
  | "finish-prepared"
  /** SAVEPOINT, RELEASE, ROLLBACK TO: inside a block; the block stays open. */
  | "savepoint";

export function transactionControl(node: Node): TransactionControl | null {
  const stmt = nodeAs(node, "TransactionStmt");
  if (!stmt) return null;
  switch (stmt.kind) {
    case "TRANS_STMT_BEGIN":
    case "TRANS_STMT_START":
      return "begin";
    case "TRANS_STMT_COMMIT":
      return stmt.chain ? "commit-and-chain" : "commit";
    case "TRANS_STMT_ROLLBACK":
      return stmt.chain ? "rollback-and-chain" : "rollback";
    case "TRANS_STMT_PREPARE":
      return "prepare";
    case "TRANS_STMT_COMMIT_PREPARED":
    case "TRANS_STMT_ROLLBACK_PREPARED":
      return "finish-prepared";
    default:
      return "savepoint";
  }
}

/** Does the statement open a transaction block? */
export function opensBlock(control: TransactionControl | null): boolean {
  return control === "begin";
}

/** Does the session leave the transaction block after the statement? (`AND CHAIN` stays in one.) */
export function endsBlock(control: TransactionControl | null): boolean {
  return control === "commit" || control === "rollback" || control === "prepare";
}

/**
 * A statement shape that runners treat specially: those PostgreSQL refuses inside a transaction
 * block ("cannot run inside a transaction block", SQLSTATE 25001). Flyway detects some of them to
 * leave its transaction; Prisma's statement splitter gives up on one of them.
 */
export type StatementShape =
  | "create-index-concurrently"
  | "drop-index-concurrently"
  | "reindex-concurrently"
  | "reindex-schema-database-system"
  | "vacuum"
  | "create-or-drop-database"
  | "create-or-drop-tablespace"
  | "create-or-drop-subscription"
  | "alter-system"
  | "discard-all";

/** How messages name each shape. */
export const SHAPE_SQL: Record<StatementShape, string> = {
  "create-index-concurrently": "CREATE INDEX CONCURRENTLY",
  "drop-index-concurrently": "DROP INDEX CONCURRENTLY",
  "reindex-concurrently": "REINDEX … CONCURRENTLY",
  "reindex-schema-database-system": "REINDEX SCHEMA/DATABASE/SYSTEM",
  vacuum: "VACUUM",
  "create-or-drop-database": "CREATE/DROP DATABASE",
  "create-or-drop-tablespace": "CREATE/DROP TABLESPACE",
  "create-or-drop-subscription": "CREATE/DROP SUBSCRIPTION",
  "alter-system": "ALTER SYSTEM",
  "discard-all": "DISCARD ALL",
};

/** The statement's shape when PostgreSQL refuses it inside a transaction block; null otherwise. */
export function statementShape(node: Node): StatementShape | null {
  const index = nodeAs(node, "IndexStmt");
  if (index) return index.concurrent ? "create-index-concurrently" : null;
  const drop = nodeAs(node, "DropStmt");
  if (drop) {
    if (drop.removeType === "OBJECT_INDEX" && drop.concurrent) return "drop-index-concurrently";
    if (drop.removeType === "OBJECT_TABLESPACE") return "create-or-drop-tablespace";
    if (drop.removeType === "OBJECT_SUBSCRIPTION") return "create-or-drop-subscription";
    return null;
  }
  const reindex = nodeAs(node, "ReindexStmt");
  if (reindex) {
    if (reindexIsConcurrent(node)) return "reindex-concurrently";
    const kind = reindex.kind;
    if (
      kind === "REINDEX_OBJECT_SCHEMA" ||
      kind === "REINDEX_OBJECT_DATABASE" ||
      kind === "REINDEX_OBJECT_SYSTEM"
    ) {
      return "reindex-schema-database-system";
    }
    return null;
  }
  // ANALYZE is a VacuumStmt too, but it may run in a transaction block.
  const vacuum = nodeAs(node, "VacuumStmt");
  if (vacuum) return vacuum.is_vacuumcmd ? "vacuum" : null;
  if ("CreatedbStmt" in node || "DropdbStmt" in node) return "create-or-drop-database";
  if ("CreateTableSpaceStmt" in node) return "create-or-drop-tablespace";
  if ("CreateSubscriptionStmt" in node || "DropSubscriptionStmt" in node)
    return "create-or-drop-subscription";
  if ("AlterSystemStmt" in node) return "alter-system";
  const discard = nodeAs(node, "DiscardStmt");
  if (discard) return discard.target === "DISCARD_ALL" ? "discard-all" : null;
  return null;
}

/** Must the statement run outside a transaction block? */
export function cannotRunInTransaction(node: Node): boolean {
  return statementShape(node) !== null || transactionControl(node) === "finish-prepared";
}

/** `REINDEX (CONCURRENTLY) …` and `REINDEX … CONCURRENTLY`, but not `REINDEX (CONCURRENTLY false)`. */
function reindexIsConcurrent(node: Node): boolean {
  const params = nodeAs(node, "ReindexStmt")?.params ?? [];
  return params.some((p) => {
    const option = nodeAs(p, "DefElem");
    return option?.defname === "concurrently" && !isFalse(option.arg);
  });
}

function isFalse(arg: Node | undefined): boolean {
  if (!arg) return false;
  const boolean = nodeAs(arg, "Boolean");
  if (boolean) return boolean.boolval !== true;
  const text = nodeAs(arg, "String");
  if (text) return /^(false|off|0)$/i.test(text.sval ?? "");
  const integer = nodeAs(arg, "Integer");
  if (integer) return integer.ival === 0 || integer.ival === undefined;
  return false;
}

/** Is this a DO block (whose static DDL the replay and the statement rules read)? */
export function isDoBlock(node: Node): boolean {
  return "DoStmt" in node;
}
