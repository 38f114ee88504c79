import { displayName } from "../schema/catalog.js";
import { concurrentRewrite, droppedIndexes, indexOperation, isNewTable } from "./index-operations.js";
import { type Rule, ruleMeta } from "./rule.js";

export const requireConcurrentIndexDeletion: Rule = {
  meta: ruleMeta("require-concurrent-index-deletion", {
    defaultSeverity: "error",
    summary: "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the index's table.",
    fixable: true,
    lock: true,
  }),
  checkStatement({ statement, catalog, migrationIndex }) {
    const op = indexOperation(statement.node);
    if (op?.kind !== "drop-index" || op.concurrent) return [];
    const dropped = droppedIndexes(catalog, op.stmt);
    const count = op.stmt.objects?.length ?? 0;
    // A defensive DROP INDEX IF EXISTS in the very first migration drops nothing: no migration
    // can have built the index yet. Later on, an unknown index may predate the migrations.
    if (op.stmt.missing_ok && dropped.length === 0 && migrationIndex === 0) return [];
    // Every index we know of is on a table this migration created: nothing else can be waiting.
    if (dropped.length === count && dropped.every((d) => isNewTable(d.table, migrationIndex))) return [];
    const tables = [...new Set(dropped.map((d) => displayName(d.table)))];
    // DROP INDEX CONCURRENTLY accepts one index, no CASCADE, and no index of a partitioned table.
    const partitioned = dropped.some((d) => d.table.partitioned);
    const fixable = count === 1 && op.stmt.behavior !== "DROP_CASCADE" && !partitioned;
    const on = tables.length ? ` on "${tables.join('", "')}"` : "";
    const help = partitioned
      ? "PostgreSQL cannot drop an index of a partitioned table CONCURRENTLY; run it when the table is quiet, with a short lock_timeout so that it gives up instead of queueing writes."
      : count > 1
        ? "Drop each index in its own DROP INDEX CONCURRENTLY statement, outside a transaction block."
        : "Use DROP INDEX CONCURRENTLY, outside a transaction block.";
    const rewrite = fixable
      ? concurrentRewrite(op, statement, "Drop the index CONCURRENTLY", help)
      : { help };
    return [
      {
        range: statement.range,
        message: `DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock${on}, blocking reads and writes.`,
        ...rewrite,
        ...(tables.length === 1 ? { table: tables[0] } : {}),
      },
    ];
  },
};
