/**
 * The policy step: from what the rules reported to findings. Inline ignores drop what they cover,
 * the config's severities apply (or turn a rule off), and ignores that covered nothing are
 * reported. Check and verify findings go through the same step, once.
 */

import type { LoadedConfig } from "../config/load.js";
import { closest } from "../did-you-mean.js";
import { UserError } from "../errors.js";
import type { Finding, Severity } from "../finding.js";
import { metaOf, onlyVerifyFinds, RULE_IDS, ruleById } from "../rules/index.js";
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

export function judge(raw: readonly RawFinding[], ignores: Ignores, severities: Severities): Finding[] {
  const out: Finding[] = [];
  for (const { rule, source, finding } of raw) {
    const meta = metaOf(rule);
    // Input errors are not findings a comment can waive: the file was not checked at all.
    if (meta.pass !== "input" && ignores.suppress(finding.range, rule)) continue;
    const level = severities.get(rule) ?? meta.defaultSeverity;
    if (level === "off") continue;
    const { range, ...rest } = finding;
    out.push({ rule, severity: level, ...rest, ...range, source });
  }
  return out;
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
