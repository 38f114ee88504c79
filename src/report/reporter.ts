/**
 * One reporter interface: a reporter takes the `Report` of a run and returns text. The CLI's
 * `--format` and the Action pick reporters from one registry (./index.ts).
 */
import type { Report } from "../run.js";

/** What the machine-readable reports need from a run. */
export type ReportInput = Pick<Report, "findings" | "summary">;

export interface ReportContext {
  /** Colour and terminal control, for text on a terminal. */
  color: boolean;
  /**
   * The repository root, absolute: paths in SARIF, GitLab and workflow commands are relative to
   * it. Default: the working directory.
   */
  repoRoot?: string;
  /** The directory finding paths are relative to. Default `process.cwd()`. */
  cwd?: string;
  /** Columns per line for text: the terminal's width, 100 when not a terminal. */
  width?: number;
  /** Text: list every statement verify ran, not only those worth a look. */
  verbose?: boolean;
  /** Text: a statement that held a lock longer than this (ms) is listed whatever the lock. */
  lockThresholdMs?: number;
  /** Absolute URI under which `rules/<id>.md` is published, for links to rule pages. */
  ruleDocsBaseUri?: string;
}

export interface Reporter {
  /** The `--format` value. */
  format: string;
  render(report: Report, context: ReportContext): string;
}
