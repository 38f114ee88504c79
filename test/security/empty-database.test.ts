/**
 * "Empty" means empty: --use-existing-database accepts a database only when it holds nothing
 * beyond what a new database made from template1 holds, whatever kind of object that is, and a
 * refusal leaves the database exactly as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { openEngine } from "../../src/verify/connect.js";
import {
  beyondTemplate,
  type DatabaseObject,
  describeObjects,
  listContents,
} from "../../src/verify/emptiness.js";
import {
  failOnUnhandledRejections,
  rejection,
  sayWhyServerTestsSkip,
  serverUrl,
  serverWith,
  withAdmin,
} from "./server.js";

sayWhyServerTestsSkip("--use-existing-database");

const role = "pil_sec_nocreatedb";

/** Each kind: what a superuser adds to the database, and what the refusal must name. */
const KINDS: { kind: string; sql: string; names: string }[] = [
  {
    kind: "table with a row",
    sql: "CREATE TABLE customers (id int); INSERT INTO customers VALUES (1)",
    names: "table public.customers",
  },
  {
    kind: "view in another schema",
    sql: "CREATE SCHEMA app; CREATE VIEW app.v AS SELECT 1 AS one",
    names: "view app.v",
  },
  {
    kind: "table in information_schema",
    sql: "CREATE TABLE information_schema.hidden (secret text); INSERT INTO information_schema.hidden VALUES ('s')",
    names: "table information_schema.hidden",
  },
  {
    kind: "table that is a member of an extension",
    sql: "CREATE TABLE ext_member (a int); ALTER EXTENSION plpgsql ADD TABLE ext_member",
    names: "table public.ext_member",
  },
  { kind: "sequence", sql: "CREATE SEQUENCE counter", names: "sequence public.counter" },
  {
    kind: "function",
    sql: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    names: "function public.f()",
  },
  {
    kind: "procedure",
    sql: "CREATE PROCEDURE p() LANGUAGE sql AS 'SELECT 1'",
    names: "procedure public.p()",
  },
  { kind: "composite type", sql: "CREATE TYPE pair AS (a int, b int)", names: "composite type public.pair" },
  { kind: "domain", sql: "CREATE DOMAIN posint AS int CHECK (VALUE > 0)", names: "domain public.posint" },
  { kind: "enum", sql: "CREATE TYPE mood AS ENUM ('ok')", names: "enum type public.mood" },
  { kind: "large object", sql: "SELECT lo_from_bytea(0, 'secret')", names: "large object " },
  { kind: "extension", sql: "CREATE EXTENSION pg_trgm", names: "extension pg_trgm" },
  {
    kind: "event trigger",
    sql: "CREATE FUNCTION evt() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END'; CREATE EVENT TRIGGER et ON ddl_command_start EXECUTE FUNCTION evt()",
    names: "event trigger et",
  },
  { kind: "publication", sql: "CREATE PUBLICATION pub", names: "publication pub" },
  {
    kind: "foreign server",
    sql: "CREATE FOREIGN DATA WRAPPER wrapper; CREATE SERVER srv FOREIGN DATA WRAPPER wrapper",
    names: "server srv",
  },
  {
    kind: "default privileges",
    sql: "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC",
    names: "default acl ",
  },
  { kind: "collation", sql: "CREATE COLLATION c_copy (locale = 'C')", names: "collation public.c_copy" },
  {
    kind: "text search configuration",
    sql: "CREATE TEXT SEARCH CONFIGURATION ts_copy (COPY = simple)",
    names: "text search configuration public.ts_copy",
  },
  {
    kind: "rows added to an initdb table",
    sql: "INSERT INTO information_schema.sql_features VALUES ('X999', 'smuggled', '', '', 'NO', NULL, 'data')",
    names: "rows in information_schema.sql_features that template1 does not have",
  },
];

const databaseFor = (index: number) => `pil_sec_empty_${index}`;

describe.skipIf(!serverUrl)("--use-existing-database", () => {
  failOnUnhandledRejections();
  const empty = "pil_sec_empty_clean";
  const cleanup = () =>
    withAdmin(async (c) => {
      for (let i = 0; i < KINDS.length; i++)
        await c.query(`DROP DATABASE IF EXISTS ${databaseFor(i)} WITH (FORCE)`);
      await c.query(`DROP DATABASE IF EXISTS ${empty} WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS ${role}`);
    });
  beforeAll(async () => {
    await cleanup();
    await withAdmin(async (c) => {
      await c.query(`CREATE ROLE ${role} LOGIN NOCREATEDB NOCREATEROLE`);
      await c.query(`CREATE DATABASE ${empty} OWNER ${role}`);
    });
  });
  afterAll(cleanup);

  it("accepts a database made from template1 with nothing added", async () => {
    const engine = await openEngine({
      databaseUrl: serverWith({ user: role, database: empty }),
      env: {},
      useExistingDatabase: true,
    });
    await engine.close();
  });

  it.each(KINDS.map((k, i) => ({ ...k, i })))(
    "refuses a database holding a $kind, naming it, and leaves the database as it was",
    async ({ sql, names, i }) => {
      const database = databaseFor(i);
      await withAdmin(async (c) => {
        await c.query(`CREATE DATABASE ${database} OWNER ${role}`);
      });
      const before = await withAdmin(async (c) => {
        await c.query(sql);
        return listContents(c);
      }, database);
      const error = await rejection(
        openEngine({
          databaseUrl: serverWith({ user: role, database }),
          env: {},
          useExistingDatabase: true,
        }),
      );
      expect(error).toBeInstanceOf(UserError);
      expect(error.message).toMatch(
        new RegExp(
          `^role "${role}" cannot create databases, and database "${database}" on .* is not empty: it holds `,
        ),
      );
      expect(error.message).toContain(names);
      expect(error.message).toContain("beyond what a new database made from template1 holds");
      // Untouched: the same objects, and the data in them.
      const after = await withAdmin((c) => listContents(c), database);
      expect(after).toEqual(before);
      expect(after.length).toBeGreaterThan(0);
      if (i === 0) {
        const rows = await withAdmin(async (c) => (await c.query("SELECT id FROM customers")).rows, database);
        expect(rows).toEqual([{ id: 1 }]);
      }
    },
    30_000,
  );

  it("reads template1 and a new copy of it as the same objects, by identity", async () => {
    const template = await withAdmin((c) => listContents(c), "template1");
    const copy = await withAdmin((c) => listContents(c), empty);
    expect(copy.map((o) => o.key).sort()).toEqual(template.map((o) => o.key).sort());
  });
});

describe("comparing with the template", () => {
  const object = (kind: string, name: string, standing = 0): DatabaseObject => ({
    kind,
    name,
    standing,
    key: `${kind} ${name}`,
  });

  it("subtracts what template1 holds: an extension installed there is in every new database", () => {
    const postgis = object("extension", "postgis");
    const table = object("table", "public.customers");
    expect(beyondTemplate([postgis, table], [postgis])).toEqual([table]);
  });

  it("without template1, counts every object made after initdb but cannot compare initdb tables' rows", () => {
    const rows = { ...object("rows in", "information_schema.sql_features"), key: "rows in x: 700" };
    const table = object("table", "public.customers");
    expect(beyondTemplate([rows, table], undefined)).toEqual([table]);
  });

  it("names the objects that stand on their own first, and how many there are", () => {
    const found = [
      object("function", "public.similarity(text,text)", 1),
      ...["a", "b", "c", "d", "e", "f"].map((n) => object("table", `public.${n}`)),
    ];
    expect(describeObjects(found)).toBe(
      "table public.a, table public.b, table public.c, table public.d, table public.e, … (6 in all)",
    );
    // An extension member alone (its row type is a part of it): named as the member.
    expect(describeObjects([object("composite type", "public.t", 2), object("table", "public.t", 1)])).toBe(
      "table public.t",
    );
  });
});
