import { displayName } from "../schema/catalog.js";
import { tableFor } from "../schema/replay.js";
import { droppedIndexes, indexOperation, operationName, reindexTable } from "./index-operations.js";
import { type Rule, ruleMeta } from "./rule.js";

const HELP: Record<string, string> = {
  explicit: "Remove the BEGIN/COMMIT around it: a CONCURRENTLY statement manages its own transactions.",
  "runner-file": "Move it to a migration that opts out of the runner's transaction",
  "runner-all":
    "The runner applies every pending migration in one transaction; run this statement outside the runner",
  "implicit-multi-statement": "Put the statement alone in its own migration file",
};

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
    const reason = statement.tx.reason;
    const help = HELP[reason] ?? "Run the statement outside a transaction block";
    return [
      {
        range: statement.range,
        message: `${operationName(op)} CONCURRENTLY cannot run inside a transaction block, and PostgreSQL will reject it (SQLSTATE 25001): ${statement.tx.detail}.`,
        help: reason === "explicit" ? help : `${help}.`,
        ...(table ? { table } : {}),
      },
    ];
  },
};
