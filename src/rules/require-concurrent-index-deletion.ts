import type { Migration, Statement } from "../model.js";
import { listItems, nodeAs, stringList } from "../parse/nodes.js";
import { displayName, type TableDef } from "../schema/catalog.js";
import { concurrentRewrite, droppedIndexes, indexOperation, isNewTable } from "./index-operations.js";
import { type Rule, ruleMeta } from "./rule.js";

export const requireConcurrentIndexDeletion: Rule = {
  meta: ruleMeta("require-concurrent-index-deletion", {
    defaultSeverity: "error",
    summary: "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the index's table.",
    fixable: true,
    lock: true,
    lockHeld: "queue",
  }),
  checkStatement({ statement, catalog, migration, migrationIndex, isolate }) {
    const op = indexOperation(statement.node);
    if (op?.kind !== "drop-index" || op.concurrent) return [];
    const dropped = droppedIndexes(catalog, op.stmt);
    const count = op.stmt.objects?.length ?? 0;
    // DROP INDEX IF EXISTS of an index no migration built drops nothing the replay knows of: a
    // defensive guard, or an index from outside the history (a base schema says which).
    if (op.stmt.missing_ok && dropped.length === 0) return [];
    // The table goes later in this migration: DROP TABLE takes the same ACCESS EXCLUSIVE lock
    // (Alembic's autogenerate drops a table's indexes first, then the table).
    if (dropped.length === count && dropped.every((d) => droppedLater(d.table, statement, migration)))
      return [];
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
      ? concurrentRewrite(op, statement, "Drop the index CONCURRENTLY", help, isolate)
      : { help };
    return [
      {
        range: statement.range,
        message: partitioned
          ? `DROP INDEX of a partitioned table's index takes an ACCESS EXCLUSIVE lock${on} and on every partition, blocking reads and writes; PostgreSQL cannot do it CONCURRENTLY.`
          : `DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock${on}, blocking reads and writes.`,
        ...rewrite,
        ...(tables.length === 1 ? { table: tables[0] } : {}),
      },
    ];
  },
};

/** Does a later statement of the same migration drop `table`? */
function droppedLater(table: TableDef, statement: Statement, migration: Migration): boolean {
  const after = migration.statements.slice(migration.statements.indexOf(statement) + 1);
  return after.some((s) => {
    const drop = nodeAs(s.node, "DropStmt");
    if (drop?.removeType !== "OBJECT_TABLE") return false;
    return (drop.objects ?? []).some((object) => {
      const parts = stringList(listItems(object));
      const schema = parts.length > 1 ? parts.at(-2) : undefined;
      return parts.at(-1) === table.name && (schema === undefined || schema === table.schema);
    });
  });
}
