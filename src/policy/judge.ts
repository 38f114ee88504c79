/**
 * The policy step: from what the rules reported to findings. Inline ignores drop what they cover,
 * the config's severities apply (or turn a rule off), and ignores that covered nothing are
 * reported. Check and verify findings go through the same step, once.
 */

import type { LoadedConfig } from "../config/load.js";
import { closest } from "../did-you-mean.js";
import { UserError } from "../errors.js";
import type { Finding, Severity } from "../finding.js";
import { count, duration } from "../queries/suggestion.js";
import type { Workload } from "../queries/workload.js";
import { isLockRule, metaOf, onlyVerifyFinds, RULE_IDS, ruleById } from "../rules/index.js";
import type { RuleFinding } from "../rules/rule.js";
import { unusedIgnore } from "../rules/unused-ignore.js";
import type { Ignores } from "./ignores.js";

/** A rule's finding before the policy step. */
export interface RawFinding {
  rule: string;
  source: "check" | "verify";
  finding: RuleFinding;
}

export type Severities = ReadonlyMap<string, Severity | "off">;

/** The config's `rules:` map; an unknown rule id is an error at its line in the config. */
export function severitiesOf(config: Pick<LoadedConfig, "data" | "file" | "where">) {
  const map = new Map<string, Severity | "off">();
  for (const [id, level] of Object.entries(config.data.rules ?? {})) {
    if (!ruleById(id)) {
      const near = closest(id, RULE_IDS);
      throw new UserError(
        `rules: unknown rule "${id}"${near ? ` (did you mean "${near}"?)` : ""}; \`pg-index-lint rules\` lists them`,
        config.where?.(["rules", id]) ?? config.file ?? undefined,
      );
    }
    map.set(id, level);
  }
  return map;
}

/**
 * With a table statistics export (`sizes`), a lock finding without a configured severity is
 * weighed by its table's production size: a note (a warning) under `lockRows` rows, an error with
 * an estimate of the build time from there up. The message says which size it assumed and where
 * that size comes from.
 */
export function judge(
  raw: readonly RawFinding[],
  ignores: Ignores,
  severities: Severities,
  sizes?: Pick<Workload, "stats" | "lockRows">,
): Finding[] {
  const out: Finding[] = [];
  for (const { rule, source, finding } of raw) {
    const meta = metaOf(rule);
    // Input errors are not findings a comment can waive: the file was not checked at all.
    if (meta.pass !== "input" && ignores.suppress(finding.range, rule)) continue;
    const configured = severities.get(rule);
    const level = configured ?? meta.defaultSeverity;
    if (level === "off") continue;
    const { range, ...rest } = finding;
    const weighed = configured === undefined && isLockRule(rule) ? weigh(rule, finding, sizes) : undefined;
    out.push({
      rule,
      severity: weighed?.severity ?? level,
      ...rest,
      ...(weighed ? { message: `${finding.message} ${weighed.note}` } : {}),
      ...range,
      source,
    });
  }
  return out;
}

/**
 * Rough rates of a B-tree build on current server hardware, for the order of magnitude only: the
 * heap is read at about 200 MB/s and the sort and write take about 1 µs per row (a 10-million-row
 * table of 1.3 GB: about 17 s). Real builds vary with maintenance_work_mem, I/O and load.
 */
const READ_BYTES_PER_MS = 200_000;
const MS_PER_ROW = 0.001;
const PAGE_BYTES = 8192;

/** The size-weighed severity and the sentence that says why, or undefined when the size is unknown. */
function weigh(
  rule: string,
  finding: RuleFinding,
  sizes: Pick<Workload, "stats" | "lockRows"> | undefined,
): { severity: Severity; note: string } | undefined {
  if (!sizes?.stats || !finding.table) return undefined;
  const [schema, table] = finding.table.includes(".")
    ? (finding.table.split(".", 2) as [string, string])
    : ["public", finding.table];
  const size = sizes.stats.size(schema, table);
  if (!size || size.rows < 0) return undefined;
  const from = `${size.range.file}:${size.range.line}`;
  const rows = `${finding.table} has about ${count(size.rows)} rows (table statistics, ${from})`;
  if (size.rows < sizes.lockRows)
    return {
      severity: "warning",
      note: `Note: ${rows}, under ${count(sizes.lockRows)}, so the lock is held briefly.`,
    };
  const builds = metaOf(rule).lockHeld !== "queue";
  const pages = size.pages ?? 0;
  const ms = pages * (PAGE_BYTES / READ_BYTES_PER_MS) + size.rows * MS_PER_ROW;
  const estimate = builds
    ? `: the build takes roughly ${duration(ms)} (at about 200 MB/s of heap read and 1 µs per row), and the lock blocks the table's writes for all of it.`
    : `, ${count(sizes.lockRows)} or more: the lock queues every query on the table behind the longest running one.`;
  return { severity: "error", note: `${rows}${estimate}` };
}

/** Ignores that suppressed nothing, or name an unknown rule. */
export function unusedIgnores(ignores: Ignores, severities: Severities): Finding[] {
  const { meta } = unusedIgnore;
  const level = severities.get(meta.id) ?? meta.defaultSeverity;
  if (level === "off") return [];
  const out: Finding[] = [];
  for (const { ignore, rule } of ignores.unused()) {
    // Only verify can tell whether an ignore of one of its rules was needed.
    if (onlyVerifyFinds(rule)) continue;
    const unknown = !ruleById(rule);
    const near = unknown ? closest(rule, RULE_IDS) : undefined;
    out.push({
      rule: meta.id,
      severity: level,
      message: unknown
        ? `pg-index-lint-ignore names an unknown rule "${rule}"${near ? ` (did you mean "${near}"?)` : ""}.`
        : `pg-index-lint-ignore ${rule} suppresses nothing: the statement it applies to has no ${rule} finding.`,
      help: "Remove the comment, or fix the rule id.",
      ...ignore.range,
      source: "check",
    });
  }
  return out;
}

/**
 * One need, reported once: a finding whose rule another rule `subsumes` (same table, its columns
 * the leading columns of the other finding's index) is folded into that finding, which names it.
 */
export function foldSubsumed(findings: readonly Finding[]): Finding[] {
  const folded = new Set<Finding>();
  const notes = new Map<Finding, string[]>();
  for (const keeper of findings) {
    const subsumes = metaOf(keeper.rule).subsumes;
    if (!subsumes?.length || !keeper.table || !keeper.columns?.length) continue;
    const keys = keeper.columns;
    for (const other of findings) {
      if (other === keeper || folded.has(other) || !subsumes.includes(other.rule)) continue;
      if (other.table !== keeper.table || !other.columns?.length) continue;
      const lead = new Set(keys.slice(0, other.columns.length));
      if (other.columns.length > keys.length || !other.columns.every((c) => lead.has(c))) continue;
      folded.add(other);
      notes.set(keeper, [...(notes.get(keeper) ?? []), `${other.rule} at ${other.file}:${other.line}`]);
    }
  }
  return findings
    .filter((f) => !folded.has(f))
    .map((f) => {
      const also = notes.get(f);
      return also ? { ...f, message: `${f.message} The same index also answers ${also.join(", ")}.` } : f;
    });
}
