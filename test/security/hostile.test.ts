/**
 * Hostile migrations, given a superuser URL: each tries to reach beyond the scratch database
 * (another database, the server's configuration, its roles, the host's programs and files, other
 * sessions). Each is refused, and the test checks the server and the host afterwards. On PGlite
 * the same SQL runs inside the embedded instance, which reaches nothing outside it. With
 * trustMigrations the SQL runs as the URL's role: the last tests document what it can then do.
 */
import { existsSync, rmSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { runVerify as verify } from "../verify-run.js";
import {
  engines,
  failOnUnhandledRejections,
  rejection,
  repo,
  roleNames,
  sayWhyServerTestsSkip,
  scratchObjects,
  serverUrl,
  withAdmin,
} from "./server.js";

sayWhyServerTestsSkip("the hostile migrations");
failOnUnhandledRejections();

const VICTIM = "pil_sec_victim";
const EVIL_ROLE = "pil_sec_evil";
const VICTIM_SESSION = "pil_sec_victim_session";
const touched = (engine: string) => `/tmp/pil_sec_touched_${process.pid}_${engine}`;
const written = (engine: string) => `/tmp/pil_sec_written_${process.pid}_${engine}`;

/**
 * One file per attempt; applied with keepGoing, so that every attempt runs. On PGlite, COPY … TO
 * PROGRAM leaves the instance unable to answer the next migration (it hangs until the statement
 * timeout stops it): it gets a run of its own there.
 */
function attempts(engine: string): Record<string, string> {
  const all: Record<string, string> = {
    "01_drop_other_database.sql": `DROP DATABASE ${VICTIM};\n`,
    "02_alter_system.sql": "ALTER SYSTEM SET work_mem = '77MB';\n",
    "03_create_superuser.sql": `CREATE ROLE ${EVIL_ROLE} SUPERUSER LOGIN;\n`,
    "04_copy_to_program.sql": copyToProgram(engine),
    "05_read_host_file.sql": "SELECT CAST(pg_read_file('/etc/passwd') AS int);\n",
    "06_terminate_other_session.sql": `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${VICTIM_SESSION}';\n`,
    "07_copy_from_host_file.sql":
      "CREATE TABLE leak (l text);\nCOPY leak FROM '/etc/passwd';\nSELECT CAST((SELECT string_agg(l, ',') FROM leak) AS int);\n",
    "08_lo_import.sql": "SELECT CAST(convert_from(lo_get(lo_import('/etc/passwd')), 'UTF8') AS int);\n",
    "09_copy_to_host_file.sql": `COPY (SELECT 'x') TO '${written(engine)}';\n`,
    "10_file_fdw.sql":
      "CREATE EXTENSION file_fdw;\nCREATE SERVER files FOREIGN DATA WRAPPER file_fdw;\nCREATE FOREIGN TABLE passwd (l text) SERVER files OPTIONS (filename '/etc/passwd');\nSELECT CAST((SELECT string_agg(l, ',') FROM passwd) AS int);\n",
    "11_make_itself_superuser.sql": "ALTER ROLE CURRENT_USER SUPERUSER;\n",
    "12_become_postgres.sql": "SET SESSION AUTHORIZATION postgres;\n",
  };
  if (engine === "PGlite") delete all["04_copy_to_program.sql"];
  return all;
}

const copyToProgram = (engine: string) => `COPY (SELECT 1) TO PROGRAM 'touch ${touched(engine)}';\n`;

const DBLINK =
  "CREATE EXTENSION IF NOT EXISTS dblink;\nSELECT dblink_exec('dbname=pil_sec_victim user=postgres', 'DROP TABLE precious');\n";

/** What the run changed on the server and the host, as seen from outside. */
interface World {
  victimRows: unknown[] | string;
  roles: string[];
  autoConf: unknown[];
  victimSessionAlive: boolean;
}

let victimSession: pg.Client | undefined;

/** Undoes whatever a run did, and with `recreate` sets the victims up again. */
async function resetWorld(recreate = true): Promise<void> {
  for (const engine of ["PGlite", "server"]) {
    rmSync(touched(engine), { force: true });
    rmSync(written(engine), { force: true });
  }
  if (!serverUrl) return;
  await victimSession?.end().catch(() => {});
  await withAdmin(async (c) => {
    await c.query(`DROP ROLE IF EXISTS ${EVIL_ROLE}`);
    await c.query("ALTER SYSTEM RESET work_mem");
    await c.query(`DROP DATABASE IF EXISTS ${VICTIM} WITH (FORCE)`);
    if (recreate) await c.query(`CREATE DATABASE ${VICTIM}`);
  });
  if (!recreate) return;
  await withAdmin(async (c) => {
    await c.query("CREATE TABLE precious (v text); INSERT INTO precious VALUES ('gold')");
  }, VICTIM);
  victimSession = new pg.Client({ connectionString: serverUrl, application_name: VICTIM_SESSION });
  victimSession.on("error", () => {});
  await victimSession.connect();
}

async function world(): Promise<World> {
  if (!serverUrl) return { victimRows: [], roles: [], autoConf: [], victimSessionAlive: true };
  const victimRows = await withAdmin(
    async (c) => (await c.query("SELECT v FROM precious")).rows,
    VICTIM,
  ).catch((error: Error) => error.message);
  const autoConf = await withAdmin(
    async (c) =>
      (
        await c.query(
          "SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf' AND name = 'work_mem'",
        )
      ).rows,
  );
  const victimSessionAlive = await victimSession
    ?.query("SELECT 1")
    .then(() => true)
    .catch(() => false);
  return { victimRows, roles: await roleNames(), autoConf, victimSessionAlive: victimSessionAlive ?? false };
}

async function dblinkAvailable(): Promise<boolean> {
  if (!serverUrl) return false;
  return withAdmin(
    async (c) =>
      (await c.query("SELECT 1 FROM pg_available_extensions WHERE name = 'dblink'")).rowCount === 1,
  );
}

interface Run {
  failures: Map<string, { line: number; code?: string; message?: string }>;
  applied: Set<string>;
  text: string;
  scratch?: string;
}

async function run(
  files: Record<string, string>,
  url: string | undefined,
  trustMigrations = false,
  statementTimeoutMs = 20_000,
): Promise<Run> {
  const notes: string[] = [];
  const result = await verify({
    paths: [repo(files)],
    env: {},
    ...(url ? { databaseUrl: url } : {}),
    keepGoing: true,
    statementTimeoutMs,
    ...(trustMigrations ? { trustMigrations } : {}),
    onNote: (line) => notes.push(line),
  });
  const failures = new Map<string, { line: number; code?: string; message?: string }>();
  const applied = new Set<string>();
  for (const m of result.report.sets[0]?.apply.migrations ?? []) {
    const name = m.migration.file.split("/").pop() as string;
    if (m.status === "applied") applied.add(name);
    for (const st of m.statements) {
      if (st.status === "failed")
        failures.set(name, {
          line: st.statement.range.line,
          ...(st.error?.code ? { code: st.error.code } : {}),
          ...(st.error?.message ? { message: st.error.message } : {}),
        });
    }
  }
  const scratch = notes[0]?.match(/pg_index_lint_[0-9]{10}_[0-9a-f]{8}/)?.[0];
  return {
    failures,
    applied,
    text: JSON.stringify(result.findings),
    ...(scratch ? { scratch } : {}),
  };
}

describe.each(engines)("hostile migrations on $name, given a superuser URL", ({ name, url }) => {
  let before: World;
  let result: Run;
  beforeAll(async () => {
    await resetWorld();
    before = await world();
    result = await run(attempts(name), url);
  });
  afterAll(() => resetWorld(false), 60_000);

  const server = Boolean(url);
  const expectRefused = (file: string, line = 1) => {
    const failure = result.failures.get(file);
    expect(failure, file).toBeDefined();
    expect(failure?.line).toBe(line);
    if (server) {
      expect(failure?.code).toBe("42501");
      expect(failure?.message).toContain("--trust-migrations applies them as");
    }
  };

  it("DROP DATABASE of another database: refused; the other database and its row are still there", async () => {
    if (server) expectRefused("01_drop_other_database.sql");
    expect((await world()).victimRows).toEqual(before.victimRows);
    if (serverUrl) expect((await world()).victimRows).toEqual([{ v: "gold" }]);
  });

  it("ALTER SYSTEM: refused; postgresql.auto.conf is unchanged", async () => {
    if (server) expectRefused("02_alter_system.sql");
    expect((await world()).autoConf).toEqual([]);
  });

  it("CREATE ROLE … SUPERUSER: refused; the server has exactly the roles it had", async () => {
    if (server) expectRefused("03_create_superuser.sql");
    expect((await world()).roles).toEqual(before.roles);
  });

  it("COPY … TO PROGRAM 'touch …': refused; the file was not created on the host", async () => {
    if (server) expectRefused("04_copy_to_program.sql");
    else {
      // PGlite runs no programs: the statement "succeeds" inside the instance. Its popen leaves
      // the instance unable to answer a later extended-protocol query (it hangs until the statement
      // timeout stops it), hence a run of its own, last in the file.
      const alone = await run({ "01_copy_to_program.sql": copyToProgram(name) }, undefined, false, 3_000);
      expect(alone.applied).toContain("01_copy_to_program.sql");
    }
    expect(existsSync(touched(name))).toBe(false);
  });

  it("pg_read_file('/etc/passwd'), COPY FROM it, lo_import, file_fdw: refused; none of its contents in the result", () => {
    if (server) {
      expectRefused("05_read_host_file.sql");
      expectRefused("07_copy_from_host_file.sql", 2);
      expectRefused("08_lo_import.sql");
      expectRefused("10_file_fdw.sql");
    } else {
      // PGlite's file system is its own: the host's /etc/passwd is not there.
      for (const file of ["05_read_host_file.sql", "07_copy_from_host_file.sql", "08_lo_import.sql"])
        expect(result.failures.get(file)?.code, file).toBe("58P01");
    }
    expect(result.text).not.toMatch(/root:x?:0:0/);
    expect(result.text).not.toContain("/bin/");
  });

  it("COPY … TO a host file: refused (on PGlite it writes inside the instance); the host has no such file", () => {
    if (server) expectRefused("09_copy_to_host_file.sql");
    expect(existsSync(written(name))).toBe(false);
  });

  it("pg_terminate_backend of another session: refused; that session still answers", async () => {
    if (server) expectRefused("06_terminate_other_session.sql");
    expect((await world()).victimSessionAlive).toBe(true);
  });

  it("ALTER ROLE CURRENT_USER SUPERUSER and SET SESSION AUTHORIZATION postgres: refused", () => {
    if (!server) return;
    expectRefused("11_make_itself_superuser.sql");
    expectRefused("12_become_postgres.sql");
  });

  it("leaves no scratch database or role behind", async () => {
    if (!server) return;
    expect(result.scratch).toBeDefined();
    const suffix = result.scratch?.slice("pg_index_lint_".length) as string;
    expect((await scratchObjects()).filter((o) => o.includes(suffix))).toEqual([]);
  });
});

describe("dblink into another database", () => {
  afterAll(() => resetWorld(false), 60_000);

  it("on PGlite: there is no dblink, and verify says so before running anything", async () => {
    const error = await rejection(run({ "01_dblink.sql": DBLINK }, undefined));
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe(
      'PGlite has no extension "dblink"; run verify against a PostgreSQL server with --database-url',
    );
  });

  it.skipIf(!serverUrl)(
    "on the server (when it has dblink): CREATE EXTENSION is refused; the other database's table is intact",
    async () => {
      if (!(await dblinkAvailable())) {
        console.log("dblink is not available on the test server: nothing to try");
        return;
      }
      await resetWorld();
      const result = await run({ "01_dblink.sql": DBLINK }, serverUrl);
      const failure = result.failures.get("01_dblink.sql");
      expect(failure?.line).toBe(1);
      expect(failure?.code).toBe("42501");
      expect(failure?.message).toMatch(/^permission denied to create extension "dblink" \(verify applies/);
      expect((await world()).victimRows).toEqual([{ v: "gold" }]);
    },
    60_000,
  );
});

/**
 * The opt-in, documented: as the URL's superuser, the SQL can reach everything the server can.
 * Each effect is undone after the test, whatever its outcome.
 */
describe.skipIf(!serverUrl)("with trustMigrations: true the SQL runs as the URL's superuser", () => {
  let result: Run;
  let after: World;
  beforeAll(async () => {
    await resetWorld();
    const files = attempts("server");
    result = await run(
      {
        "01_drop_other_database.sql": files["01_drop_other_database.sql"] as string,
        "02_alter_system.sql": files["02_alter_system.sql"] as string,
        "03_create_superuser.sql": files["03_create_superuser.sql"] as string,
        "04_copy_to_program.sql": files["04_copy_to_program.sql"] as string,
        "05_read_host_file.sql": files["05_read_host_file.sql"] as string,
        "06_terminate_other_session.sql": files["06_terminate_other_session.sql"] as string,
      },
      serverUrl,
      true,
    );
    after = await world();
  });
  afterAll(() => resetWorld(false), 60_000);

  it("it can drop another database", () => {
    expect(result.applied).toContain("01_drop_other_database.sql");
    expect(after.victimRows).toMatch(/does not exist/);
  });

  it("it can change the server's configuration (ALTER SYSTEM)", () => {
    expect(result.applied).toContain("02_alter_system.sql");
    expect(after.autoConf).toEqual([{ name: "work_mem", setting: "77MB" }]);
  });

  it("it can create a superuser that outlives the run", () => {
    expect(result.applied).toContain("03_create_superuser.sql");
    expect(after.roles).toContain(EVIL_ROLE);
  });

  it("it can run a program on the database host", () => {
    expect(result.applied).toContain("04_copy_to_program.sql");
    expect(existsSync(touched("server"))).toBe(true);
  });

  it("it can read the host's files, and their contents reach the report", () => {
    expect(result.failures.get("05_read_host_file.sql")?.code).toBe("22P02");
    expect(result.text).toMatch(/root:x?:0:0/);
  });

  it("it can end other sessions", () => {
    expect(result.applied).toContain("06_terminate_other_session.sql");
    expect(after.victimSessionAlive).toBe(false);
  });
});
