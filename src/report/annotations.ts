/**
 * GitHub annotations: the findings GitHub can show on the run and in the pull request's files,
 * as `@actions/core` annotation properties (for the Action) and as workflow commands
 * (`--format github`, for any step that runs the CLI).
 *
 * GitHub shows few of them. actions/toolkit docs/problem-matchers.md, "Limitations": at most 10
 * warning, 10 error and 10 notice annotations per step, and 50 per job (all steps together);
 * the rest are dropped silently. So the most severe findings go first, the caps are applied
 * here, and what did not fit is returned for the job summary and the review.
 */
import type { Finding } from "../finding.js";
import { inertLogLine, visibleControls } from "./escape.js";
import { repoPath } from "./paths.js";
import type { Reporter, ReportInput } from "./reporter.js";

export type AnnotationLevel = "error" | "warning" | "notice";

/**
 * One annotation, with `@actions/core`'s `AnnotationProperties` (title, file, startLine, endLine,
 * startColumn, endColumn) beside its level and message.
 */
export interface Annotation {
  level: AnnotationLevel;
  message: string;
  title: string;
  /** Relative to the repository root, with forward slashes. */
  file: string;
  startLine: number;
  endLine: number;
  /** Only when the annotation starts and ends on one line: GitHub refuses columns otherwise. */
  startColumn?: number;
  /** Exclusive, as in our findings and in SARIF. */
  endColumn?: number;
}

export interface AnnotationLimits {
  error: number;
  warning: number;
  notice: number;
  /** All levels together: the job's budget left for this step. */
  total: number;
}

/** GitHub's per-step caps, and the per-job cap (actions/toolkit docs/problem-matchers.md). */
export const GITHUB_ANNOTATION_LIMITS: Readonly<AnnotationLimits> = {
  error: 10,
  warning: 10,
  notice: 10,
  total: 50,
};

export interface AnnotationOptions {
  limits?: Partial<AnnotationLimits>;
  /** The repository root, absolute; finding paths are rewritten relative to it. Default: `cwd`. */
  repoRoot?: string;
  /** The directory finding paths are relative to. Default `process.cwd()`. */
  cwd?: string;
}

export interface AnnotationSelection {
  /** Most severe first, then in file order. */
  shown: Annotation[];
  /** The findings over the caps, in the order they were given. */
  omitted: Finding[];
}

const RANK: Record<AnnotationLevel, number> = { error: 0, warning: 1, notice: 2 };

export function toAnnotations(
  findings: readonly Finding[],
  options: AnnotationOptions = {},
): AnnotationSelection {
  const limits = { ...GITHUB_ANNOTATION_LIMITS, ...options.limits };
  // A stable sort: within a level, findings keep their (file, line) order.
  const ordered = [...findings].sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  const used: Record<AnnotationLevel, number> = { error: 0, warning: 0, notice: 0 };
  let total = 0;
  const shown: Annotation[] = [];
  const kept = new Set<Finding>();
  for (const f of ordered) {
    const level: AnnotationLevel = f.severity;
    if (used[level] >= limits[level] || total >= limits.total) continue;
    used[level]++;
    total++;
    kept.add(f);
    shown.push(toAnnotation(f, level, options));
  }
  return { shown, omitted: findings.filter((f) => !kept.has(f)) };
}

function toAnnotation(f: Finding, level: AnnotationLevel, options: AnnotationOptions): Annotation {
  const oneLine = f.line === f.endLine;
  return {
    level,
    // Control bytes made visible: @actions/core and escapeData below encode only %, CR and LF.
    message: visibleControls(`${f.message}\n${f.help}`),
    title: visibleControls(`pg-index-lint: ${f.rule}`),
    file: visibleControls(repoPath(f.file, options.repoRoot, options.cwd)),
    startLine: f.line,
    endLine: f.endLine,
    // The runner rejects `col`/`endColumn` across lines, and an `endColumn` before `col`
    // (actions/runner: "Invalid error command value"), and then drops the annotation.
    ...(oneLine ? { startColumn: f.column, endColumn: Math.max(f.column, f.endColumn) } : {}),
  };
}

/** One line for the run log and the summary when some findings could not be annotated. */
export function omittedNotice(omitted: readonly Finding[]): string | undefined {
  if (omitted.length === 0) return undefined;
  const n = omitted.length;
  return (
    `${n} more finding${n === 1 ? " is" : "s are"} not annotated: GitHub shows at most ` +
    `${GITHUB_ANNOTATION_LIMITS.error} error and ${GITHUB_ANNOTATION_LIMITS.warning} warning annotations per step. ` +
    "The step log lists them all."
  );
}

export const githubReporter: Reporter = {
  format: "github",
  render: (report, context) =>
    formatGithub(report, {
      ...(context.repoRoot ? { repoRoot: context.repoRoot } : {}),
      ...(context.cwd ? { cwd: context.cwd } : {}),
    }),
};

/**
 * `--format github`: a workflow command per annotation (the runner also prints each in the log),
 * then, for what did not fit, a notice and a plain log line per finding, and a summary line.
 */
export function formatGithub(result: ReportInput, options: AnnotationOptions = {}): string {
  const { shown, omitted } = toAnnotations(result.findings, options);
  const out = shown.map(workflowCommand);
  const notice = omittedNotice(omitted);
  if (notice) out.push(`::notice title=${escapeProperty("pg-index-lint")}::${escapeData(notice)}`);
  for (const f of omitted) out.push(plainLine(f, options));
  const { errors, warnings, files } = result.summary;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  out.push(
    `pg-index-lint: ${plural(errors, "error")}, ${plural(warnings, "warning")} in ${plural(files, "file")}`,
  );
  return `${out.join("\n")}\n`;
}

/** `::error file=…,line=…,endLine=…,col=…,endColumn=…,title=…::message`, as @actions/core writes it. */
export function workflowCommand(a: Annotation): string {
  const properties: [string, string | number | undefined][] = [
    ["file", a.file],
    ["line", a.startLine],
    ["endLine", a.endLine],
    ["col", a.startColumn],
    ["endColumn", a.endColumn],
    ["title", a.title],
  ];
  const list = properties
    .filter((p): p is [string, string | number] => p[1] !== undefined && p[1] !== "")
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(",");
  return `::${a.level} ${list}::${escapeData(a.message)}`;
}

/**
 * A finding as one plain log line, for what did not fit in the annotations: it cannot start a
 * workflow command (a file named `::error::…`) nor break into a second line.
 */
export function plainLine(f: Finding, options: AnnotationOptions = {}): string {
  return inertLogLine(
    `${repoPath(f.file, options.repoRoot, options.cwd)}:${f.line}:${f.column}: ${f.severity} [${f.rule}] ${f.message}`,
  );
}

/**
 * The message after `::`: the runner splits commands on line breaks, and decodes `%`. Other
 * control bytes (ESC, NUL) are made visible.
 */
export function escapeData(text: string): string {
  return visibleControls(text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A"));
}

/** A property value: also `:` (ends the properties) and `,` (separates them). */
export function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}
