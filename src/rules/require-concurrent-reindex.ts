import { displayName } from "../schema/catalog.js";
import { concurrentRewrite, indexOperation, isNewTable, reindexTable } from "./index-operations.js";
import { type Rule, ruleMeta } from "./rule.js";

export const requireConcurrentReindex: Rule = {
  meta: ruleMeta("require-concurrent-reindex", {
    defaultSeverity: "error",
    summary: "REINDEX without CONCURRENTLY locks out writes, and for an index also the reads that use it.",
    fixable: true,
    lock: true,
  }),
  checkStatement({ statement, catalog, migrationIndex, isolate }) {
    const op = indexOperation(statement.node);
    if (op?.kind !== "reindex" || op.concurrent) return [];
    // System catalogs cannot be reindexed concurrently at all (PostgreSQL docs, REINDEX).
    if (op.stmt.kind === "REINDEX_OBJECT_SYSTEM") return [];
    const table = reindexTable(catalog, op.stmt);
    if (isNewTable(table, migrationIndex)) return [];
    const rewrite = concurrentRewrite(
      op,
      statement,
      "Rebuild CONCURRENTLY",
      "Use REINDEX … CONCURRENTLY (PostgreSQL 12+), outside a transaction block.",
      isolate,
    );
    return [
      {
        range: statement.range,
        message:
          "REINDEX without CONCURRENTLY takes a SHARE lock on the table (writes wait) and an ACCESS EXCLUSIVE lock on each index (reads that use it wait).",
        ...rewrite,
        ...(table ? { table: displayName(table) } : {}),
      },
    ];
  },
};
