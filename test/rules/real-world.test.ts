/**
 * Patterns met in real migration folders (a robustness run over 23 public projects) that once
 * gave false findings or wrong fixes.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../../src/check.js";
import { checkRepo, writeRepo } from "../harness.js";

// A Flyway placeholder, built so that it is not mistaken for a template literal.
const placeholder = ["$", "{schema}"].join("");

const rulesOf = async (spec: Parameters<typeof checkRepo>[0]) =>
  (await checkRepo(spec)).findings.map(
    (f) => `${f.file.replace(/^.*\/migrations\//, "")}:${f.line} ${f.rule}`,
  );

describe("real-world patterns", () => {
  it("DDL built at run time (EXECUTE format(…), a concatenation) is an unsupported-construct note, not silence", async () => {
    const result = await checkRepo({
      files:
        "CREATE TABLE t (id int, a int);\n" +
        "DO $$ BEGIN EXECUTE format('CREATE INDEX %I ON t (a)', 't_a'); END $$;\n" +
        "CREATE FUNCTION part(d text) RETURNS void LANGUAGE plpgsql AS $f$ BEGIN EXECUTE 'CREATE TABLE ev_' || d || ' PARTITION OF ev'; END $f$;\n" +
        "DO $$ BEGIN EXECUTE 'CREATE INDEX t_id ON t (id)'; EXECUTE format('SELECT %s', 1); END $$;",
    });
    expect(result.findings.map((f) => `${f.line} ${f.rule}`)).toEqual([
      "2 unsupported-construct",
      "3 unsupported-construct",
    ]);
    expect(result.findings[0]?.message).toMatch(
      /builds SQL at run time \(EXECUTE format\('CREATE INDEX %I ON t \(a\)', 't_a'\)\)/,
    );
    expect(result.findings[0]?.help).toMatch(/-- pg-index-lint-ignore unsupported-construct: <reason>/);
    // The literal EXECUTE on line 4 is replayed: its index exists.
    const catalog = result.sets[0]?.catalog;
    expect(catalog?.resolveTable(undefined, "t")?.indexes.has("t_id")).toBe(true);
  });

  it("DROP VIEW … CASCADE drops the materialized views that read it: re-created, they are new", async () => {
    const found = await rulesOf({
      files: {
        "001.sql":
          "CREATE TABLE u (id int);\nCREATE VIEW uv AS SELECT * FROM u;\nCREATE MATERIALIZED VIEW um AS SELECT * FROM uv;\nCREATE MATERIALIZED VIEW um2 AS SELECT * FROM um;\nCREATE MATERIALIZED VIEW other AS SELECT * FROM u;\n",
        "002.sql":
          "DROP VIEW uv CASCADE;\nCREATE VIEW uv AS SELECT * FROM u;\nCREATE MATERIALIZED VIEW um AS SELECT * FROM uv;\nCREATE UNIQUE INDEX um_id ON um (id);\nCREATE MATERIALIZED VIEW um2 AS SELECT * FROM um;\nCREATE UNIQUE INDEX um2_id ON um2 (id);\nCREATE UNIQUE INDEX other_id ON other (id);\n",
      },
    });
    // um and um2 (which reads um) went with the CASCADE; `other` reads u, not uv, and stays existing.
    expect(found).toEqual(["002.sql:7 require-concurrent-index-creation"]);
  });

  it("gives no note for run-time ALTER TABLE that only sets storage, persistence, triggers or CHECK constraints", async () => {
    const result = await checkRepo({
      files:
        "CREATE TABLE t (id int, a int);\n" +
        "CREATE FUNCTION tune(p text) RETURNS void LANGUAGE plpgsql AS $f$ BEGIN\n" +
        "  EXECUTE format('ALTER TABLE %I SET (autovacuum_vacuum_scale_factor = ''0.1'', fillfactor = %s)', p, 90);\n" +
        "  EXECUTE format('ALTER TABLE %s SET LOGGED', p);\n" +
        "  EXECUTE 'ALTER TABLE ' || quote_ident(p) || ' DISABLE TRIGGER ALL';\n" +
        "  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (a IS NOT NULL AND a >= %L)', p, p || '_chk', 1);\n" +
        "END $f$;\n" +
        "CREATE FUNCTION grow(p text) RETURNS void LANGUAGE plpgsql AS $f$ BEGIN\n" +
        "  EXECUTE format('ALTER TABLE %I SET (fillfactor = 90), ADD CONSTRAINT %I UNIQUE (a)', p, p || '_key');\n" +
        "  EXECUTE format('ALTER TABLE t ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', p, 1, 2);\n" +
        "END $f$;",
    });
    expect(result.findings.map((f) => `${f.line} ${f.rule}`)).toEqual([
      "8 unsupported-construct",
      "8 unsupported-construct",
    ]);
    expect(result.findings.map((f) => f.message)).toEqual([
      expect.stringMatching(/ADD CONSTRAINT %I UNIQUE/),
      expect.stringMatching(/ATTACH PARTITION/),
    ]);
  });

  it("a statement PostgreSQL rejects fails its whole transaction: nothing else in the file is applied", async () => {
    // golang-migrate sends the file as one string: the CONCURRENTLY build fails the CREATE TABLE too,
    // so there is no table whose foreign key could lack an index.
    expect(
      await rulesOf({
        runner: "golang-migrate",
        files: {
          "1_p.up.sql": "CREATE TABLE products (id int PRIMARY KEY);",
          "2_b.up.sql":
            "CREATE TABLE batches (id int, product_id int REFERENCES products);\nCREATE INDEX CONCURRENTLY batches_product ON batches (product_id);",
        },
      }),
    ).toEqual(["2_b.up.sql:2 ban-concurrent-index-creation-in-transaction"]);
    // Under psql -f only the BEGIN block fails; the statements before it stay.
    expect(
      await rulesOf({
        files: {
          "001.sql": "CREATE TABLE products (id int PRIMARY KEY);",
          "002.sql":
            "CREATE TABLE batches (id int, product_id int REFERENCES products);\nBEGIN;\nCREATE INDEX CONCURRENTLY batches_product ON batches (product_id);\nCOMMIT;",
        },
      }),
    ).toEqual(["002.sql:3 ban-concurrent-index-creation-in-transaction", "002.sql:1 unindexed-foreign-key"]);
  });

  it("a table made by CREATE TABLE … AS or SELECT … INTO is new in its file", async () => {
    expect(
      await rulesOf({
        files:
          "CREATE TABLE src (a int, b int);\nCREATE TABLE dst AS SELECT a, b FROM src;\nALTER TABLE dst ADD PRIMARY KEY (a);\nCREATE INDEX dst_b_idx ON dst (b);\nSELECT a INTO dst2 FROM src;\nCREATE INDEX ON dst2 (a);",
      }),
    ).toEqual([]);
  });

  it("a partial index WHERE child.fk IS NOT NULL, qualified with the table, covers the foreign key", async () => {
    expect(
      await rulesOf({
        files:
          "CREATE TABLE parent (id int PRIMARY KEY);\nCREATE TABLE child (id int, parent_id int REFERENCES parent);\nCREATE INDEX i ON child (parent_id) WHERE child.parent_id IS NOT NULL;",
      }),
    ).toEqual([]);
  });

  it("CREATE INDEX IF NOT EXISTS of an index that exists builds nothing", async () => {
    expect(
      await rulesOf({
        files: {
          "001.sql": "CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);",
          "002.sql": "CREATE INDEX IF NOT EXISTS t_a ON t (a);",
        },
      }),
    ).toEqual([]);
  });

  it("offers no in-place CONCURRENTLY fix inside a multi-statement golang-migrate file: the fix is a new file after it", async () => {
    const result = await checkRepo({
      runner: "golang-migrate",
      files: {
        "1_t.up.sql": "CREATE TABLE t (a int, b int);",
        "2_i.up.sql": "ALTER TABLE t ADD c int;\nCREATE INDEX i ON t (a);",
      },
    });
    const finding = result.findings.find((f) => f.rule === "require-concurrent-index-creation");
    // Not in place: the statement leaves the file, and a new file after it holds it alone.
    expect(finding?.fix?.replacement).toBe("");
    expect(finding?.fix?.edits?.map((e) => [e.file.split("/").pop(), e.create, e.text])).toEqual([
      ["3_i_concurrently.up.sql", true, "CREATE INDEX CONCURRENTLY i ON t (a);\n"],
    ]);
    expect(finding?.help).toMatch(
      /runs in a transaction \(golang-migrate.*one string.*\), where CONCURRENTLY fails/,
    );
  });

  it("reads Flyway placeholders as identifiers instead of failing to parse", async () => {
    expect(
      await rulesOf({
        runner: "flyway",
        files: {
          "V1__t.sql": `CREATE TABLE ${placeholder}.t (a int);`,
          "V2__ff.sql": `ALTER TABLE ${placeholder}.t SET (fillfactor = 90);\nCREATE INDEX i ON ${placeholder}.t (a);`,
        },
      }),
    ).toEqual(["V2__ff.sql:2 require-concurrent-index-creation"]);
  });

  it("reports only the file given as the target, after replaying its whole folder", async () => {
    const root = writeRepo({
      files: {
        "001.sql": "CREATE TABLE t (a int);",
        "002.sql": "CREATE INDEX i ON t (a);",
        "003.sql": "CREATE INDEX j ON t (a);",
      },
    });
    const result = await check({ paths: [`${root}/migrations/003.sql`] });
    expect(result.findings.map((f) => `${f.file.split("/").pop()}:${f.rule}`)).toEqual([
      "003.sql:require-concurrent-index-creation",
      "003.sql:duplicate-index",
    ]);
  });
});

describe("DDL inside DO blocks", () => {
  it("is checked by the statement rules, located at the DO statement, with no text fix", async () => {
    const result = await checkRepo({
      files: {
        "001.sql": "CREATE TABLE artifact (id int, digest text);",
        "002.sql":
          "-- guarded, as hand-written migrations do\nDO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'u') THEN\n    ALTER TABLE artifact ADD CONSTRAINT u UNIQUE (id, digest);\n  END IF;\n  CREATE INDEX artifact_digest ON artifact (digest);\nEND $$;",
      },
    });
    expect(
      result.findings.map((f) => [f.rule, f.file.split("/").pop(), f.line, f.fix === undefined]),
    ).toEqual([
      ["constraint-builds-index", "002.sql", 2, true],
      ["require-concurrent-index-creation", "002.sql", 2, true],
    ]);
  });

  it("knows a table created earlier in the same DO block is new", async () => {
    expect(
      await rulesOf({
        files: "DO $$ BEGIN\n  CREATE TABLE t (a int);\n  CREATE INDEX t_a ON t (a);\nEND $$;",
      }),
    ).toEqual([]);
  });
});

describe("the schema a history starts from", () => {
  const dump = [
    "-- a pg_dump --schema-only, with what pg_dump writes around the DDL",
    "\\restrict 4Xk9",
    "SET statement_timeout = 0;",
    "SELECT pg_catalog.set_config('search_path', '', false);",
    "CREATE TABLE public.users (id bigint NOT NULL, email text);",
    "ALTER TABLE ONLY public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);",
    "CREATE INDEX users_email_idx ON public.users USING btree (email);",
    "\\unrestrict 4Xk9",
  ].join("\n");
  const migrations = {
    "001.sql":
      "CREATE INDEX users_email_lower ON users (lower(email));\nCREATE INDEX users_email_again ON users (email);",
  };

  it("without base: the table no migration creates is an unknown-table warning, once", async () => {
    expect(await rulesOf({ files: migrations })).toEqual([
      "001.sql:1 require-concurrent-index-creation",
      "001.sql:2 require-concurrent-index-creation",
      "001.sql:1 unknown-table",
    ]);
  });

  it("an unknown table after SQL built at run time names that SQL as a possible maker, not only a missing base", async () => {
    const result = await checkRepo({
      files: {
        "001.sql":
          "CREATE FUNCTION parts(p text) RETURNS void LANGUAGE plpgsql AS $f$ BEGIN EXECUTE format('CREATE TABLE %I (id int)', p || '_0'); END $f$;\nSELECT parts('ev');\n",
        "002.sql": "ALTER TABLE ev_0 ADD COLUMN x int;\n",
      },
    });
    const unknown = result.findings.filter((f) => f.rule === "unknown-table");
    expect(unknown.map((f) => [f.file.split("/").pop(), f.line])).toEqual([["002.sql", 1]]);
    expect(unknown[0]?.message).toMatch(
      /SQL built at run time \(from \S*migrations\/001\.sql:1 on\) may make it/,
    );
  });

  it("the runner's own history table is never an unknown table", async () => {
    const history: [string, string, string][] = [
      ["golang-migrate", "1_a.up.sql", "schema_migrations"],
      ["flyway", "V1__a.sql", "flyway_schema_history"],
      ["goose", "00001_a.sql", "goose_db_version"],
      ["prisma", "20240101000000_a/migration.sql", "_prisma_migrations"],
    ];
    for (const [runner, file, table] of history) {
      const body = `ALTER TABLE ${table} ADD COLUMN data_version int;\nALTER TABLE other ADD COLUMN x int;\n`;
      const text = runner === "goose" ? `-- +goose Up\n${body}` : body;
      const found = await rulesOf({ runner, files: { [file]: text } });
      const line = runner === "goose" ? 3 : 2;
      expect(found, runner).toEqual([`${file}:${line} unknown-table`]);
    }
  });

  it("with base: a SQL file, the replay knows the table and its indexes; psql meta-commands are skipped", async () => {
    const root = writeRepo({
      files: migrations,
      config: { migrations: [{ path: "migrations", base: "schema.sql" }] },
    });
    writeFileSync(join(root, "schema.sql"), dump);
    const result = await check({ paths: [root] });
    expect(result.findings.map((f) => `${f.file.split("/").pop()}:${f.line} ${f.rule}`)).toEqual([
      "001.sql:1 require-concurrent-index-creation",
      "001.sql:2 require-concurrent-index-creation",
      "001.sql:2 duplicate-index",
    ]);
    expect(result.findings.find((f) => f.rule === "duplicate-index")?.message).toMatch(
      /duplicates "users_email_idx"/,
    );
  });

  it("with base: { models: true }, the models' tables are there before the first revision", async () => {
    const root = writeRepo({
      files: migrations,
      models: {
        "users.py":
          'from sqlalchemy import Column, BigInteger, Text\nfrom sqlalchemy.orm import declarative_base\nBase = declarative_base()\n\nclass User(Base):\n    __tablename__ = "users"\n    id = Column(BigInteger, primary_key=True)\n    email = Column(Text)\n',
      },
      config: {
        migrations: [{ path: "migrations", base: { models: true } }],
        models: [{ path: "models", orm: "sqlalchemy" }],
      },
    });
    const result = await check({ paths: [root] });
    expect(result.findings.filter((f) => f.rule === "unknown-table")).toEqual([]);
    expect(result.findings.filter((f) => f.rule === "require-concurrent-index-creation")).toHaveLength(2);
  });
});
