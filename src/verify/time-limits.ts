/**
 * The time limits of a verify run, kept outside the database session that applies the
 * migrations. PostgreSQL's own statement_timeout is a setting of that session, and the SQL under
 * review can turn it off (`SET statement_timeout = 0`), so each engine also times every call
 * itself and stops an overrunning statement from outside: a server cancels it from a privileged
 * connection and then ends the backend; PGlite ends its worker thread.
 */
import { SqlError } from "./engine.js";

/**
 * How long a cancelled statement has to end before its backend is terminated. A plain statement
 * ends at once; PL/pgSQL can catch query_canceled (`EXCEPTION WHEN query_canceled`) and go on,
 * and only terminating the backend ends that.
 */
export const CANCEL_GRACE_MS = 1_000;

/**
 * After the run's deadline, verify still reads back the catalog and plans the probe queries. Those
 * calls get this long in all; then the engine stops, so the run ends shortly after its limit
 * whatever the SQL does.
 */
export const RUN_GRACE_MS = 5_000;

export type LimitReason = "statement" | "run";

export interface CallLimit {
  /** When the call must have ended (ms since epoch). */
  at: number;
  reason: LimitReason;
}

export class TimeLimits {
  private deadline: number | undefined;

  /**
   * `statementMs`: per statement; 0 turns the per-statement limit off. `stopLoses`: stopping a
   * statement ends the whole database (PGlite), so the statement running at the deadline gets the
   * grace period too, and verify can still read back what was applied if it ends within it.
   */
  constructor(
    readonly statementMs: number,
    private readonly stopLoses = false,
  ) {}

  setDeadline(at: number | undefined): void {
    this.deadline = at;
  }

  /** When a call that starts at `now` must end, and which limit that is; undefined for none. */
  forCall(now = Date.now()): CallLimit | undefined {
    let limit: CallLimit | undefined =
      this.statementMs > 0 ? { at: now + this.statementMs, reason: "statement" } : undefined;
    if (this.deadline !== undefined) {
      const at = now < this.deadline && !this.stopLoses ? this.deadline : this.deadline + RUN_GRACE_MS;
      if (!limit || at < limit.at) limit = { at, reason: "run" };
    }
    return limit;
  }

  /** True once the deadline and its grace period are over: nothing more may run. */
  exhausted(now = Date.now()): boolean {
    return this.deadline !== undefined && now >= this.deadline + RUN_GRACE_MS;
  }

  /**
   * The error of a statement stopped from outside, shaped as PostgreSQL's own (SQLSTATE 57014,
   * query_canceled), so that callers treat both alike. `ended`: its session had to be ended too.
   */
  error(reason: LimitReason, how: string, ended: boolean): SqlError {
    const after = ended ? "; its session was ended with it, so nothing more runs there" : "";
    if (reason === "statement") {
      return new SqlError({
        message: "canceling statement due to statement timeout",
        code: "57014",
        hint: `pg-index-lint ${how} after ${this.statementMs} ms (--statement-timeout), from outside the session: the SQL cannot lift this limit${after}`,
      });
    }
    return new SqlError({
      message: "canceling statement: verify ran out of time (--timeout)",
      code: "57014",
      hint: `pg-index-lint ${how} at the end of the run's time budget, from outside the session${after}`,
    });
  }
}

/**
 * The start of a statement, for a one-line message: its first line, at most 80 characters. The
 * BEGIN that apply.ts sends in the same string as a lone statement is skipped.
 */
export function excerpt(sql: string): string {
  const lines = sql.split("\n").map((l) => l.trim());
  const line = lines.find((l) => l !== "" && !/^(BEGIN|START TRANSACTION)\s*;$/i.test(l)) ?? "";
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}
