import { displayName } from "../schema/catalog.js";
import { requirementLabel } from "./coverage.js";
import { type Rule, type RuleFinding, ruleMeta } from "./rule.js";

export const invalidIndex: Rule = {
  meta: ruleMeta("invalid-index", {
    pass: "verify",
    defaultSeverity: "error",
    summary: "An index exists but pg_index.indisvalid is false: it costs writes and serves no reads.",
    fixable: false,
    finalState: true,
  }),
  checkVerify({ sets, coverage, wordsFor }) {
    const findings: RuleFinding[] = [];
    for (const set of sets) {
      for (const table of set.live.tables.values()) {
        for (const index of table.indexes.values()) {
          if (index.valid) continue;
          const at = set.catalog.resolveIndex(table.schema, index.name)?.index.source ?? set.fallback;
          const ref = { schema: table.schema, name: table.name };
          findings.push({
            range: at,
            message: `Index "${index.name}" on ${displayName(table)} exists but is not valid (pg_index.indisvalid is false): PostgreSQL maintains it on every write but never uses it for reads.`,
            help: `Drop it and build it again CONCURRENTLY. ${wordsFor(at).advise({ kind: "drop-index", table: ref, name: index.name })}`,
            table: displayName(table),
          });
        }
      }
    }
    for (const row of coverage) {
      if (row.proof !== "invalid") continue;
      findings.push({
        range: row.at,
        message: `The index for the required ${requirementLabel(row.requirement)} exists but is not valid.`,
        help: "Rebuild it CONCURRENTLY.",
        table: row.requirement.entry.table,
        columns: row.requirement.entry.columns,
      });
    }
    return findings;
  },
};
