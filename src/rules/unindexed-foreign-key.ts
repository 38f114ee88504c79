import { displayName } from "../schema/catalog.js";
import { quoteIdent } from "../schema/names.js";
import { coversForeignKey } from "./coverage.js";
import { type Rule, type RuleFinding, ruleMeta } from "./rule.js";

export const unindexedForeignKey: Rule = {
  meta: ruleMeta("unindexed-foreign-key", {
    defaultSeverity: "warning",
    summary:
      "A foreign key whose columns lead no index: every DELETE or key UPDATE on the referenced table scans the referencing one.",
    fixable: false,
  }),
  checkCatalog({ catalogs }) {
    const findings: RuleFinding[] = [];
    for (const catalog of catalogs) {
      for (const table of catalog.tables.values()) {
        for (const fk of table.foreignKeys.values()) {
          if ([...table.indexes.values()].some((index) => coversForeignKey(index, fk))) continue;
          const ref = catalog.tables.get(fk.refTable);
          const refName = ref ? displayName(ref) : fk.refTable.replace(/^public\./, "");
          const name = displayName(table);
          const cols = fk.columns.map(quoteIdent).join(", ");
          findings.push({
            range: fk.source,
            message: `Foreign key "${fk.name}" on ${name} (${fk.columns.join(", ")}) → ${refName} has no index on its columns: deleting or updating a ${refName} row scans ${name}, and joins from ${refName} cannot use an index.`,
            help: `Add a migration with: CREATE INDEX CONCURRENTLY ${quoteIdent(`idx_${table.name}_${fk.columns.join("_")}`.slice(0, 63))} ON ${name} (${cols});`,
            table: name,
            columns: fk.columns,
          });
        }
      }
    }
    return findings;
  },
};
