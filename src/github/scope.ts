/**
 * What a pull request is answerable for. All migrations are replayed for context, but:
 * - a finding in a file the PR adds or changes is reported;
 * - a final-state finding (a missing required index, an unindexed foreign key, a duplicate…) on a
 *   table the PR touches is reported; on another table it goes to the job summary only;
 * - a changed config brings back every finding, since a new requirement can concern any table;
 * - any other finding is an old one in an untouched file, and is left out.
 */
import type { MigrationSet } from "../check.js";
import type { Finding } from "../finding.js";
import { RULES } from "../rules/index.js";
import { displayName } from "../schema/catalog.js";

/** Rules that judge the schema after every migration rather than one statement. */
export const FINAL_STATE_RULES: ReadonlySet<string> = new Set([
  ...RULES.filter((r) => r.checkCatalog).map((r) => r.meta.id),
  "invalid-index",
  "required-index-not-used",
  "replay-mismatch",
]);

export interface PrScope {
  /** Reported: annotations, review, comment, and the verdict. */
  reported: Finding[];
  /** Final-state findings on tables the PR does not touch: the summary only. */
  summaryOnly: Finding[];
  /** Findings in files the PR does not change. */
  omitted: Finding[];
}

export function scopeToPullRequest(
  findings: Finding[],
  changed: ReadonlySet<string>,
  sets: Pick<MigrationSet, "catalog">[],
  configFile: string | null,
): PrScope {
  if (configFile && changed.has(configFile)) return { reported: findings, summaryOnly: [], omitted: [] };
  const touched = touchedTables(changed, sets, findings);
  const scope: PrScope = { reported: [], summaryOnly: [], omitted: [] };
  for (const f of findings) {
    if (changed.has(f.file)) scope.reported.push(f);
    else if (FINAL_STATE_RULES.has(f.rule)) {
      if (f.table && touched.has(f.table)) scope.reported.push(f);
      else scope.summaryOnly.push(f);
    } else scope.omitted.push(f);
  }
  return scope;
}

/**
 * Tables a changed file creates, indexes or constrains, as the replay recorded them, plus the
 * tables of findings in changed files (which covers statements the replay left out).
 */
export function touchedTables(
  changed: ReadonlySet<string>,
  sets: Pick<MigrationSet, "catalog">[],
  findings: Finding[],
): Set<string> {
  const touched = new Set<string>();
  for (const set of sets) {
    for (const table of set.catalog.tables.values()) {
      const sources = [
        table.source,
        ...[...table.indexes.values()].map((i) => i.source),
        ...[...table.foreignKeys.values()].map((fk) => fk.source),
      ];
      if (sources.some((s) => changed.has(s.file))) touched.add(displayName(table));
    }
  }
  for (const f of findings) if (f.table && changed.has(f.file)) touched.add(f.table);
  return touched;
}
