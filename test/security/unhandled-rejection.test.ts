/**
 * No promise rejection goes unhandled. The lock watcher that runs beside a CONCURRENTLY statement
 * used to reject unobserved when its session ended before the statement did, which ends a Node
 * process by default, before any cleanup.
 */
import { describe, expect, it } from "vitest";
import { check } from "../../src/check.js";
import { applySet } from "../../src/verify/apply.js";
import type { Connection, Engine } from "../../src/verify/engine.js";
import { runVerify as verify } from "../verify-run.js";
import {
  failOnUnhandledRejections,
  repo,
  sayWhyServerTestsSkip,
  scratchObjects,
  serverUrl,
} from "./server.js";

sayWhyServerTestsSkip("unhandled rejections");

/** Collects unhandled rejections while `run` runs, and for a turn of the event loop after it. */
async function unhandledDuring(run: () => Promise<unknown>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => {
    seen.push(reason);
  };
  process.on("unhandledRejection", listener);
  try {
    await run();
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    process.off("unhandledRejection", listener);
  }
  return seen;
}

describe("the lock watcher of a CONCURRENTLY statement", () => {
  it("does not leave a rejection unhandled when its session fails while the statement runs", async () => {
    const checked = await check({
      paths: [repo({ "001.sql": "CREATE INDEX CONCURRENTLY i ON t (a);\n" })],
      keepSyntaxTrees: true,
    });
    const set = checked.sets[0];
    if (!set) throw new Error("no migrations");
    const main: Connection = {
      async query<Row>(sql: string) {
        // The statement runs for a while; the watcher fails meanwhile.
        if (sql.startsWith("CREATE INDEX CONCURRENTLY"))
          await new Promise((resolve) => setTimeout(resolve, 100));
        return { rows: [] as Row[] };
      },
      exec: async () => [],
      pid: async () => 4242,
    };
    let watcherCalls = 0;
    const observer: Connection = {
      async query<Row>(sql: string): Promise<{ rows: Row[] }> {
        if (sql.startsWith("PREPARE")) return { rows: [] };
        watcherCalls++;
        throw new Error("the observer's session ended");
      },
      exec: async () => [],
      pid: async () => 4243,
    };
    const engine: Engine = {
      kind: "server",
      version: "PostgreSQL 15",
      versionNum: 150000,
      description: "a fake server",
      main,
      observer,
      startup: { ms: 0, from: "server" },
      setDeadline: () => {},
      close: async () => {},
    };
    let result: Awaited<ReturnType<typeof applySet>> | undefined;
    const unhandled = await unhandledDuring(async () => {
      result = await applySet(engine, set);
    });
    expect(watcherCalls).toBeGreaterThan(0);
    expect(unhandled).toEqual([]);
    // The statement itself went through; its lock, unseen, is the documented one.
    expect(result?.migrations[0]?.statements[0]?.status).toBe("applied");
    expect(result?.migrations[0]?.statements[0]?.locks[0]?.seen).toBe("inferred");
  });
});

describe.skipIf(!serverUrl)("on the server", () => {
  failOnUnhandledRejections();

  it("with trustMigrations, an index expression that ends the observer's session mid-statement: no unhandled rejection, nothing left", async () => {
    const notes: string[] = [];
    const unhandled = await unhandledDuring(async () => {
      await verify({
        paths: [
          repo({
            "001.sql": `CREATE FUNCTION end_watchers(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_terminate_backend(pid) FROM pg_stat_activity
   WHERE application_name = 'pg-index-lint' AND pid <> pg_backend_pid() AND datname = current_database();
  PERFORM pg_sleep(0.3);
  RETURN $1;
END $$;
CREATE TABLE t (a int);
INSERT INTO t VALUES (1), (2);
`,
            "002.sql": "CREATE INDEX CONCURRENTLY t_a ON t (end_watchers(a));\n",
          }),
        ],
        env: {},
        databaseUrl: serverUrl as string,
        trustMigrations: true,
        onNote: (line) => notes.push(line),
      });
    });
    expect(unhandled).toEqual([]);
    const database = notes[0]?.match(/pg_index_lint_[0-9]{10}_[0-9a-f]{8}/)?.[0] as string;
    expect(database).toBeDefined();
    expect(await scratchObjects()).not.toContain(`database ${database}`);
  });
});
