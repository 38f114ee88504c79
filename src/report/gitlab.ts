/**
 * `--format gitlab`: a GitLab Code Quality report (`artifacts:reports:codequality`), the subset
 * of the Code Climate issue format GitLab reads (docs.gitlab.com/ci/testing/code_quality/, "Code
 * Quality report format"): a JSON array of issues, each with `description`, `check_name`,
 * `fingerprint`, `severity` (info | minor | major | critical | blocker), `location.path` relative
 * to the repository without a leading `./`, and `location.lines.begin`. GitLab ignores other
 * fields, and rejects a byte order mark.
 *
 * The merge request widget shows issues with the same fingerprint once, and compares fingerprints
 * between the base and the head: so each finding gets its own, and it leaves the line number out.
 */
import type { Finding, Severity } from "../finding.js";
import { findingFingerprints } from "./fingerprints.js";
import { repoPath } from "./paths.js";
import type { Reporter, ReportInput } from "./reporter.js";

export interface GitlabOptions {
  /** The repository root, absolute; finding paths are rewritten relative to it. Default: `cwd`. */
  repoRoot?: string;
  /** The directory finding paths are relative to. Default `process.cwd()`. */
  cwd?: string;
}

export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: "info" | "minor" | "major" | "critical" | "blocker";
  location: { path: string; lines: { begin: number; end?: number } };
}

/**
 * An error blocks the merge at the default --fail-on; `major` is what linters conventionally map
 * errors to, and leaves `critical` and `blocker` to tools reporting outright defects.
 */
const SEVERITY: Record<Severity, CodeQualityIssue["severity"]> = { error: "major", warning: "minor" };

export const gitlabReporter: Reporter = {
  format: "gitlab",
  render: (report, context) =>
    formatGitlab(report, {
      ...(context.repoRoot ? { repoRoot: context.repoRoot } : {}),
      ...(context.cwd ? { cwd: context.cwd } : {}),
    }),
};

export function formatGitlab(result: ReportInput, options: GitlabOptions = {}): string {
  return `${JSON.stringify(toCodeQuality(result.findings, options), null, 2)}\n`;
}

export function toCodeQuality(findings: readonly Finding[], options: GitlabOptions = {}): CodeQualityIssue[] {
  const fingerprints = findingFingerprints(findings, options.repoRoot, options.cwd);
  return findings.map((f, i) => ({
    description: `${f.message} ${f.help}`,
    check_name: f.rule,
    fingerprint: fingerprints[i] as string,
    severity: SEVERITY[f.severity],
    location: {
      path: repoPath(f.file, options.repoRoot, options.cwd),
      lines: f.endLine > f.line ? { begin: f.line, end: f.endLine } : { begin: f.line },
    },
  }));
}
