/**
 * Narrowing what a run reports: to the files changed since a git ref (--changed-since), and to
 * findings not already accepted in a baseline report (--baseline).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { UserError } from "./errors.js";
import type { Finding } from "./finding.js";

/** Files changed since `ref` (committed or not) and untracked files, relative to the working directory. */
export function changedFiles(ref: string): Set<string> {
  const git = (args: string[]) => {
    try {
      return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim().split("\n")[0];
      throw new UserError(`--changed-since ${ref}: git failed${stderr ? `: ${stderr}` : ""}`);
    }
  };
  const diff = git(["diff", "--name-only", "--relative", ref, "--"]);
  const untracked = git(["ls-files", "--others", "--exclude-standard"]);
  return new Set(`${diff}\n${untracked}`.split("\n").filter(Boolean));
}

/**
 * Keeps findings located in changed files. The whole schema is still replayed for context; a
 * changed config brings back every finding, since a new requirement can concern any table.
 */
export function keepChanged(findings: Finding[], changed: Set<string>, configFile: string | null): Finding[] {
  if (configFile && changed.has(configFile)) return findings;
  return findings.filter((f) => changed.has(f.file));
}

/** A finding's identity across runs: line numbers shift as files grow, so they are left out. */
export function fingerprint(f: Pick<Finding, "rule" | "file" | "message">): string {
  return [f.rule, f.file, f.message.replace(/:\d+(:\d+)?/g, "")].join("\u0000");
}

/**
 * Each finding's fingerprint with its occurrence number among equal ones, in order: identical
 * findings (three CONCURRENTLY statements in one BEGIN block) stay distinct and stable.
 */
export function numberedFingerprints(
  findings: readonly Finding[],
  path: (f: Finding) => string = (f) => f.file,
): { key: string; occurrence: number }[] {
  const seen = new Map<string, number>();
  return findings.map((f) => {
    const key = fingerprint({ ...f, file: path(f) });
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    return { key, occurrence };
  });
}

/** Drops findings recorded in a previous `--format json` report, once per recorded occurrence. */
export function applyBaseline(findings: Finding[], baselineFile: string): Finding[] {
  let recorded: Pick<Finding, "rule" | "file" | "message">[];
  try {
    const report = JSON.parse(readFileSync(baselineFile, "utf8")) as { version?: number; findings?: unknown };
    if (report.version !== 1 || !Array.isArray(report.findings)) throw new Error("not a version 1 report");
    recorded = report.findings as Pick<Finding, "rule" | "file" | "message">[];
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
