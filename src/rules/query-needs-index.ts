/**
 * query-needs-index: the indexes the service's own queries need (config `queries:`), derived from
 * the queries, dropped when an index of the final schema already serves them, and ranked by the
 * share of the export's execution time their queries take. Located at the query.
 */
import type { CandidateIndex } from "../queries/analyze.js";
import { nextMigrationFile, queryFindings } from "../queries/findings.js";
import { type Rule, type RuleFinding, ruleMeta } from "./rule.js";

export const queryNeedsIndex: Rule = {
  meta: ruleMeta("query-needs-index", {
    defaultSeverity: "warning",
    summary:
      "A query the service runs (config `queries:`) filters, joins or sorts on columns that no index serves.",
    fixable: true,
    finalState: true,
  }),
  checkCatalog({ catalogs, queries, wordsFor }) {
    if (!queries) return [];
    const findings: RuleFinding[] = [];
    catalogs.forEach((catalog, i) => {
      const set = queries.sets[i];
      const newFile = (c: CandidateIndex) => (set ? nextMigrationFile(set, c.name) : undefined);
      findings.push(...queryFindings(queries.workload, catalog, wordsFor, newFile, i === 0));
    });
    return findings;
  },
};
