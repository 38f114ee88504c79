import type { Statement } from "../model.js";
import { displayName } from "../schema/catalog.js";
import { tableFor } from "../schema/replay.js";
import { droppedIndexes, indexOperation, operationName, reindexTable } from "./index-operations.js";
import { type Rule, ruleMeta } from "./rule.js";

/** How to get the statement out of its transaction, from what put it there. */
function helpFor(tx: Statement["tx"]): string {
  if (tx.reason === "explicit") {
    return "Remove the BEGIN/COMMIT around it: a CONCURRENTLY statement manages its own transactions.";
  }
  if (tx.optOut) return `${tx.optOut.charAt(0).toUpperCase()}${tx.optOut.slice(1)}.`;
  if (tx.reason === "runner-all") {
    return "The runner has no way to opt out: run this statement outside it, after the migrations.";
  }
  return "Run the statement outside a transaction block.";
}

export const banConcurrentIndexCreationInTransaction: Rule = {
  meta: ruleMeta("ban-concurrent-index-creation-in-transaction", {
    defaultSeverity: "error",
    summary:
      "CREATE, DROP or REINDEX … CONCURRENTLY inside a transaction block, explicit or implied by the migration runner, fails with SQLSTATE 25001.",
    fixable: false,
    rejectsStatement: true,
  }),
  checkStatement({ statement, catalog }) {
    const op = indexOperation(statement.node);
    if (!op?.concurrent || !statement.tx.inTransaction) return [];
    let table: string | undefined;
    if (op.kind === "create-index") {
      const t = tableFor(catalog, op.stmt.relation);
      table = t ? displayName(t) : op.stmt.relation?.relname;
    } else if (op.kind === "drop-index") {
      const first = droppedIndexes(catalog, op.stmt)[0];
      table = first ? displayName(first.table) : undefined;
    } else {
      const t = reindexTable(catalog, op.stmt);
      table = t ? displayName(t) : undefined;
    }
    return [
      {
        range: statement.range,
        message: `${operationName(op)} CONCURRENTLY cannot run inside a transaction block, and PostgreSQL will reject it (SQLSTATE 25001): ${statement.tx.detail}.`,
        help: helpFor(statement.tx),
        ...(table ? { table } : {}),
      },
    ];
  },
};
