/**
 * `pg-index-lint suggest`: the indexes the configured queries need, as a `required-indexes` block
 * to paste into the config. The same candidates as query-needs-index, on the first migrations
 * entry's final schema (or the models' when there are no migrations), ranked the same way.
 */
import { stringify } from "yaml";
import { analyze, type CheckOptions } from "../check.js";
import { UserError } from "../errors.js";
import { workloadCandidates } from "./findings.js";

export interface Suggestion {
  /** The YAML block: `required-indexes:` and one entry per candidate, in rank order. */
  yaml: string;
  count: number;
}

export async function suggest(options: CheckOptions): Promise<Suggestion> {
  const analysis = await analyze(options);
  const workload = analysis.workload;
  if (!workload) {
    throw new UserError(
      "suggest needs the service's queries: add `queries:` to the config (a pg_stat_statements export or a folder of .sql query files)",
      analysis.config ?? undefined,
    );
  }
  const catalog = analysis.sets[0]?.catalog ?? analysis.modelSets[0]?.catalog;
  if (!catalog) throw new UserError("suggest found no migrations or models to compare the queries with");
  const { candidates } = workloadCandidates(workload, catalog);
  const entries = candidates.map((c) => ({
    table: c.requiredIndex.table,
    columns: c.requiredIndex.columns,
    ...(c.where ? { where: c.where } : {}),
    ...(c.queries[0]?.sql ? { query: c.queries[0].sql } : {}),
    ...(c.requiredIndex.why ? { why: c.requiredIndex.why } : {}),
  }));
  const header = `# ${entries.length} index${entries.length === 1 ? "" : "es"} the queries need, ranked by their share of execution time (pg-index-lint suggest)\n`;
  return {
    yaml: entries.length ? header + stringify({ "required-indexes": entries }, { lineWidth: 0 }) : "",
    count: entries.length,
  };
}
