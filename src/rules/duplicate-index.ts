import { displayName } from "../schema/catalog.js";
import { describeIndex, duplicates, locatedAt } from "./index-compare.js";
import { type Rule, type RuleFinding, ruleMeta } from "./rule.js";

export const duplicateIndex: Rule = {
  meta: ruleMeta("duplicate-index", {
    defaultSeverity: "warning",
    summary:
      "Two indexes with the same definition on one table: every write maintains both, and one is never used.",
    fixable: false,
    finalState: true,
  }),
  checkCatalog({ catalogs, wordsFor }) {
    const findings: RuleFinding[] = [];
    for (const catalog of catalogs) {
      for (const table of catalog.tables.values()) {
        const name = displayName(table);
        for (const { index, kept } of duplicates(table.indexes.values())) {
          findings.push({
            range: index.source,
            message: `Index "${index.name}" on ${name} ${describeIndex(index)} duplicates "${kept.name}" ${describeIndex(kept)} (${locatedAt(kept)}).`,
            help: `Drop one of them. ${wordsFor(index.source).advise({ kind: "drop-index", table, name: index.name })}`,
            table: name,
            columns: index.keys.map((k) => k.column ?? k.expression ?? ""),
          });
        }
      }
    }
    return findings;
  },
};
