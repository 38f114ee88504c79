import type { AlterTableCmd, Constraint } from "@pgsql/types";
import { nodeAs, nodesAs, stringList } from "../parse/nodes.js";
import { displayName, type TableDef } from "../schema/catalog.js";
import { makeObjectName, quoteIdent } from "../schema/names.js";
import { isNewTable, isolatedFix } from "./index-operations.js";
import { type Rule, ruleMeta } from "./rule.js";

interface IndexBuildingConstraint {
  constraint: Constraint;
  columns: string[];
  /** Added with a new column (`ADD COLUMN x int UNIQUE`) rather than ADD CONSTRAINT. */
  viaColumn: boolean;
}

export const constraintBuildsIndex: Rule = {
  meta: ruleMeta("constraint-builds-index", {
    defaultSeverity: "error",
    summary:
      "ADD UNIQUE or PRIMARY KEY on an existing table builds its index under an ACCESS EXCLUSIVE lock; build it CONCURRENTLY first and attach it with USING INDEX.",
    fixable: true,
    lock: true,
  }),
  checkStatement({ statement, catalog, migrationIndex, isolate }) {
    const alter = nodeAs(statement.node, "AlterTableStmt");
    if (alter?.objtype !== "OBJECT_TABLE") return [];
    const table = catalog.resolveRelation(alter.relation);
    if (isNewTable(table, migrationIndex)) return [];
    const cmds = nodesAs(alter.cmds, "AlterTableCmd");
    const found = cmds.flatMap(indexBuildingConstraints);
    if (found.length === 0) return [];
    const name = table ? displayName(table) : (alter.relation?.relname ?? "?");
    return found.map(({ constraint, columns, viaColumn }) => {
      const kind = constraint.contype === "CONSTR_PRIMARY" ? "PRIMARY KEY" : "UNIQUE";
      // The names PostgreSQL would choose: <table>_pkey, <table>_<columns>_key.
      const relname = alter.relation?.relname ?? name;
      const indexName =
        constraint.conname ??
        (kind === "PRIMARY KEY"
          ? makeObjectName(relname, "", "pkey")
          : makeObjectName(relname, columns.join("_"), "key"));
      const quotedTable = quoteIdent(alter.relation?.relname ?? name);
      const qualified = alter.relation?.schemaname
        ? `${quoteIdent(alter.relation.schemaname)}.${quotedTable}`
        : quotedTable;
      const canFix =
        cmds.length === 1 && !viaColumn && !constraint.where_clause && !constraint.including?.length;
      // The build runs outside any transaction, the attach right after it: the runner says where.
      const answer = canFix
        ? isolate?.(statement, [
            `CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdent(indexName)} ON ${qualified} (${columns.map(quoteIdent).join(", ")})`,
            `ALTER TABLE ${qualified} ADD CONSTRAINT ${quoteIdent(indexName)} ${kind} USING INDEX ${quoteIdent(indexName)}`,
          ])
        : undefined;
      const where = answer?.help ? ` Here: ${answer.help}.` : "";
      return {
        range: statement.range,
        message: `Adding ${kind} (${columns.join(", ")}) to existing table "${name}" builds a unique index while holding an ACCESS EXCLUSIVE lock: reads and writes wait for the whole build.`,
        help: `Run CREATE UNIQUE INDEX CONCURRENTLY first (outside a transaction), then ADD CONSTRAINT … ${kind} USING INDEX.${where}${nullableNote(kind, columns, table)}`,
        table: name,
        columns,
        ...isolatedFix(answer, "Build the unique index concurrently, then attach it as the constraint"),
      };
    });
  },
};

/**
 * ADD PRIMARY KEY also sets NOT NULL on its columns, which scans the table under the same lock.
 * PostgreSQL 12+ skips the scan when a validated CHECK (col IS NOT NULL) proves it.
 */
function nullableNote(kind: string, columns: string[], table: TableDef | undefined): string {
  if (kind !== "PRIMARY KEY" || !table) return "";
  const nullable = columns.filter((c) => table.columns.get(c)?.notNull === false);
  if (nullable.length === 0) return "";
  return ` ${nullable.join(", ")} allow${nullable.length === 1 ? "s" : ""} NULL, so the primary key would also SET NOT NULL with a full scan: first ADD CONSTRAINT … CHECK (${nullable[0]} IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT it.`;
}

function indexBuildingConstraints(cmd: AlterTableCmd): IndexBuildingConstraint[] {
  const isIndexBuilding = (c: Constraint) =>
    (c.contype === "CONSTR_UNIQUE" || c.contype === "CONSTR_PRIMARY") && !c.indexname;
  if (cmd.subtype === "AT_AddConstraint") {
    const c = nodeAs(cmd.def, "Constraint");
    return c && isIndexBuilding(c) ? [{ constraint: c, columns: stringList(c.keys), viaColumn: false }] : [];
  }
  if (cmd.subtype === "AT_AddColumn") {
    const def = nodeAs(cmd.def, "ColumnDef");
    return nodesAs(def?.constraints, "Constraint")
      .filter(isIndexBuilding)
      .map((c) => ({ constraint: c, columns: [def?.colname ?? ""], viaColumn: true }));
  }
  return [];
}
