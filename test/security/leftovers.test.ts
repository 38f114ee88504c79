/**
 * Nothing is left behind that nobody knows about: a run names its scratch database and role
 * (with their creation time) before it creates them, cleans up when its connections are cut, and
 * the next run drops what a killed run left once it is an hour old and unused.
 */
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { cleanupLeftovers, openEngine } from "../../src/verify/connect.js";
import { scratchCreatedAt, scratchNames } from "../../src/verify/scratch.js";
import { runVerify as verify } from "../verify-run.js";
import { startChild } from "./child.js";
import {
  databaseExists,
  repo,
  roleExists,
  sayWhyServerTestsSkip,
  scratchObjects,
  serverUrl,
  serverWith,
  withAdmin,
} from "./server.js";

sayWhyServerTestsSkip("leftovers");

/** The server's clock, in seconds: scratch names carry it. */
const serverNow = () =>
  withAdmin(async (c) =>
    Number((await c.query("SELECT extract(epoch FROM now())::bigint AS now")).rows[0].now),
  );

/** Drops databases and roles by name, whatever state a failed test left them in. */
async function dropAll(databases: string[], roles: string[]): Promise<void> {
  await withAdmin(async (c) => {
    for (const name of databases) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    for (const name of roles) await c.query(`DROP ROLE IF EXISTS "${name}"`);
  });
}

describe("scratch names", () => {
  it("carry the creation time, and only exact matches count", () => {
    const { database, role } = scratchNames(1_700_000_000);
    expect(database).toMatch(/^pg_index_lint_1700000000_[0-9a-f]{8}$/);
    expect(role).toBe(database.replace("pg_index_lint_", "pgindexlint_"));
    expect(scratchCreatedAt("database", database)).toBe(1_700_000_000);
    expect(scratchCreatedAt("role", role)).toBe(1_700_000_000);
    expect(scratchCreatedAt("database", `${database}_x`)).toBeUndefined();
    expect(scratchCreatedAt("database", "pg_index_lint_0123456789ab")).toBeUndefined();
    expect(scratchCreatedAt("role", database)).toBeUndefined();
  });
});

describe.skipIf(!serverUrl)("leftovers on the server", () => {
  const planted: { databases: string[]; roles: string[] } = { databases: [], roles: [] };
  afterAll(() => dropAll(planted.databases, planted.roles));

  /** A leftover as a killed run leaves it: a database owned by its role, `ageSeconds` old by its name. */
  async function plant(ageSeconds: number) {
    const names = scratchNames((await serverNow()) - ageSeconds);
    planted.databases.push(names.database);
    planted.roles.push(names.role);
    await withAdmin(async (c) => {
      await c.query(`CREATE ROLE "${names.role}" LOGIN`);
      await c.query(`CREATE DATABASE "${names.database}" OWNER "${names.role}"`);
    });
    return names;
  }

  it("a run drops leftovers older than an hour that no session uses, and keeps young ones and ones in use", async () => {
    const old = await plant(2 * 3600);
    const young = await plant(30 * 60);
    const busy = await plant(2 * 3600);
    // Near misses are never touched: another tool's names, or this tool's older naming.
    const nearMiss = [`${old.database}_x`, "pg_index_lint_0123456789ab"];
    planted.databases.push(...nearMiss);
    await withAdmin(async (c) => {
      for (const name of nearMiss) await c.query(`CREATE DATABASE "${name}"`);
    });
    const session = new pg.Client({ connectionString: serverWith({ database: busy.database }) });
    session.on("error", () => {});
    await session.connect();
    try {
      const lines: string[] = [];
      const engine = await openEngine({ databaseUrl: serverUrl, env: {}, onProgress: (l) => lines.push(l) });
      await engine.close();
      expect(await databaseExists(old.database)).toBe(false);
      expect(await roleExists(old.role)).toBe(false);
      expect(await databaseExists(young.database)).toBe(true);
      expect(await roleExists(young.role)).toBe(true);
      expect(await databaseExists(busy.database)).toBe(true);
      // Its role owns the database still in use: it stays too.
      expect(await roleExists(busy.role)).toBe(true);
      for (const name of nearMiss) expect(await databaseExists(name)).toBe(true);
      // Another run may have dropped the old one first; if this one did, it said so.
      const dropped = lines.find((l) => l.startsWith("dropped leftovers of earlier runs"));
      if (dropped) expect(dropped).not.toContain(young.database);
    } finally {
      await session.end();
    }
  });

  it("cleanupLeftovers (verify --cleanup) drops what is a minute old and unused, and says what it keeps", async () => {
    const minutes = await plant(5 * 60);
    const fresh = await plant(0);
    const lines: string[] = [];
    const report = await cleanupLeftovers(serverUrl as string, { onProgress: (l) => lines.push(l) });
    expect(await databaseExists(minutes.database)).toBe(false);
    expect(await roleExists(minutes.role)).toBe(false);
    expect(await databaseExists(fresh.database)).toBe(true);
    expect(report.kept.map((k) => k.name)).toContain(`database ${fresh.database}`);
    expect(lines).toContain(
      `kept database ${fresh.database}: ${report.kept.find((k) => k.name === `database ${fresh.database}`)?.why}`,
    );
  });

  it("after kill -9, the names were printed first, and a run an hour later drops them", async () => {
    const child = await startChild(serverUrl as string);
    const first = child.progress[0] ?? "";
    const database = first.match(/pg_index_lint_[0-9]{10}_[0-9a-f]{8}/)?.[0] ?? "";
    const role = first.match(/pgindexlint_[0-9]{10}_[0-9a-f]{8}/)?.[0] ?? "";
    planted.databases.push(database);
    planted.roles.push(role);
    expect(first).toContain(`scratch database ${database} and role ${role} on`);
    child.process.kill("SIGKILL");
    await child.exited;
    expect(await databaseExists(database)).toBe(true);
    expect(await roleExists(role)).toBe(true);
    // An hour later: the same leftovers, with names two hours old.
    const created = scratchCreatedAt("database", database) as number;
    const later = { database: database.replace(String(created), String(created - 7200)), role: "" };
    later.role = later.database.replace("pg_index_lint_", "pgindexlint_");
    planted.databases.push(later.database);
    planted.roles.push(later.role);
    await withAdmin(async (c) => {
      // The killed run's sessions linger until the server notices; end them, as time would.
      await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [database]);
      for (let i = 0; i < 100; i++) {
        const { rowCount } = await c.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1", [database]);
        if (rowCount === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await c.query(`ALTER DATABASE "${database}" RENAME TO "${later.database}"`);
      await c.query(`ALTER ROLE "${role}" RENAME TO "${later.role}"`);
    });
    const engine = await openEngine({ databaseUrl: serverUrl, env: {} });
    await engine.close();
    expect(await databaseExists(later.database)).toBe(false);
    expect(await roleExists(later.role)).toBe(false);
  });

  it("a second Ctrl-C leaves at once, naming the database and the role it leaves", async () => {
    const child = await startChild(serverUrl as string);
    const database = child.progress[0]?.match(/pg_index_lint_[0-9]{10}_[0-9a-f]{8}/)?.[0] ?? "";
    const role = child.progress[0]?.match(/pgindexlint_[0-9]{10}_[0-9a-f]{8}/)?.[0] ?? "";
    planted.databases.push(database);
    planted.roles.push(role);
    // Hold the database's lock in an open transaction, so that the cleanup's DROP DATABASE waits.
    const holder = new pg.Client({ connectionString: serverUrl });
    holder.on("error", () => {});
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query(`COMMENT ON DATABASE "${database}" IS 'held by the test'`);
      child.process.kill("SIGINT");
      const deadline = Date.now() + 20_000;
      while (!child.stderr().includes("SIGINT: cleaning up") && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      child.process.kill("SIGINT");
      expect(await child.exited).toBe(130);
      expect(child.stderr()).toContain(
        `pg-index-lint: SIGINT again: leaving without cleaning up; left on the server: database ${database}, role ${role} (the next verify run drops them after an hour; pg-index-lint verify --cleanup drops them now)`,
      );
    } finally {
      await holder.query("ROLLBACK").catch(() => {});
      await holder.end();
    }
  });
});

describe.skipIf(!serverUrl)("a migration that ends verify's own sessions", () => {
  async function run(sql: string, trustMigrations = false) {
    const notes: string[] = [];
    const outcome = await verify({
      paths: [repo({ "001.sql": sql, "002.sql": "CREATE TABLE after_it (a int);\n" })],
      env: {},
      databaseUrl: serverUrl as string,
      ...(trustMigrations ? { trustMigrations } : {}),
      onNote: (line) => notes.push(line),
    }).then(
      (result) => ({ result, error: undefined }),
      (error: Error) => ({ result: undefined, error }),
    );
    const database = notes[0]?.match(/pg_index_lint_[0-9]{10}_[0-9a-f]{8}/)?.[0] as string;
    expect(database).toBeDefined();
    const left = await scratchObjects();
    expect(left.filter((o) => o.includes(database.slice("pg_index_lint_".length)))).toEqual([]);
    return outcome;
  }

  it("as the throwaway role, cannot end the other sessions: the statement fails, with the opt-in sentence", async () => {
    const { result } = await run(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pg-index-lint' AND pid <> pg_backend_pid();\n",
    );
    const failure = result?.report.sets[0]?.apply.failure;
    expect(failure?.error?.code).toBe("42501");
    expect(failure?.error?.message).toMatch(/--trust-migrations/);
  });

  it("ending its own session stops the run with one line, and nothing is left", async () => {
    const { error } = await run("SELECT pg_terminate_backend(pg_backend_pid());\n");
    expect(error).toBeInstanceOf(UserError);
    expect(error?.message).toMatch(/^lost the connection to postgres:\/\//);
  });

  it("with trustMigrations, ending every pg-index-lint session (the cleanup one too) still leaves nothing", async () => {
    const { error } = await run(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pg-index-lint' AND pid <> pg_backend_pid();\n",
      true,
    );
    // The applying session lives on, the observer and the cleanup session do not: the run goes on,
    // and the cleanup opens a new session.
    expect(error).toBeUndefined();
  });
});
