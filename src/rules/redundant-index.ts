import { displayName } from "../schema/catalog.js";
import { describeIndex, locatedAt, redundancies } from "./index-compare.js";
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
        const name = displayName(table);
        for (const { index, wider } of redundancies([...table.indexes.values()])) {
          findings.push({
            range: index.source,
            message: `Index "${index.name}" on ${name} ${describeIndex(index)} is redundant: "${wider.name}" ${describeIndex(wider)} (${locatedAt(wider)}) starts with the same keys and serves the same queries.`,
            help: `Drop it to save write and storage cost. ${wordsFor(index.source).advise({ kind: "drop-index", table, name: index.name })}`,
            table: name,
            columns: index.keys.map((k) => k.column ?? k.expression ?? ""),
          });
        }
      }
    }
    return findings;
  },
};
