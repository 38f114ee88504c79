import { displayName } from "../schema/catalog.js";
import { describeIndex, locatedAt, sameDefinition, servedBy } from "./index-compare.js";
import { type Rule, type RuleFinding, ruleMeta } from "./rule.js";

export const redundantIndex: Rule = {
  meta: ruleMeta("redundant-index", {
    defaultSeverity: "warning",
    summary:
      "An index whose keys are a leading prefix of another index's keys on the same table: the wider index serves its queries.",
    fixable: false,
    finalState: true,
  }),
  checkCatalog({ catalogs, wordsFor }) {
    const findings: RuleFinding[] = [];
    for (const catalog of catalogs) {
      for (const table of catalog.tables.values()) {
        const indexes = [...table.indexes.values()];
        for (const a of indexes) {
          // A unique or constraint-backed index enforces something; it is never redundant.
          if (a.unique || a.constraint || !a.valid) continue;
          // Exact copies are duplicate-index's business.
          const wider = indexes.find(
            (b) => b !== a && b.valid && servedBy(a, b) && !(sameDefinition(a, b) && a.unique === b.unique),
          );
          if (!wider) continue;
          const name = displayName(table);
          findings.push({
            range: a.source,
            message: `Index "${a.name}" on ${name} ${describeIndex(a)} is redundant: "${wider.name}" ${describeIndex(wider)} (${locatedAt(wider)}) starts with the same keys and serves the same queries.`,
            help: `Drop it to save write and storage cost. ${wordsFor(a.source).advise({ kind: "drop-index", table, name: a.name })}`,
            table: name,
            columns: a.keys.map((k) => k.column ?? k.expression ?? ""),
          });
        }
      }
    }
    return findings;
  },
};
