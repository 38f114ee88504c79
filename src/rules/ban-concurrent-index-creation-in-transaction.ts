import type { Fix } from "../finding.js";
import type { Migration, Statement } from "../model.js";
import { opensBlock, transactionControl } from "../parse/classify.js";
import { displayName } from "../schema/catalog.js";
import {
  droppedIndexes,
  indexOperation,
  isolatedFix,
  operationName,
  reindexTable,
} from "./index-operations.js";
import { type Rule, ruleMeta, type StatementContext } from "./rule.js";

/**
 * The seed's mistake has a mechanical fix: a BEGIN … COMMIT block that holds only CONCURRENTLY
 * statements loses its BEGIN and COMMIT, and each statement runs on its own. The fix rewrites the
 * whole block, so only the block's first statement carries it.
 */
function fixFor(statement: Statement, migration: Migration): { fix?: Fix } {
  if (statement.tx.reason !== "explicit") return {};
  const all = migration.statements;
  const at = all.indexOf(statement);
  const control = (s: Statement | undefined) => (s ? transactionControl(s.node) : null);
  const begin = at - 1;
  if (!opensBlock(control(all[begin]))) return {};
  let end = at;
  while (end < all.length && indexOperation((all[end] as Statement).node)?.concurrent) end++;
  const commit = all[end];
  if (control(commit) !== "commit" || !commit) return {};
  const opening = (all[begin] as Statement).range;
  return {
    fix: {
      description: "Remove the BEGIN and COMMIT around the CONCURRENTLY statements",
      replacement: all
        .slice(at, end)
        .map((s) => s.sql)
        .join(";\n"),
      range: { ...opening, endLine: commit.range.endLine, endColumn: commit.range.endColumn },
    },
  };
}

/**
 * The help and fix: a BEGIN … COMMIT of only CONCURRENTLY statements loses its BEGIN and COMMIT;
 * otherwise the runner says how the statement runs outside a transaction (a migration of its
 * own, its opt-out) and makes the change when it can.
 */
function outOfTransaction(
  statement: Statement,
  migration: Migration,
  isolate: StatementContext["isolate"],
): { help: string; fix?: Fix; codeFix?: boolean } {
  const block = fixFor(statement, migration);
  if (block.fix) return { help: helpFor(statement.tx), ...block };
  const answer = isolate?.(statement, [statement.sql]);
  // Without a mechanical way out, the words of what put it in a transaction say more.
  if (!answer?.fix || !answer.help) return { help: helpFor(statement.tx) };
  return {
    help: `${answer.help.charAt(0).toUpperCase()}${answer.help.slice(1)}.`,
    ...isolatedFix(answer, "Run the statement outside a transaction"),
  };
}

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
    fixable: true,
    rejectsStatement: true,
  }),
  checkStatement({ statement, catalog, migration, isolate }) {
    const op = indexOperation(statement.node);
    if (!op?.concurrent || !statement.tx.inTransaction) return [];
    let table: string | undefined;
    if (op.kind === "create-index") {
      const t = catalog.resolveRelation(op.stmt.relation);
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
        ...(table ? { table } : {}),
        ...outOfTransaction(statement, migration, isolate),
      },
    ];
  },
};
