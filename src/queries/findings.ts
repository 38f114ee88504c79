/**
 * The workload analysis as findings of `query-needs-index`: one per candidate index, located at
 * its most expensive query, with the statement in the runner's words and, where the runner takes
 * a lone statement in a file of its own outside a transaction, a new migration as the fix. Bad
 * input in the query sources and queries on tables the schema lacks are findings too: nothing is
 * dropped in silence.
 */
import { basename, dirname } from "node:path";
import type { Fix } from "../finding.js";
import type { SourceRange } from "../model.js";
import { parseRequirement } from "../rules/coverage.js";
import type { RuleFinding } from "../rules/rule.js";
import type { Catalog } from "../schema/catalog.js";
import type { Words } from "../schema/change.js";
import { analyzeWorkload, type CandidateIndex, type CandidateQuery } from "./analyze.js";
import type { Workload } from "./workload.js";

/** A migrations entry as the fix needs it: its runner and its files in apply order (display paths). */
export interface QuerySet {
  runner: string;
  files: string[];
}

/** What the rule reads: the workload and, per final catalog, its migrations entry. */
export interface QueryContext {
  workload: Workload;
  sets: QuerySet[];
}

/**
 * The next file of a plain SQL migrations folder (`psql -f` runs a lone CONCURRENTLY statement
 * outside any transaction): the last file's number plus one, as wide, then the index's name.
 * Other runners get the statement in the help only.
 */
export function nextMigrationFile(set: QuerySet, name: string): string | undefined {
  const last = set.files[set.files.length - 1];
  if (set.runner !== "sql" || !last) return undefined;
  const match = /^(\d+)([_-])/.exec(basename(last));
  if (!match?.[1]) return undefined;
  const next = String(Number(match[1]) + 1).padStart(match[1].length, "0");
  const file = `${dirname(last)}/${next}${match[2]}${name}.sql`;
  return set.files.includes(file) ? undefined : file;
}

/** The workload analysed against one final catalog, and its candidates outside `exclude`, ranked. */
export function workloadCandidates(workload: Workload, catalog: Catalog) {
  const analysis = analyzeWorkload(workload.sources, {
    catalog,
    ...(workload.stats ? { stats: workload.stats } : {}),
    thresholds: workload.thresholds,
  });
  const excluded = new Set(workload.exclude);
  const isExcluded = (c: { table: string; schema?: string }) =>
    excluded.has(c.table) || excluded.has(`${c.schema ?? "public"}.${c.table}`);
  return { analysis, candidates: analysis.candidates.filter((c) => !isExcluded(c)) };
}

/** The findings of one final catalog; `first` also reports the sources' own input errors. */
export function queryFindings(
  workload: Workload,
  catalog: Catalog,
  wordsFor: (range: SourceRange) => Words,
  newFile: (c: CandidateIndex) => string | undefined,
  first = true,
): RuleFinding[] {
  const { analysis, candidates } = workloadCandidates(workload, catalog);
  const measured = candidates.some((c) => c.totalMs !== null);
  const findings: RuleFinding[] = candidates.map((c, i) => {
    const top = c.queries[0] as CandidateQuery;
    const rank =
      measured && c.totalMs !== null ? `; rank ${i + 1} of ${candidates.length} by execution time` : "";
    // Query files' names are in the why already; other measured statements are named here.
    const others = c.queries
      .slice(1)
      .filter((q) => q.calls !== undefined)
      .map(queryLabel);
    const also = others.length
      ? ` It also serves ${others.slice(0, 3).join(", ")}${others.length > 3 ? ` and ${others.length - 3} more` : ""}.`
      : "";
    const named = c.queries.find((q) => q.name);
    const subject =
      named && named !== top ? `query ${named.name} (${top.range.file}:${top.range.line})` : queryLabel(top);
    const req = parseRequirement({ ...c.requiredIndex, line: top.range.line }, null);
    const words = wordsFor(top.range);
    const advice = words.advise({
      kind: "create-index",
      index: {
        table: { schema: c.schema ?? "public", name: c.table },
        name: c.name,
        keys: req.keys,
        where: c.where ?? null,
      },
    });
    const entry = {
      table: c.requiredIndex.table,
      columns: c.requiredIndex.columns,
      ...(c.where ? { where: c.where } : {}),
      why: c.requiredIndex.why,
    };
    const finding: RuleFinding = {
      range: top.range,
      message: `No index on ${c.requiredIndex.table} serves ${subject}: it needs (${c.columns.join(", ")})${c.where ? ` WHERE ${c.where}` : ""}; ${c.reason}. ${upperFirst(c.requiredIndex.why) || "Its queries carry no figures"}${rank}.${also}`,
      help: `${advice} Once it is built, keep it with the required-indexes entry ${JSON.stringify(entry)}.`,
      table: c.requiredIndex.table,
      columns: c.columns,
    };
    const file = newFile(c);
    if (file) finding.fix = newMigrationFix(top.range, file, c);
    return finding;
  });
  if (!first) return findings;

  for (const error of [...analysis.errors, ...workload.statsErrors]) {
    findings.push({
      range: error.range,
      message: `${error.message}; this row was not analysed.`,
      help: "Fix the export (re-run the one-liner in the rule's page), or remove the row.",
    });
  }
  for (const skip of analysis.skipped) {
    if (skip.kind !== "truncated" && skip.kind !== "syntax-error" && skip.kind !== "hidden") continue;
    findings.push({
      range: skip.range,
      message: `This query was not analysed: ${skip.reason}.`,
      help:
        skip.kind === "truncated"
          ? "Export the full text (raise track_activity_query_size, or export from pg_stat_statements itself)."
          : skip.kind === "hidden"
            ? "Export as a superuser or a member of pg_read_all_stats, which can read every statement's text."
            : "Fix the query, or remove it from the queries the config names.",
    });
  }
  const reported = new Set<string>();
  for (const scan of analysis.scans) {
    if (scan.outcome !== "not-in-schema") continue;
    const key = `${scan.query.range.file}:${scan.query.range.line}:${scan.table}`;
    if (reported.has(key)) continue;
    reported.add(key);
    findings.push({
      range: scan.query.range,
      message: `This query reads table "${scan.table}", which the migrations do not create, so it was not analysed.`,
      help: "Point migrations at the folder that creates the table, or remove the query from the ones the config names.",
      table: scan.table,
    });
  }
  return findings;
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function queryLabel(q: CandidateQuery): string {
  return q.name ? `query ${q.name}` : `the query at ${q.range.file}:${q.range.line}`;
}

function newMigrationFix(at: SourceRange, file: string, c: CandidateIndex): Fix {
  const why = c.requiredIndex.why.replace(/\s+/g, " ");
  return {
    description: `Add the migration ${file}, which builds ${c.name} CONCURRENTLY`,
    // The query stays as it is: the fix is the new file.
    replacement: "",
    range: { file: at.file, line: at.line, column: at.column, endLine: at.line, endColumn: at.column },
    edits: [
      {
        file,
        line: 1,
        column: 1,
        endLine: 1,
        endColumn: 1,
        create: true,
        text: `-- ${why || "suggested by pg-index-lint query-needs-index"}\n${c.createIndex}\n`,
      },
    ],
  };
}
