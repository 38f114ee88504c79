import { beforeAll, describe, expect, it } from "vitest";
import { initSqlParser, parseSql } from "../../src/parse/sql.js";
import { Catalog, type IndexDef } from "../../src/schema/catalog.js";
import { parseQualifiedName } from "../../src/schema/names.js";
import { applyStatement } from "../../src/schema/replay.js";

beforeAll(() => initSqlParser());

/** Replays SQL files, one migration each, and returns the catalog. */
function replay(...files: string[]): Catalog {
  const catalog = new Catalog();
  files.forEach((sql, migration) => {
    const parsed = parseSql(sql, `${migration}.sql`);
    expect(parsed.errors).toEqual([]);
    for (const s of parsed.statements) applyStatement(catalog, s.node, { migration, range: s.range });
  });
  return catalog;
}

const indexes = (catalog: Catalog, table: string) =>
  [...(catalog.resolveTable(undefined, table)?.indexes.values() ?? [])].map((i: IndexDef) => i.name).sort();

describe("schema replay", () => {
  it("names constraint indexes as PostgreSQL does", () => {
    const c = replay(
      "CREATE TABLE orders (id int PRIMARY KEY, code text UNIQUE, a int, b int, UNIQUE (a, b), customer_id int REFERENCES customers);",
    );
    expect(indexes(c, "orders")).toEqual(["orders_a_b_key", "orders_code_key", "orders_pkey"]);
    expect([...(c.resolveTable(undefined, "orders")?.foreignKeys.keys() ?? [])]).toEqual([
      "orders_customer_id_fkey",
    ]);
    expect(c.resolveTable(undefined, "orders")?.columns.get("id")?.notNull).toBe(true);
  });

  it("names unnamed indexes with _idx, counting up on collisions, and truncates to 63 bytes", () => {
    const c = replay(
      "CREATE TABLE t (a int, b text);\nCREATE INDEX ON t (a);\nCREATE INDEX ON t (a);\nCREATE INDEX ON t (lower(b));",
      "CREATE TABLE a_table_with_a_really_quite_long_name_that_goes_on_and_on (a_column_with_a_long_name int);\nCREATE INDEX ON a_table_with_a_really_quite_long_name_that_goes_on_and_on (a_column_with_a_long_name);",
    );
    expect(indexes(c, "t")).toEqual(["t_a_idx", "t_a_idx1", "t_lower_idx"]);
    const long = indexes(c, "a_table_with_a_really_quite_long_name_that_goes_on_and_on")[0] ?? "";
    // The name PostgreSQL 15 chose for this statement.
    expect(long).toBe("a_table_with_a_really_quite_long__a_column_with_a_long_name_idx");
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
  });

  it("records method, keys, directions, INCLUDE and predicate", () => {
    const c = replay(
      "CREATE TABLE t (a int, b text, c int);\nCREATE UNIQUE INDEX i ON t USING btree (a DESC NULLS LAST, lower(b) text_pattern_ops) INCLUDE (c) WHERE (c > 0);",
    );
    const index = c.resolveIndex(undefined, "i")?.index;
    expect(index).toMatchObject({
      method: "btree",
      unique: true,
      include: ["c"],
      predicate: "c > 0",
      keys: [
        { column: "a", desc: true, nullsFirst: false },
        { expression: "lower(b)", desc: false, nullsFirst: false, opclass: "text_pattern_ops" },
      ],
    });
  });

  it("turns an index into a constraint with ADD CONSTRAINT … USING INDEX, taking the constraint's name", () => {
    const c = replay(
      "CREATE TABLE u (email text);",
      "CREATE UNIQUE INDEX CONCURRENTLY u_email_idx ON u (email);\nALTER TABLE u ADD CONSTRAINT u_email_key UNIQUE USING INDEX u_email_idx;",
    );
    expect(c.resolveIndex(undefined, "u_email_key")?.index).toMatchObject({
      constraint: "u_email_key",
      unique: true,
      migration: 1,
    });
    expect(c.resolveIndex(undefined, "u_email_idx")).toBeUndefined();
  });

  it("tracks NOT VALID foreign keys and VALIDATE", () => {
    const c = replay(
      "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE k (p_id int);",
      "ALTER TABLE k ADD CONSTRAINT k_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;",
    );
    const fk = () => c.resolveTable(undefined, "k")?.foreignKeys.get("k_p");
    expect(fk()).toMatchObject({ validated: false, refTable: "public.p", refColumns: ["id"] });
    const parsed = parseSql("ALTER TABLE k VALIDATE CONSTRAINT k_p;", "2.sql");
    for (const s of parsed.statements) applyStatement(c, s.node, { migration: 2, range: s.range });
    expect(fk()?.validated).toBe(true);
  });

  it("follows renames of tables, columns, indexes and constraints", () => {
    const c = replay(
      "CREATE TABLE t (a int CONSTRAINT t_a_key UNIQUE, p int REFERENCES t (a));\nCREATE INDEX t_p ON t (p);",
      "ALTER TABLE t RENAME TO u;\nALTER TABLE u RENAME COLUMN a TO b;\nALTER INDEX t_p RENAME TO u_p;\nALTER TABLE u RENAME CONSTRAINT t_a_key TO u_b_key;",
    );
    expect(c.resolveTable(undefined, "t")).toBeUndefined();
    expect(indexes(c, "u")).toEqual(["u_b_key", "u_p"]);
    expect(c.resolveIndex(undefined, "u_b_key")?.index.keys[0]?.column).toBe("b");
    expect(c.resolveTable(undefined, "u")?.foreignKeys.get("t_p_fkey")).toMatchObject({
      refTable: "public.u",
      refColumns: ["b"],
    });
  });

  it("renames a column inside index expressions and predicates, as PostgreSQL's stored definition shows it", () => {
    const c = replay(
      'CREATE TABLE t (a text, "Flag" boolean, keep int);\nCREATE INDEX t_lower ON t (lower(a), keep) WHERE "Flag" AND keep > 0;\nCREATE INDEX t_keep ON t (keep) WHERE a IS NOT NULL;',
      'ALTER TABLE t RENAME COLUMN a TO "Name";\nALTER TABLE t RENAME COLUMN "Flag" TO active;',
    );
    const lower = c.resolveIndex(undefined, "t_lower")?.index;
    expect(lower?.keys.map((k) => k.expression ?? k.column)).toEqual(['lower("Name")', "keep"]);
    expect(lower?.predicate).toBe("active AND keep > 0");
    expect(c.resolveIndex(undefined, "t_keep")?.index.predicate).toBe('"Name" IS NOT NULL');
  });

  it("shows a function of public or pg_catalog unqualified in index keys, as pg_get_indexdef does", () => {
    const c = replay(
      "CREATE TABLE t (a timestamptz, b text);\nCREATE INDEX t_a ON t (public.sort_key(a) DESC, pg_catalog.lower(b));\nCREATE INDEX t_b ON t (other.f(b));",
    );
    expect(c.resolveIndex(undefined, "t_a")?.index.keys.map((k) => k.expression)).toEqual([
      "sort_key(a)",
      "lower(b)",
    ]);
    expect(c.resolveIndex(undefined, "t_b")?.index.keys[0]?.expression).toBe("other.f(b)");
  });

  it("drops indexes and foreign keys with their column, and everything with the table", () => {
    const c = replay(
      "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE t (a int, b int REFERENCES p);\nCREATE INDEX t_a ON t (a);\nCREATE INDEX t_ab ON t (b) WHERE a > 0;\nCREATE INDEX t_b ON t (b);",
      "ALTER TABLE t DROP COLUMN a;",
    );
    expect(indexes(c, "t")).toEqual(["t_b"]);
    const after = replay(
      "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE t (b int REFERENCES p);",
      "DROP TABLE p CASCADE;",
    );
    expect(after.resolveTable(undefined, "t")?.foreignKeys.size).toBe(0);
    expect(after.resolveIndex(undefined, "p_pkey")).toBeUndefined();
  });

  it("honours IF NOT EXISTS and IF EXISTS", () => {
    const c = replay(
      "CREATE TABLE t (a int);\nCREATE INDEX IF NOT EXISTS i ON t (a);\nCREATE INDEX IF NOT EXISTS i ON t (a);\nDROP INDEX IF EXISTS nope;",
    );
    expect(indexes(c, "t")).toEqual(["i"]);
  });

  it("keeps quoted identifiers' case and folds unquoted ones, in SQL and in config names", () => {
    const c = replay(
      'CREATE TABLE "Orders" (id int);\nCREATE TABLE orders (id int);\nCREATE SCHEMA s;\nCREATE TABLE S.Items (ID int);',
    );
    expect([...c.tables.keys()].sort()).toEqual(["public.Orders", "public.orders", "s.items"]);
    expect(c.resolveTable("s", "items")?.columns.has("id")).toBe(true);
    expect(parseQualifiedName('Billing."Invoices"')).toEqual(["billing", "Invoices"]);
    expect(parseQualifiedName('"a""b".C')).toEqual(['a"b', "c"]);
  });

  it("marks an index ON ONLY a partitioned table invalid until a partition index is attached", () => {
    const c = replay(
      "CREATE TABLE m (id int, at date) PARTITION BY RANGE (at);\nCREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nCREATE INDEX m_at ON ONLY m (at);",
    );
    expect(c.resolveIndex(undefined, "m_at")?.index.valid).toBe(false);
    const parsed = parseSql(
      "CREATE INDEX CONCURRENTLY m_2024_at ON m_2024 (at);\nALTER INDEX m_at ATTACH PARTITION m_2024_at;",
      "1.sql",
    );
    for (const s of parsed.statements) applyStatement(c, s.node, { migration: 1, range: s.range });
    expect(c.resolveIndex(undefined, "m_at")?.index.valid).toBe(true);
  });

  it("resolves unqualified names through SET search_path", () => {
    const c = replay(
      "CREATE SCHEMA app;\nSET search_path TO app, public;\nCREATE TABLE t (a int);\nCREATE INDEX i ON t (a);",
    );
    expect(c.resolveTable("app", "t")?.indexes.has("i")).toBe(true);
  });

  it("remembers which migration created each table", () => {
    const c = replay("CREATE TABLE a (id int);", "CREATE TABLE b (id int);");
    expect([c.resolveTable(undefined, "a")?.createdIn, c.resolveTable(undefined, "b")?.createdIn]).toEqual([
      0, 1,
    ]);
  });
});

describe("schema replay of identical constraints", () => {
  it("builds one index for identical PRIMARY KEY and UNIQUE clauses in one CREATE TABLE, as PostgreSQL does", () => {
    expect(indexes(replay("CREATE TABLE p (id int PRIMARY KEY, UNIQUE (id));"), "p")).toEqual(["p_pkey"]);
    expect(indexes(replay("CREATE TABLE p (id int UNIQUE, PRIMARY KEY (id));"), "p")).toEqual(["p_pkey"]);
    expect(indexes(replay("CREATE TABLE p (id int, code text UNIQUE, UNIQUE (code));"), "p")).toEqual([
      "p_code_key",
    ]);
  });
});

describe("schema replay of DO blocks", () => {
  it("replays the static DDL inside DO $$ … $$, as Drizzle writes its foreign keys", () => {
    const c = replay(
      'CREATE TABLE "User" (id uuid PRIMARY KEY);\nCREATE TABLE "Chat" (id uuid PRIMARY KEY, "userId" uuid NOT NULL);',
      'DO $$ BEGIN\n ALTER TABLE "Chat" ADD CONSTRAINT "Chat_userId_User_id_fk" FOREIGN KEY ("userId") REFERENCES "public"."User"("id");\nEXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;\nDO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = \'chat_user\') THEN\n    CREATE INDEX chat_user ON "Chat" ("userId");\n  END IF;\n  EXECUTE \'CREATE INDEX chat_id ON "Chat" (id)\';\nEND $$;',
    );
    expect([...(c.resolveTable(undefined, "Chat")?.foreignKeys.keys() ?? [])]).toEqual([
      "Chat_userId_User_id_fk",
    ]);
    expect(indexes(c, "Chat")).toEqual(["Chat_pkey", "chat_id", "chat_user"]);
  });

  it("leaves a DO block in another language, or with dynamic SQL, alone", () => {
    const c = replay(
      "CREATE TABLE t (a int);",
      "DO LANGUAGE plperl $$ 1; $$;\nDO $$ DECLARE n text := 'i'; BEGIN EXECUTE format('CREATE INDEX %I ON t (a)', n); END $$;",
    );
    expect(indexes(c, "t")).toEqual([]);
  });
});

describe("schema replay agrees with PostgreSQL on forms found in real histories", () => {
  it("ignores a second primary key, which PostgreSQL rejects (a guarded DO block replayed as if its guard passed)", () => {
    const c = replay(
      'CREATE TABLE queues ("offset" int PRIMARY KEY);',
      "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM information_schema.table_constraints WHERE table_name = 'queues' AND constraint_type = 'PRIMARY KEY') THEN ALTER TABLE queues ADD PRIMARY KEY (\"offset\"); END IF; END $$;",
    );
    expect(indexes(c, "queues")).toEqual(["queues_pkey"]);
  });

  it("stores x IN (…) as PostgreSQL does, x = ANY (ARRAY[…])", () => {
    const c = replay(
      "CREATE TABLE f (m int, status text);\nCREATE UNIQUE INDEX u ON f (m) WHERE status IN ('ACCEPTED', 'SELF');",
    );
    expect(c.resolveIndex(undefined, "u")?.index.predicate).toBe("status = ANY (ARRAY['ACCEPTED', 'SELF'])");
  });
});

describe("schema replay of DROP CONSTRAINT … CASCADE", () => {
  it("drops the foreign keys that rely on the dropped key's index", () => {
    const c = replay(
      "CREATE TABLE flags (key text PRIMARY KEY);\nCREATE TABLE variants (id int, flag_key text REFERENCES flags ON DELETE CASCADE);",
      "ALTER TABLE flags DROP CONSTRAINT IF EXISTS flags_pkey CASCADE;\nALTER TABLE flags ADD CONSTRAINT flags_pkey PRIMARY KEY (key);",
    );
    expect(c.resolveTable(undefined, "variants")?.foreignKeys.size).toBe(0);
    expect(indexes(c, "flags")).toEqual(["flags_pkey"]);
  });
});
