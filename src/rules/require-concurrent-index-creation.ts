import type { IndexStmt } from "@pgsql/types";
import { nodesAs } from "../parse/nodes.js";
import { type Catalog, displayName, type TableDef } from "../schema/catalog.js";
import { deparseExpr } from "../schema/expr.js";
import { sameDefinition } from "../schema/index-def.js";
import { indexKey } from "../schema/index-key.js";
import { concurrentRewrite, indexOperation, isNewTable } from "./index-operations.js";
import { type Rule, ruleMeta } from "./rule.js";

export const requireConcurrentIndexCreation: Rule = {
  meta: ruleMeta("require-concurrent-index-creation", {
    defaultSeverity: "error",
    summary: "CREATE INDEX without CONCURRENTLY on a table that already exists blocks every write to it.",
    fixable: true,
    lock: true,
  }),
  checkStatement({ statement, catalog, migrationIndex, isolate }) {
    const op = indexOperation(statement.node);
    if (op?.kind !== "create-index" || op.concurrent) return [];
    // CREATE INDEX ON ONLY a partitioned table only adds the parent's catalog entry: instant,
    // and CONCURRENTLY is not allowed there.
    if (op.stmt.relation?.inh !== true) return [];
    const table = catalog.resolveRelation(op.stmt.relation);
    if (isNewTable(table, migrationIndex)) return [];
    // CREATE INDEX IF NOT EXISTS of an index that exists builds nothing.
    if (op.stmt.if_not_exists && op.stmt.idxname && table?.indexes.has(op.stmt.idxname)) return [];
    const name = table ? displayName(table) : (op.stmt.relation?.relname ?? "?");
    if (table?.partitioned && everyPartitionHasIt(catalog, table, op.stmt)) {
      // PostgreSQL attaches each partition's matching index instead of building one (CREATE INDEX,
      // "Notes": an index on a partitioned table), so only the parent's catalog entry is made.
      return [];
    }
    if (table?.partitioned) {
      // PostgreSQL refuses CONCURRENTLY on a partitioned table (0A000); the online way is per partition.
      return [
        {
          range: statement.range,
          message: `CREATE INDEX on partitioned table "${name}" locks every partition against writes until all partition indexes are built.`,
          help: "PostgreSQL cannot build it CONCURRENTLY: CREATE INDEX … ON ONLY the parent, build each partition's index CONCURRENTLY, then ALTER INDEX parent_idx ATTACH PARTITION each one.",
          table: name,
        },
      ];
    }
    if (table?.materialized) {
      // No one writes to a materialized view; a build's SHARE lock holds off REFRESH, not reads.
      return [
        {
          range: statement.range,
          message: `CREATE INDEX on existing materialized view "${name}" without CONCURRENTLY takes a SHARE lock: REFRESH MATERIALIZED VIEW waits until the build ends (reads do not).`,
          ...concurrentRewrite(
            op,
            statement,
            "Build the index CONCURRENTLY",
            "Use CREATE INDEX CONCURRENTLY, outside a transaction block.",
            isolate,
          ),
          table: name,
        },
      ];
    }
    const rewrite = concurrentRewrite(
      op,
      statement,
      "Build the index CONCURRENTLY",
      "Use CREATE INDEX CONCURRENTLY, outside a transaction block.",
      isolate,
    );
    return [
      {
        range: statement.range,
        message: `CREATE INDEX on existing table "${name}" without CONCURRENTLY takes a SHARE lock and blocks writes until the build ends.`,
        ...rewrite,
        table: name,
      },
    ];
  },
};

/** Does every known partition of `table` already have a valid index with this definition? */
function everyPartitionHasIt(catalog: Catalog, table: TableDef, stmt: IndexStmt): boolean {
  const partitions = catalog.partitionsOf(table);
  if (partitions.length === 0) return false;
  const wanted = {
    method: stmt.accessMethod ?? "btree",
    keys: nodesAs(stmt.indexParams, "IndexElem").map(indexKey),
    include: nodesAs(stmt.indexIncludingParams, "IndexElem").map((e) => e.name ?? "expr"),
    predicate: stmt.whereClause ? deparseExpr(stmt.whereClause) : null,
  };
  return partitions.every((p) =>
    [...p.indexes.values()].some(
      (i) => i.valid && i.unique === Boolean(stmt.unique) && sameDefinition(i, wanted as typeof i),
    ),
  );
}
