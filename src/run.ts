/**
 * The one library entry: `run(options) → Report`. The CLI and the Action are thin callers: they
 * read arguments or inputs, call `run()`, print or post the report, and exit with the verdict it
 * decided. Stages: the static pass (src/check.ts), verify when asked (src/verify/), then one policy
 * step (ignores, severities, baseline, scope) and the verdict (src/policy/).
 */
import {
  type Analysis,
  analyze,
  type CheckOptions,
  countInputErrors,
  finish,
  type MigrationSet,
  type ModelSet,
  summarize,
} from "./check.js";
import type { LoadedConfig } from "./config/load.js";
import type { Finding } from "./finding.js";
import { applyBaseline } from "./policy/baseline.js";
import { judge, type RawFinding } from "./policy/judge.js";
import { scopeFindings } from "./policy/scope.js";
import { decide, type FailOn, type Verdict } from "./policy/verdict.js";
import type { Requirement } from "./rules/coverage.js";
import { isLockRule } from "./rules/index.js";
import type { VerifyOptions, VerifyReport } from "./verify/verify.js";
import { toolVersion } from "./version.js";

export interface RunOptions extends Omit<CheckOptions, "keepSyntaxTrees">, VerifyOptions {
  command: "check" | "verify";
  /** The level that fails the run. Default "error". */
  failOn?: FailOn;
  /** A previous `--format json` report whose findings are not reported again. */
  baseline?: string;
  /**
   * The files a change touches (--changed-since, a pull request), relative to the working
   * directory: only what the change answers for is reported (src/policy/scope.ts).
   */
  changed?: ReadonlySet<string>;
}

export interface Report {
  toolVersion: string;
  command: "check" | "verify";
  /** Display path of the config file, or null. */
  config: string | null;
  settings: LoadedConfig;
  requirements: Requirement[];
  sets: MigrationSet[];
  modelSets: ModelSet[];
  /** What the run reports: judged, minus the baseline, within the change's scope. */
  findings: Finding[];
  /** Final-state findings on tables the change does not touch: listed apart, not counted. */
  outOfScope: Finding[];
  /** How many findings in files the change does not touch were left out. */
  omitted: number;
  summary: { errors: number; warnings: number; files: number; statements: number };
  verify: VerifyReport | null;
  verdict: Verdict;
}

export async function run(options: RunOptions): Promise<Report> {
  const verifying = options.command === "verify";
  // Loaded only for verify: the database drivers cost start-up time that check does not need.
  const verifyModule = verifying ? await import("./verify/verify.js") : null;
  const early = verifyModule?.openEngineEarly(options) ?? null;
  let analysis: Analysis;
  try {
    analysis = await analyze({ ...options, keepSyntaxTrees: verifying });
  } catch (error) {
    await early?.then((engine) => engine.close()).catch(() => undefined);
    throw error;
  }
  let raw = analysis.raw;
  let verify: VerifyReport | null = null;
  if (verifyModule) {
    const verified = await verifyModule.verify(analysis, options, early);
    verify = verified.report;
    raw = mergeMeasurements(analysis.raw, verified.raw);
  }
  const judged = finish(analysis, judge(raw, analysis.ignores, analysis.severities, analysis.workload));
  const inputErrors = countInputErrors(judged);
  let findings = options.baseline ? applyBaseline(judged, options.baseline) : judged;
  let outOfScope: Finding[] = [];
  let omitted = 0;
  if (options.changed) {
    const scope = scopeFindings(
      findings,
      options.changed,
      analysis.sets.map((s) => s.catalog),
      analysis.config,
      analysis.sets.flatMap((s) => s.migrations),
    );
    findings = scope.reported;
    outOfScope = scope.outOfScope;
    omitted = scope.omitted.length;
  }
  const failure = verify?.sets.flatMap((s) => s.apply.failures).find((f) => f.error?.code === "57014");
  const verdict = decide({
    findings,
    failOn: options.failOn ?? "error",
    inputErrors,
    statementTimeout: failure?.statement.range,
    timedOut: verify?.timedOut ?? false,
  });
  return {
    toolVersion: toolVersion(),
    command: options.command,
    config: analysis.config,
    settings: analysis.settings,
    requirements: analysis.requirements,
    sets: analysis.sets,
    modelSets: analysis.modelSets,
    findings,
    outOfScope,
    omitted,
    summary: summarize(findings, analysis),
    verify,
    verdict,
  };
}

/**
 * Verify's findings next to check's: one that says what check already said at the same place adds
 * nothing; a lock verify measured on a statement that check flags for its lock becomes that
 * finding's `measured`, not a second finding on the same line.
 */
export function mergeMeasurements(
  checkRaw: readonly RawFinding[],
  verifyRaw: readonly RawFinding[],
): RawFinding[] {
  const at = (r: RawFinding) => `${r.finding.range.file}:${r.finding.range.line}`;
  const merged = checkRaw.map((r) => ({ ...r, finding: { ...r.finding } }));
  const said = new Set(merged.map((r) => `${r.rule}:${at(r)}`));
  const lockFindings = new Map(merged.filter((r) => isLockRule(r.rule)).map((r) => [at(r), r]));
  for (const r of verifyRaw) {
    if (said.has(`${r.rule}:${at(r)}`)) continue;
    const flagged = r.finding.measured !== undefined ? lockFindings.get(at(r)) : undefined;
    if (flagged) {
      flagged.finding.measured = r.finding.measured;
      continue;
    }
    merged.push(r);
  }
  return merged;
}
