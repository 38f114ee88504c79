/**
 * Time limits hold whatever the SQL does: they are kept outside the session that applies the
 * migrations, so `SET statement_timeout = 0` cannot lift them, and a statement that catches its
 * cancellation is ended with its session (on PGlite, the worker thread is ended).
 */
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { openEngine } from "../../src/verify/connect.js";
import { isDatabaseError } from "../../src/verify/engine.js";
import { RUN_GRACE_MS } from "../../src/verify/time-limits.js";
import { runVerify as verify } from "../verify-run.js";
import { engines, rejection, repo, sayWhyServerTestsSkip, scratchObjects } from "./server.js";

sayWhyServerTestsSkip("the time limits");

/** A statement that swallows its own cancellation: only ending its backend stops it. */
const STUBBORN = `DO $$
BEGIN
  LOOP
    BEGIN
      PERFORM pg_sleep(600);
    EXCEPTION WHEN query_canceled THEN
      RAISE NOTICE 'cancel ignored';
    END;
  END LOOP;
END $$;`;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe.each(engines)("engine: $name", ({ name, url }) => {
  const open = (statementTimeoutMs: number) =>
    openEngine({ ...(url ? { databaseUrl: url } : {}), env: {}, statementTimeoutMs });

  it("keeps --statement-timeout after the SQL sets statement_timeout = 0", async () => {
    const engine = await open(1_000);
    try {
      await engine.main.query("SET statement_timeout = 0");
      const started = performance.now();
      const error = await rejection(engine.main.query("SELECT pg_sleep(600)"));
      const took = performance.now() - started;
      console.log(
        `${name}: pg_sleep(600) after SET statement_timeout = 0, limit 1 s: ended after ${seconds(took)}`,
      );
      expect(isDatabaseError(error) && error.code).toBe("57014");
      expect(error.message).toBe("canceling statement due to statement timeout");
      expect(took).toBeLessThan(5_000);
      if (url) {
        // A plain statement ends at the cancel: the session stays and goes on.
        expect((await engine.main.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
      } else {
        // PGlite cannot cancel: it was stopped, and says why.
        const next = await rejection(engine.main.query("SELECT 1"));
        expect(next).toBeInstanceOf(UserError);
        expect(next.message).toBe(
          "embedded PGlite was stopped by the statement timeout (1000 ms) while it ran: SELECT pg_sleep(600)",
        );
      }
    } finally {
      await engine.close();
    }
  });

  it("ends a statement that catches its cancellation, and its session with it", async () => {
    const engine = await open(1_000);
    try {
      const started = performance.now();
      const error = await rejection(engine.main.query(STUBBORN));
      const took = performance.now() - started;
      console.log(`${name}: a DO block that catches query_canceled, limit 1 s: ended after ${seconds(took)}`);
      expect(isDatabaseError(error) && error.code).toBe("57014");
      expect(took).toBeLessThan(6_000);
      const next = await rejection(engine.main.query("SELECT 1"));
      expect(next).toBeInstanceOf(UserError);
      expect(next.message).toMatch(
        url
          ? /^verify ended the session that applies the migrations: a statement ran past --statement-timeout and went on after the cancel request \(DO \$\$\)$/
          : /^embedded PGlite was stopped by the statement timeout/,
      );
    } finally {
      await engine.close();
    }
  });

  it("stops the statement running at the run's deadline, then allows a few seconds to read back, then nothing", async () => {
    const engine = await open(0);
    try {
      const deadline = Date.now() + 500;
      engine.setDeadline(deadline);
      const first = await rejection(engine.main.query("SELECT pg_sleep(600)"));
      expect(isDatabaseError(first) && first.code).toBe("57014");
      expect(first.message).toBe("canceling statement: verify ran out of time (--timeout)");
      if (!url) {
        // Stopping PGlite loses the database, so the statement at the deadline gets the grace too.
        expect(Date.now() - deadline).toBeGreaterThanOrEqual(RUN_GRACE_MS - 50);
        expect(Date.now() - deadline).toBeLessThan(RUN_GRACE_MS + 3_000);
        expect(await rejection(engine.main.query("SELECT 1"))).toBeInstanceOf(UserError);
        return;
      }
      expect(Date.now() - deadline).toBeLessThan(3_000);
      // After the deadline: calls get RUN_GRACE_MS in all, then the engine refuses them.
      const second = await rejection(engine.main.query("SELECT pg_sleep(600)"));
      expect(isDatabaseError(second) && second.code).toBe("57014");
      expect(Date.now() - deadline).toBeGreaterThanOrEqual(RUN_GRACE_MS - 50);
      expect(Date.now() - deadline).toBeLessThan(RUN_GRACE_MS + 3_000);
      const third = await rejection(engine.main.query("SELECT 1"));
      expect(third).toBeInstanceOf(UserError);
      expect(third.message).toBe("verify ran out of time (--timeout); nothing more was sent to the database");
    } finally {
      await engine.close();
    }
  });
});

describe.each(engines)("a whole run on $name", ({ name, url }) => {
  /** verify() on one migration file; the time from the migration's start to verify's end. */
  async function run(sql: string, limits: { timeoutMs?: number; statementTimeoutMs?: number }) {
    const notes: string[] = [];
    let applying = 0;
    const started = performance.now();
    const outcome = await verify({
      paths: [repo({ "001.sql": sql })],
      env: {},
      ...(url ? { databaseUrl: url } : {}),
      ...limits,
      onNote: (line) => notes.push(line),
      onMigration: () => {
        applying ||= performance.now();
      },
    }).then(
      (result) => ({ result, error: undefined }),
      (error: Error) => ({ result: undefined, error }),
    );
    const end = performance.now();
    const scratch = notes[0]?.match(/pg_index_lint_[0-9]+_[0-9a-f]+/)?.[0];
    const role = notes[0]?.match(/pgindexlint_[0-9]+_[0-9a-f]+/)?.[0];
    return { ...outcome, afterApplyMs: end - applying, totalMs: end - started, scratch, role };
  }

  /** What a server run left: nothing. */
  async function expectNothingLeft(found: { scratch?: string | undefined; role?: string | undefined }) {
    if (!url) return;
    expect(found.scratch).toBeDefined();
    expect(found.role).toBeDefined();
    const left = await scratchObjects();
    expect(left).not.toContain(`database ${found.scratch}`);
    expect(left).not.toContain(`role ${found.role}`);
  }

  it("ends SELECT pg_sleep(600) within 10 s of its start with --timeout 3, naming the statement", async () => {
    const outcome = await run("CREATE TABLE t (a int);\nSELECT pg_sleep(600);\n", { timeoutMs: 3_000 });
    console.log(
      `${name}: pg_sleep(600) with --timeout 3: ${seconds(outcome.afterApplyMs)} from the first migration (${seconds(outcome.totalMs)} in all)`,
    );
    expect(outcome.afterApplyMs).toBeLessThan(10_000);
    if (outcome.result) {
      // A server cancels the statement and reads back what was applied.
      const apply = outcome.result.report.sets[0]?.apply;
      expect(outcome.result.report.timedOut).toBe(true);
      expect(apply?.failure?.statement.range.line).toBe(2);
      expect(apply?.failure?.error?.code).toBe("57014");
      expect(apply?.failure?.error?.message).toBe("canceling statement: verify ran out of time (--timeout)");
    } else {
      // PGlite's worker is ended: the run stops with one line that quotes the statement.
      expect(url).toBeUndefined();
      expect(outcome.error).toBeInstanceOf(UserError);
      expect(outcome.error?.message).toBe(
        "embedded PGlite was stopped when verify ran out of time (--timeout) while it ran: SELECT pg_sleep(600)",
      );
    }
    await expectNothingLeft(outcome);
  });

  it("keeps --statement-timeout 3 when the migration sets statement_timeout = 0", async () => {
    const outcome = await run("SET statement_timeout = 0;\nSELECT pg_sleep(600);\n", {
      statementTimeoutMs: 3_000,
    });
    console.log(
      `${name}: SET statement_timeout = 0; pg_sleep(600) with --statement-timeout 3: ${seconds(outcome.afterApplyMs)} from the first migration`,
    );
    expect(outcome.afterApplyMs).toBeLessThan(10_000);
    if (outcome.result) {
      const failure = outcome.result.report.sets[0]?.apply.failure;
      expect(failure?.statement.range.line).toBe(2);
      expect(failure?.error?.code).toBe("57014");
    } else {
      expect(url).toBeUndefined();
      expect(outcome.error?.message).toBe(
        "embedded PGlite was stopped by the statement timeout (3000 ms) while it ran: SELECT pg_sleep(600)",
      );
    }
    await expectNothingLeft(outcome);
  });

  it("ends a statement that catches its cancellation within 10 s with --timeout 3, and cleans up", async () => {
    const outcome = await run(`SET statement_timeout = 0;\n${STUBBORN}\n`, { timeoutMs: 3_000 });
    console.log(
      `${name}: a DO block that catches query_canceled, --timeout 3: ${seconds(outcome.afterApplyMs)} from the first migration`,
    );
    expect(outcome.afterApplyMs).toBeLessThan(10_000);
    // Its session is gone, so reading back fails: one line, which says why.
    expect(outcome.error).toBeInstanceOf(UserError);
    expect(outcome.error?.message).toMatch(
      url
        ? /^verify ended the session that applies the migrations: a statement ran past the run's time budget \(--timeout\)/
        : /^embedded PGlite was stopped when verify ran out of time \(--timeout\) while it ran: DO \$\$/,
    );
    await expectNothingLeft(outcome);
  });
});
