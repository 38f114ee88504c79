/** --baseline: findings already recorded in an earlier `--format json` report are not reported again. */
import { readFileSync } from "node:fs";
import { UserError } from "../errors.js";
import { type Finding, fingerprint } from "../finding.js";

/** Drops findings recorded in a previous `--format json` report, once per recorded occurrence. */
export function applyBaseline(findings: readonly Finding[], baselineFile: string): Finding[] {
  let recorded: Pick<Finding, "rule" | "file" | "message">[];
  try {
    const report = JSON.parse(readFileSync(baselineFile, "utf8")) as { version?: number; findings?: unknown };
    if (report.version !== 1 || !Array.isArray(report.findings) || !report.findings.every(isRecorded))
      throw new Error("not a version 1 report");
    recorded = report.findings;
  } catch (error) {
    const why =
      error instanceof Error && "code" in error
        ? "cannot be read"
        : "is not a pg-index-lint JSON report (make one with --format json)";
    throw new UserError(`--baseline ${why}`, baselineFile);
  }
  const budget = new Map<string, number>();
  for (const f of recorded) budget.set(fingerprint(f), (budget.get(fingerprint(f)) ?? 0) + 1);
  return findings.filter((f) => {
    const key = fingerprint(f);
    const left = budget.get(key) ?? 0;
    if (left === 0) return true;
    budget.set(key, left - 1);
    return false;
  });
}

function isRecorded(value: unknown): value is Pick<Finding, "rule" | "file" | "message"> {
  if (typeof value !== "object" || value === null) return false;
  const f = value as Record<string, unknown>;
  return typeof f.rule === "string" && typeof f.file === "string" && typeof f.message === "string";
}
