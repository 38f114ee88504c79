/**
 * The verdict of a run: its exit code and, when it fails, why. The CLI exits with it and the Action
 * fails its step with it, so the two cannot disagree. 0: clean at the fail-on level; 1: findings at
 * or over it; 2: the run is incomplete (input that could not be read, verify stopped by a time limit).
 */
import type { Finding } from "../finding.js";
import type { SourceRange } from "../model.js";

export const FAIL_ON = ["error", "warning", "never"] as const;
export type FailOn = (typeof FAIL_ON)[number];

export interface Verdict {
  exitCode: 0 | 1 | 2;
  failOn: FailOn;
  /** What decided it: unreadable input, a verify time limit, or findings at fail-on. */
  cause: "input" | "statement-timeout" | "timeout" | "findings" | null;
  /** One line on why the run fails; null when it passes. */
  reason: string | null;
}

export interface VerdictInput {
  findings: readonly Finding[];
  failOn: FailOn;
  inputErrors: number;
  /** Where verify stopped because a statement ran past --statement-timeout. */
  statementTimeout?: SourceRange | undefined;
  /** Verify ran out of its overall time budget (--timeout). */
  timedOut?: boolean;
}

export function decide(input: VerdictInput): Verdict {
  const { failOn } = input;
  if (input.inputErrors > 0)
    return {
      exitCode: 2,
      failOn,
      cause: "input",
      reason: "some input could not be read or parsed; the run is incomplete",
    };
  // A statement cancelled because the whole run's budget ran out is the run's timeout, not its own.
  if (input.timedOut)
    return {
      exitCode: 2,
      failOn,
      cause: "timeout",
      reason: "verify ran out of time (--timeout); the migrations listed as not applied were not verified",
    };
  if (input.statementTimeout) {
    const at = `${input.statementTimeout.file}:${input.statementTimeout.line}`;
    return {
      exitCode: 2,
      failOn,
      cause: "statement-timeout",
      reason: `${at}: the statement ran past --statement-timeout; verify stopped there`,
    };
  }
  const errors = input.findings.filter((f) => f.severity === "error").length;
  const warnings = input.findings.filter((f) => f.severity === "warning").length;
  const failing = failOn !== "never" && (errors > 0 || (failOn === "warning" && warnings > 0));
  if (!failing) return { exitCode: 0, failOn, cause: null, reason: null };
  return {
    exitCode: 1,
    failOn,
    cause: "findings",
    reason: `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"} at fail-on: ${failOn}`,
  };
}
