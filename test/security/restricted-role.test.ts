/**
 * Migrations run as a throwaway role that can do nothing but own the scratch database, on a
 * connection of its own; --trust-migrations (trustMigrations) runs them as the URL's role.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEngine } from "../../src/verify/connect.js";
import { type Engine, isDatabaseError, type OpenEngineOptions } from "../../src/verify/engine.js";
import {
  databaseExists,
  rejection,
  roleExists,
  sayWhyServerTestsSkip,
  serverUrl,
  serverWith,
  withAdmin,
} from "./server.js";

sayWhyServerTestsSkip("the throwaway role");

async function open(url: string | undefined, options: Partial<OpenEngineOptions> = {}) {
  const lines: string[] = [];
  const engine = await openEngine({
    ...(url ? { databaseUrl: url } : {}),
    env: {},
    onProgress: (line) => lines.push(line),
    ...options,
  });
  return { engine, lines };
}

interface Who {
  current_user: string;
  session_user: string;
  db: string;
}

async function who(engine: Engine, observer = false): Promise<Who> {
  const connection = observer ? engine.observer : engine.main;
  if (!connection) throw new Error("no observer");
  const { rows } = await connection.query<Who>("SELECT current_user, session_user, current_database() AS db");
  return rows[0] as Who;
}

describe("PGlite", () => {
  it("says that it needs no role: it is a separate instance inside the process", async () => {
    const { engine, lines } = await open(undefined);
    await engine.close();
    expect(lines.join("\n")).toContain("embedded PGlite: a separate PostgreSQL instance inside this process");
    expect(lines.join("\n")).toContain("needing no throwaway role");
  });
});

describe.skipIf(!serverUrl)("a superuser URL", () => {
  let engine: Engine;
  let lines: string[];
  let role: string;
  let database: string;
  beforeAll(async () => {
    ({ engine, lines } = await open(serverUrl));
    ({ current_user: role, db: database } = await who(engine));
  });
  afterAll(async () => {
    await engine?.close();
  });

  it("applies the migrations as a throwaway role with no attributes but LOGIN, logged in as itself", async () => {
    expect(role).toMatch(/^pgindexlint_[0-9]{10}_[0-9a-f]{8}$/);
    expect(database).toBe(role.replace(/^pgindexlint_/, "pg_index_lint_"));
    const me = await who(engine);
    // Logged in as the role, not SET ROLE: session_user is the role too, and RESET ROLE changes nothing.
    expect(me.session_user).toBe(role);
    await engine.main.query("RESET ROLE");
    expect((await who(engine)).current_user).toBe(role);
    const error = await rejection(engine.main.query("SET ROLE postgres"));
    expect(isDatabaseError(error) && error.code).toBe("42501");
    const attributes = await withAdmin(
      async (c) =>
        (
          await c.query(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin, rolinherit FROM pg_roles WHERE rolname = $1",
            [role],
          )
        ).rows[0],
    );
    expect(attributes).toEqual({
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolreplication: false,
      rolbypassrls: false,
      rolcanlogin: true,
      rolinherit: true,
    });
    const memberOf = await withAdmin(
      async (c) =>
        (
          await c.query("SELECT roleid::regrole::text FROM pg_auth_members WHERE member = $1::regrole", [
            role,
          ])
        ).rows,
    );
    expect(memberOf).toEqual([]);
  });

  it("makes that role the owner of the scratch database and its public schema, and of nothing else", async () => {
    const { rows } = await engine.main.query(
      `SELECT (SELECT datdba::regrole::text FROM pg_database WHERE datname = current_database()) AS database,
              (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'public') AS public`,
    );
    expect(rows).toEqual([{ database: role, public: role }]);
    const owned = await withAdmin(
      async (c) =>
        (
          await c.query(
            "SELECT classid::regclass::text AS catalog FROM pg_shdepend WHERE refobjid = $1::regrole AND deptype = 'o' ORDER BY 1",
            [role],
          )
        ).rows,
    );
    expect(owned).toEqual([{ catalog: "pg_database" }, { catalog: "pg_namespace" }]);
  });

  it("keeps the URL's role on the lock observer", async () => {
    const observer = await who(engine, true);
    expect(observer.current_user).toBe("postgres");
    expect(observer.db).toBe(database);
  });

  it("names the scratch database and the role in its first line, before anything else", () => {
    expect(lines[0]).toContain(`scratch database ${database} and role ${role} on `);
    expect(lines[0]).toContain("pg-index-lint verify --cleanup");
  });

  it("lets the owner create a trusted extension (pg_trgm) and build on it", async () => {
    await engine.main.exec(
      "CREATE EXTENSION pg_trgm; CREATE TABLE docs (body text); CREATE INDEX docs_trgm ON docs USING gin (body gin_trgm_ops)",
    );
    const { rows } = await engine.main.query("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'");
    expect(rows).toEqual([{ extname: "pg_trgm" }]);
  });

  it("fails a statement that needs more with PostgreSQL's error and a sentence on how to opt in", async () => {
    const error = await rejection(engine.main.query("ALTER SYSTEM SET work_mem = '77MB'"));
    expect(isDatabaseError(error) && error.code).toBe("42501");
    expect(error.message).toBe(
      'permission denied to set parameter "work_mem" (verify applies the migrations as a throwaway role that owns only its scratch database; --trust-migrations applies them as "postgres")',
    );
    const untrusted = await rejection(engine.main.query("CREATE EXTENSION dblink"));
    expect(untrusted.message).toMatch(/^permission denied to create extension "dblink" \(verify applies/);
  });
});

describe.skipIf(!serverUrl)("closing a restricted run", () => {
  it("drops the database and then the role, which settles what the SQL changed about the role", async () => {
    const { engine } = await open(serverUrl);
    const { current_user: role, db } = await who(engine);
    await engine.main.exec(
      "ALTER ROLE CURRENT_USER SET work_mem = '77MB'; ALTER ROLE CURRENT_USER PASSWORD 'chosen by the migration'",
    );
    const settings = () =>
      withAdmin(
        async (c) =>
          (
            await c.query(
              "SELECT setconfig FROM pg_db_role_setting WHERE setrole = (SELECT oid FROM pg_roles WHERE rolname = $1)",
              [role],
            )
          ).rows,
      );
    expect(await settings()).toEqual([{ setconfig: ["work_mem=77MB"] }]);
    await engine.close();
    expect(await databaseExists(db)).toBe(false);
    expect(await roleExists(role)).toBe(false);
    expect(await settings()).toEqual([]);
  });
});

describe.skipIf(!serverUrl)("trustMigrations", () => {
  it("applies the migrations as the URL's role, and says what they can then do", async () => {
    const { engine, lines } = await open(serverUrl, { trustMigrations: true });
    try {
      const me = await who(engine);
      expect(me.current_user).toBe("postgres");
      expect(me.db).toMatch(/^pg_index_lint_[0-9]{10}_[0-9a-f]{8}$/);
      expect(lines[0]).toContain(`scratch database ${me.db} on `);
      expect(lines[1]).toBe(
        '--trust-migrations: the migrations run as "postgres", a superuser, and can do whatever it can on the server',
      );
      const roles = await withAdmin(
        async (c) =>
          (await c.query("SELECT 1 FROM pg_roles WHERE rolname ~ $1", [`^pgindexlint_${me.db.slice(14)}$`]))
            .rowCount,
      );
      expect(roles).toBe(0);
    } finally {
      await engine.close();
    }
  });
});

describe.skipIf(!serverUrl)("roles that are not superusers", () => {
  const createdbOnly = "pil_sec_createdb_only";
  const createrole = "pil_sec_createrole";
  const cleanup = () =>
    withAdmin(async (c) => {
      for (const role of [createdbOnly, createrole]) {
        // Whatever a failed run left that these roles own, then the roles.
        const { rows } = await c.query<{ datname: string }>(
          "SELECT datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = $1)",
          [role],
        );
        for (const { datname } of rows) await c.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${role}`);
      }
    });
  beforeAll(async () => {
    await cleanup();
    await withAdmin(async (c) => {
      await c.query(`CREATE ROLE ${createdbOnly} LOGIN CREATEDB`);
      await c.query(`CREATE ROLE ${createrole} LOGIN CREATEDB CREATEROLE`);
    });
  });
  afterAll(cleanup);

  it("CREATEDB without CREATEROLE: the migrations run as that role, and the first lines say so", async () => {
    const { engine, lines } = await open(serverWith({ user: createdbOnly }));
    try {
      const me = await who(engine);
      expect(me.current_user).toBe(createdbOnly);
      expect(lines[1]).toBe(
        `role "${createdbOnly}" cannot create roles, so the migrations run as "${createdbOnly}" itself and can do whatever it can on the server; with CREATEROLE (or as a superuser) verify runs them as a throwaway role that owns only the scratch database`,
      );
    } finally {
      await engine.close();
    }
  });

  it("CREATEROLE and CREATEDB: a throwaway role too, which the run drops with its database", async () => {
    const { engine } = await open(serverWith({ user: createrole }));
    const { current_user: role, db } = await who(engine);
    try {
      expect(role).toMatch(/^pgindexlint_/);
      expect((await who(engine, true)).current_user).toBe(createrole);
      // The creator can stop the role's statements from outside (it is a member of the role).
      const started = performance.now();
      const cancelled = await rejection(
        (async () => {
          engine.setDeadline(Date.now() + 300);
          await engine.main.query("SELECT pg_sleep(20)");
        })(),
      );
      expect(isDatabaseError(cancelled) && cancelled.code).toBe("57014");
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await engine.close();
    }
    expect(await databaseExists(db)).toBe(false);
    expect(await roleExists(role)).toBe(false);
  });

  it("gives the throwaway role a random password, sent to the server only as a SCRAM verifier", async () => {
    // pg_hba on the test machine trusts local connections, so a login without the password would
    // work here too: this checks what the server stores, not that it asks for it.
    const { engine } = await open(serverUrl);
    const { current_user: role } = await who(engine);
    try {
      const stored = await withAdmin(
        async (c) => (await c.query("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [role])).rows[0],
      );
      expect(String(stored?.rolpassword)).toMatch(/^SCRAM-SHA-256\$4096:/);
    } finally {
      await engine.close();
    }
  });
});
