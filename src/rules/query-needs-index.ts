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
    // The foreign key's index and the query's are one need; the query's finding has its cost.
    subsumes: ["unindexed-foreign-key"],
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
  checkVerify({ queryProofs }) {
    return (queryProofs ?? [])
      .filter((p) => !p.proven)
      .map((p) => {
        const c = p.candidate;
        const at = c.queries[0]?.range ?? { file: "", line: 1, column: 1, endLine: 1, endColumn: 1 };
        const uses = p.after.served && p.after.indexesUsed.includes(c.name);
        const cost = (r: typeof p.before) => (r.totalCost === undefined ? "?" : r.totalCost.toFixed(1));
        const plan = uses
          ? `the plan's estimated cost only went from ${cost(p.before)} to ${cost(p.after)}, less than half off`
          : p.after.topNode
            ? `the plan is ${p.after.topNode}${p.after.indexesUsed.length ? ` using ${p.after.indexesUsed.join(", ")}` : ""}`
            : "there is no plan";
        return {
          range: at,
          message: p.error
            ? `verify could not prove the suggested index ${c.name} on ${c.requiredIndex.table}: ${p.error}.`
            : `verify built the suggested index ${c.name} on ${c.requiredIndex.table} (${c.columns.join(", ")}) on synthetic rows, but ${plan}${p.after.error ? ` (${p.after.error})` : ""}: the suggestion is not proven.`,
          help: "Check the query's plan on production-like data before adding the index; synthetic rows are uniform and may mislead the planner.",
          table: c.requiredIndex.table,
          columns: c.columns,
        };
      });
  },
};
