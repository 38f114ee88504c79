/**
 * verify on real engines: PGlite always, and the server in PG_INDEX_LINT_TEST_DATABASE_URL too.
 * One engine per engine kind serves every fixture; the schema is reset between fixtures.
 */
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckResult, check } from "../../src/check.js";
import { applySet } from "../../src/verify/apply.js";
import { compareCatalogs } from "../../src/verify/compare.js";
import { openEngine } from "../../src/verify/connect.js";
import type { Engine } from "../../src/verify/engine.js";
import { readLiveCatalog } from "../../src/verify/live-catalog.js";
import { replayApplied } from "../../src/verify/verify.js";
import { type RepoSpec, writeRepo } from "../harness.js";
import { examplesOf } from "../rules/doc-examples.js";
import { engineCases, SERVER_SKIPPED, serverUrl } from "../server.js";

const engines = engineCases({ url: undefined as string | undefined }, (url) => ({ url }));
it.skipIf(serverUrl)(`applies every fixture on a server too (${SERVER_SKIPPED})`, () => {});

/** Drops every user schema and recreates public: a clean database in milliseconds. */
async function reset(engine: Engine): Promise<void> {
  const { rows } = await engine.main.query<{ name: string }>(
    "SELECT nspname AS name FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%'",
  );
  for (const { name } of rows) await engine.main.query(`DROP SCHEMA "${name}" CASCADE`);
  await engine.main.query("CREATE SCHEMA public");
}

async function applyChecked(engine: Engine, checked: CheckResult) {
  await reset(engine);
  const set = checked.sets[0];
  if (!set) throw new Error("no migrations");
  const applied = await applySet(engine, set);
  const live = await readLiveCatalog(engine.main);
  return { applied, differences: compareCatalogs(replayApplied(applied), live), live };
}

async function applySpec(engine: Engine, spec: RepoSpec) {
  return applyChecked(engine, await check({ paths: [writeRepo(spec)], keepSyntaxTrees: true }));
}

const where = (checked: { applied: Awaited<ReturnType<typeof applySet>> }) => {
  const f = checked.applied.failure;
  return f ? `${f.statement.range.file.split("/").pop()}:${f.statement.range.line} ${f.error?.code}` : null;
};

describe.each(engines)("verify on $name", ({ url }) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await openEngine({
      ...(url ? { databaseUrl: url } : {}),
      env: {},
      extensions: ["pg_trgm", "citext"],
    });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it("fails the seed's BEGIN; CREATE INDEX CONCURRENTLY block with 25001 at its line, and stops there", async () => {
    const result = await applyChecked(
      engine,
      await check({ paths: ["examples/factory-service"], keepSyntaxTrees: true }),
    );
    expect(where(result)).toBe("004_add_database_indexes.sql:4 25001");
    expect(result.applied.migrations.map((m) => m.status)).toEqual([
      "applied",
      "applied",
      "applied",
      "failed",
      "not-reached",
    ]);
    expect(result.differences).toEqual([]);
  });

  describe("each runner's transaction semantics, where check predicted", () => {
    const table = "CREATE TABLE t (id int PRIMARY KEY, c int);\n";
    const dbmate = (up: string, flags = "") => `-- migrate:up${flags}\n${up}\n-- migrate:down\nSELECT 1;\n`;
    const cases: { name: string; spec: RepoSpec; fails: string | null }[] = [
      {
        name: "golang-migrate: two statements, one concurrent → 25001 at the concurrent one",
        spec: {
          runner: "golang-migrate",
          files: {
            "1_t.up.sql": table,
            "2_i.up.sql": "ALTER TABLE t ADD d int;\nCREATE INDEX CONCURRENTLY i ON t (c);\n",
          },
        },
        fails: "2_i.up.sql:2 25001",
      },
      {
        name: "golang-migrate: a single concurrent statement → applied",
        spec: {
          runner: "golang-migrate",
          files: { "1_t.up.sql": table, "2_i.up.sql": "CREATE INDEX CONCURRENTLY i ON t (c);\n" },
        },
        fails: null,
      },
      {
        name: "dbmate without transaction:false → 25001",
        spec: {
          runner: "dbmate",
          files: {
            "20240101000000_t.sql": dbmate(table),
            "20240102000000_i.sql": dbmate("CREATE INDEX CONCURRENTLY i ON t (c);"),
          },
        },
        fails: "20240102000000_i.sql:2 25001",
      },
      {
        name: "dbmate with transaction:false → applied",
        spec: {
          runner: "dbmate",
          files: {
            "20240101000000_t.sql": dbmate(table),
            "20240102000000_i.sql": dbmate("CREATE INDEX CONCURRENTLY i ON t (c);", " transaction:false"),
          },
        },
        fails: null,
      },
      {
        name: "goose: a file in its own transaction → 25001; with NO TRANSACTION → applied",
        spec: {
          runner: "goose",
          files: {
            "1_t.sql": `-- +goose Up\n${table}-- +goose Down\nDROP TABLE t;\n`,
            "2_i.sql":
              "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (c);\n-- +goose Down\nDROP INDEX i;\n",
            "3_j.sql": "-- +goose Up\nCREATE INDEX CONCURRENTLY j ON t (id, c);\n",
          },
        },
        fails: "3_j.sql:2 25001",
      },
      {
        name: "drizzle: every pending migration in one transaction → 25001",
        spec: {
          runner: "drizzle",
          files: { "0000_t.sql": table, "0001_i.sql": "CREATE INDEX CONCURRENTLY i ON t (c);" },
        },
        fails: "0001_i.sql:1 25001",
      },
      {
        name: "prisma before 7.4: a multi-statement file is one implicit transaction → 25001",
        spec: {
          runner: "prisma",
          version: "6.19.0",
          files: {
            "20240101000000_t/migration.sql": table,
            "20240102000000_i/migration.sql":
              "ALTER TABLE t ADD d int;\nCREATE INDEX CONCURRENTLY i ON t (c);",
          },
        },
        fails: "migration.sql:2 25001",
      },
      {
        name: "flyway: a file of one concurrent statement → applied",
        spec: {
          runner: "flyway",
          files: { "V1__t.sql": table, "V2__i.sql": "CREATE INDEX CONCURRENTLY i ON t (c);" },
        },
        fails: null,
      },
      {
        name: "diesel: up.sql in Diesel's transaction → 25001",
        spec: {
          runner: "diesel",
          files: {
            "2024-01-01-000000_t/up.sql": table,
            "2024-01-02-000000_i/up.sql": "CREATE INDEX CONCURRENTLY i ON t (c);",
          },
        },
        fails: "up.sql:1 25001",
      },
      {
        name: "diesel: run_in_transaction = false and one statement → applied",
        spec: {
          runner: "diesel",
          files: {
            "2024-01-01-000000_t/up.sql": table,
            "2024-01-02-000000_i/up.sql": "CREATE INDEX CONCURRENTLY i ON t (c);",
            "2024-01-02-000000_i/metadata.toml": "run_in_transaction = false\n",
          },
        },
        fails: null,
      },
      {
        name: "diesel: run_in_transaction = false but two statements, sent as one string → 25001",
        spec: {
          runner: "diesel",
          files: {
            "2024-01-01-000000_t/up.sql": table,
            "2024-01-02-000000_i/up.sql": "ALTER TABLE t ADD d int;\nCREATE INDEX CONCURRENTLY i ON t (c);",
            "2024-01-02-000000_i/metadata.toml": "run_in_transaction = false\n",
          },
        },
        fails: "up.sql:2 25001",
      },
      {
        name: "sqlx: a migration in sqlx's transaction → 25001; with -- no-transaction → applied",
        spec: {
          runner: "sqlx",
          files: {
            "1_t.sql": table,
            "2_i.sql": "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);\n",
            "3_j.up.sql": "CREATE INDEX CONCURRENTLY j ON t (id, c);\n",
            "3_j.down.sql": "DROP INDEX j;\n",
          },
        },
        fails: "3_j.up.sql:1 25001",
      },
      {
        name: "supabase: a leading CONCURRENTLY statement runs on its own → applied",
        spec: {
          runner: "supabase",
          files: {
            "20240101000000_t.sql": table,
            "20240102000000_i.sql": "CREATE INDEX CONCURRENTLY i ON t (c);\nALTER TABLE t ADD d int;\n",
          },
        },
        fails: null,
      },
      {
        name: "supabase: CONCURRENTLY after another statement of the pipeline → 25001",
        spec: {
          runner: "supabase",
          files: {
            "20240101000000_t.sql": table,
            "20240102000000_i.sql": "ALTER TABLE t ADD d int;\nCREATE INDEX CONCURRENTLY i ON t (d);\n",
          },
        },
        fails: "20240102000000_i.sql:2 25001",
      },
      {
        name: "psql -f: COMMIT AND CHAIN keeps the block open → 25001 at the concurrent statement",
        spec: {
          files: {
            "001.sql": table,
            "002.sql":
              "BEGIN;\nALTER TABLE t ADD d int;\nCOMMIT AND CHAIN;\nCREATE INDEX CONCURRENTLY i ON t (c);\nCOMMIT;",
          },
        },
        fails: "002.sql:4 25001",
      },
      {
        name: "psql -f: a concurrent statement after COMMIT → applied",
        spec: {
          files: {
            "001.sql": table,
            "002.sql": "BEGIN;\nALTER TABLE t ADD d int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (c);",
          },
        },
        fails: null,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const checked = await check({ paths: [writeRepo(c.spec)], keepSyntaxTrees: true });
        const predicted = checked.findings.filter(
          (f) => f.rule === "ban-concurrent-index-creation-in-transaction",
        );
        const result = await applyChecked(engine, checked);
        expect(where(result)).toBe(c.fails);
        // check predicted exactly this statement.
        expect(predicted.map((f) => `${f.file.split("/").pop()}:${f.line} 25001`)).toEqual(
          c.fails ? [c.fails] : [],
        );
        expect(result.differences).toEqual([]);
      });
    }
  });

  it("rolls back the chained block a failure leaves open, so --keep-going applies the next file", async () => {
    const checked = await check({
      paths: [
        writeRepo({
          files: {
            "001.sql": "CREATE TABLE t (id int PRIMARY KEY, c int);",
            "002.sql": "BEGIN;\nCOMMIT AND CHAIN;\nCREATE INDEX CONCURRENTLY i ON t (c);\nCOMMIT;",
            "003.sql": "CREATE TABLE u (id int);",
          },
        }),
      ],
      keepSyntaxTrees: true,
    });
    await reset(engine);
    const set = checked.sets[0];
    if (!set) throw new Error("no migrations");
    const applied = await applySet(engine, set, { keepGoing: true });
    expect(
      applied.failures.map(
        (f) => `${f.statement.range.file.split("/").pop()}:${f.statement.range.line} ${f.error?.code}`,
      ),
    ).toEqual(["002.sql:3 25001"]);
    expect(applied.migrations.map((m) => m.status)).toEqual(["applied", "failed", "applied"]);
  });

  it("records the locks each statement took, as PostgreSQL reports them", async () => {
    const result = await applySpec(engine, {
      files: {
        "001.sql": "CREATE TABLE t (id int PRIMARY KEY, c int);",
        "002.sql":
          "CREATE INDEX i ON t (c);\nALTER TABLE t ADD COLUMN d int;\nCREATE INDEX CONCURRENTLY j ON t (d);",
      },
    });
    const locks = result.applied.migrations[1]?.statements.map((s) =>
      s.locks.filter((l) => l.relation === "t").map((l) => `${l.mode}${l.preexisting ? "" : " new"}`),
    );
    expect(locks?.[0]).toEqual(["ShareLock"]);
    expect(locks?.[1]).toEqual(["AccessExclusiveLock"]);
    expect(locks?.[2]).toContain("ShareUpdateExclusiveLock");
  });

  describe("a file sent as one string is traced statement by statement", () => {
    const prisma = (files: Record<string, string>) => ({ runner: "prisma", version: "6.19.0", files });
    const table = "CREATE TABLE t (id int PRIMARY KEY, c int);";
    const locksOf = (st: { locks: { relation: string; mode: string; preexisting: boolean }[] }) =>
      st.locks
        .filter((l) => l.relation === "t" || l.relation === "u")
        .map((l) => `${l.relation} ${l.mode}${l.preexisting ? "" : " new"}`);

    it("gives each statement its own locks and time", async () => {
      const result = await applySpec(
        engine,
        prisma({
          "20240101000000_t/migration.sql": table,
          "20240102000000_u/migration.sql":
            "CREATE TABLE u (id int PRIMARY KEY);\nALTER TABLE t ADD COLUMN d int;\nCREATE INDEX t_d ON t (d);",
        }),
      );
      const statements = result.applied.migrations[1]?.statements ?? [];
      expect(statements.map((st) => st.status)).toEqual(["applied", "applied", "applied"]);
      // Before, the whole file's locks landed on its first statement.
      expect(statements.map(locksOf)).toEqual([
        ["u ShareLock new", "u AccessExclusiveLock new"],
        ["t AccessExclusiveLock"],
        ["t ShareLock"],
      ]);
      expect(statements.every((st) => st.durationMs > 0)).toBe(true);
    });

    it("reports a failure at the statement that failed, and rolls the file back", async () => {
      const result = await applySpec(
        engine,
        prisma({
          "20240101000000_t/migration.sql": `${table}\nCREATE INDEX t_c ON t (c);`,
          "20240102000000_u/migration.sql":
            "CREATE TABLE u (id int PRIMARY KEY);\nALTER TABLE t ADD COLUMN d int;\nCREATE INDEX t_c ON t (d);\nCREATE TABLE v (id int);",
        }),
      );
      expect(where(result)).toBe("migration.sql:3 42P07");
      expect(result.applied.migrations[1]?.statements.map((st) => st.status)).toEqual([
        "rolled-back",
        "rolled-back",
        "failed",
        "not-reached",
      ]);
      expect(result.live.resolveTable(undefined, "u")).toBeUndefined();
      expect(result.differences).toEqual([]);
    });

    it("keeps PostgreSQL's 25001 and its message for CONCURRENTLY, and runs a lone one outside a block", async () => {
      const result = await applySpec(
        engine,
        prisma({
          "20240101000000_t/migration.sql": table,
          "20240102000000_i/migration.sql": "CREATE INDEX CONCURRENTLY t_c ON t (c);",
          "20240103000000_j/migration.sql":
            "ALTER TABLE t ADD d int;\nCREATE INDEX CONCURRENTLY t_d ON t (d);",
        }),
      );
      expect(where(result)).toBe("migration.sql:2 25001");
      expect(result.applied.failure?.error?.message).toBe(
        "CREATE INDEX CONCURRENTLY cannot run inside a transaction block",
      );
      expect(result.applied.migrations.map((m) => m.status)).toEqual(["applied", "applied", "failed"]);
    });

    it("follows the file's own COMMIT: the statements after it are the string's next block", async () => {
      const result = await applySpec(engine, {
        runner: "golang-migrate",
        files: {
          "1_t.up.sql": table,
          "2_u.up.sql":
            "BEGIN;\nALTER TABLE t ADD d int;\nCOMMIT;\nCREATE TABLE u (id int);\nCREATE INDEX CONCURRENTLY t_d ON t (d);",
        },
      });
      expect(where(result)).toBe("2_u.up.sql:5 25001");
      expect(result.applied.migrations[1]?.statements.map((st) => st.status)).toEqual([
        "applied",
        "applied",
        "applied",
        "rolled-back",
        "failed",
      ]);
      expect(result.live.resolveTable(undefined, "t")?.columns.has("d")).toBe(true);
      expect(result.live.resolveTable(undefined, "u")).toBeUndefined();
      expect(result.differences).toEqual([]);
    });
  });

  describe("static and live catalogs agree", () => {
    const pages = readdirSync("rules").filter((f) => f.endsWith(".md"));
    const fixtures: { name: string; spec: RepoSpec }[] = pages.flatMap((page) =>
      examplesOf(readFileSync(`rules/${page}`, "utf8"))
        // Models-only examples have no migrations to apply.
        .filter((e) => typeof e.spec.files === "string" || Object.keys(e.spec.files).length > 0)
        .map((e) => ({ name: `${page}:${e.line}`, spec: e.spec })),
    );
    fixtures.push({
      name: "a schema exercising the replay",
      spec: {
        files: {
          "001.sql":
            'CREATE SCHEMA billing;\nCREATE TABLE billing."Invoices" (id bigint PRIMARY KEY, code text UNIQUE, a int, b int, UNIQUE (a, b), status text);\nCREATE TABLE items (id int, invoice_id bigint REFERENCES billing."Invoices", sku text, qty int, PRIMARY KEY (invoice_id, id));\nCREATE INDEX ON items (lower(sku) text_pattern_ops) INCLUDE (qty) WHERE status IS NULL OR qty > 0;',
          "002.sql":
            'ALTER TABLE items RENAME COLUMN sku TO product_sku;\nALTER INDEX items_lower_idx RENAME TO items_sku_lower;\nCREATE UNIQUE INDEX CONCURRENTLY items_qty_key ON items (qty DESC NULLS LAST);\nALTER TABLE items ADD CONSTRAINT items_qty_key UNIQUE USING INDEX items_qty_key;\nALTER TABLE billing."Invoices" RENAME TO invoices;\nCREATE TABLE m (id int, at date) PARTITION BY RANGE (at);\nCREATE INDEX m_at ON ONLY m (at);\nCREATE TABLE snapshot AS SELECT id, qty FROM items;\nCREATE INDEX ON snapshot (qty);',
        },
      },
    });
    fixtures.push({
      name: "DDL inside DO blocks (Drizzle's foreign keys, guarded indexes)",
      spec: {
        files: {
          "001.sql":
            'CREATE TABLE "User" (id uuid PRIMARY KEY);\nCREATE TABLE "Chat" (id uuid PRIMARY KEY, "userId" uuid NOT NULL);',
          "002.sql":
            'DO $$ BEGIN\n ALTER TABLE "Chat" ADD CONSTRAINT "Chat_userId_User_id_fk" FOREIGN KEY ("userId") REFERENCES "public"."User"("id");\nEXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;\nDO $$ BEGIN\n IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = \'chat_user\') THEN\n  CREATE INDEX chat_user ON "Chat" ("userId");\n END IF;\nEND $$;',
        },
      },
    });
    fixtures.push({
      name: "a default operator class named explicitly, and a key dropped with CASCADE",
      spec: {
        files: {
          "001.sql":
            'CREATE TABLE r (id int, "runTags" text[]);\nCREATE INDEX r_tags ON r USING GIN ("runTags" array_ops);\nCREATE TABLE flags (key text PRIMARY KEY);\nCREATE TABLE variants (id int, flag_key text REFERENCES flags ON DELETE CASCADE);',
          "002.sql":
            "ALTER TABLE flags DROP CONSTRAINT IF EXISTS flags_pkey CASCADE;\nALTER TABLE flags ADD CONSTRAINT flags_pkey PRIMARY KEY (key);",
        },
      },
    });
    fixtures.push({
      name: "IN lists in predicates, and a guarded second primary key",
      spec: {
        files: {
          "001.sql":
            "CREATE TABLE f (m int, status text);\nCREATE UNIQUE INDEX u ON f (m) WHERE status IN ('ACCEPTED', 'SELF');\nCREATE INDEX v ON f (m) WHERE status NOT IN ('GONE');\nCREATE TABLE q (o int PRIMARY KEY);",
          "002.sql":
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM information_schema.table_constraints WHERE table_name = 'q' AND constraint_type = 'PRIMARY KEY') THEN ALTER TABLE q ADD PRIMARY KEY (o); END IF; END $$;",
        },
      },
    });
    fixtures.push({
      name: "LIKE … INCLUDING copies keys and indexes under new names; temporary tables end with the session; a materialized view dropped and made again",
      spec: {
        files: {
          "001.sql":
            "CREATE TABLE src (id int PRIMARY KEY, code text UNIQUE, a int, b int);\nCREATE INDEX src_ab ON src (a, b DESC) WHERE a > 0;\nCREATE INDEX ON src (lower(code));\nCREATE TABLE copy_all (LIKE src INCLUDING ALL);\nCREATE TABLE copy_idx (LIKE src INCLUDING INDEXES);\nCREATE TABLE copy_cons (LIKE src INCLUDING CONSTRAINTS);\nCREATE TABLE copy_plain (LIKE src);\nCREATE MATERIALIZED VIEW mv AS SELECT id, a FROM src;\nCREATE INDEX mv_a ON mv (a);",
          "002.sql":
            "CREATE TEMP TABLE scratch AS SELECT id FROM src;\nCREATE INDEX ON scratch (id);\nCREATE TEMP TABLE gone (id int) ON COMMIT DROP;\nDROP MATERIALIZED VIEW mv;\nCREATE MATERIALIZED VIEW mv AS SELECT id, b FROM src;\nCREATE INDEX mv_b ON mv (b);",
        },
      },
    });
    fixtures.push({
      name: "partitions get their parent's indexes: made with PARTITION OF, built by CREATE INDEX on the parent, attached or built at ATTACH PARTITION",
      spec: {
        files: {
          "001.sql":
            "CREATE TABLE ev (id int, at date, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);\nCREATE INDEX ev_kind ON ev (kind);\nCREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
          "002.sql":
            "CREATE TABLE ev_2025 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nCREATE INDEX ev_at ON ev (at DESC);\nCREATE TABLE ev_2026 (id int NOT NULL, at date NOT NULL, kind text);\nCREATE INDEX ev_2026_kind_mine ON ev_2026 (kind);\nALTER TABLE ev ATTACH PARTITION ev_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
        },
      },
    });
    for (const f of fixtures) {
      it(f.name, async () => {
        const result = await applySpec(engine, f.spec);
        expect(result.differences.map((d) => d.message)).toEqual([]);
      });
    }
  });
});
