import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { TxContext } from "../../src/model.js";
import { statementShape } from "../../src/parse/classify.js";
import { initSqlParser, parseSql } from "../../src/parse/sql.js";
import type { MigrationFileRef } from "../../src/runners/runner.js";
import { assignTransactions } from "../../src/runners/transactions.js";
import { runner as runnerById, runnerLabel } from "../../src/sources/index.js";

beforeAll(async () => {
  await initSqlParser();
});

/** Runs one file's text through the runner's prepare → parse → assignTransactions, like the pipeline. */
function txOf(
  runnerId: string,
  text: string,
  version: string | null = null,
  ref: MigrationFileRef = { absPath: "/repo/migrations/0001_x.sql", id: "0001" },
): Array<{ sql: string; tx: TxContext }> {
  const runner = runnerById(runnerId);
  if (!runner.prepare) throw new Error(`${runnerId} is not a SQL runner`);
  const prepared = runner.prepare(text, ref);
  const parsed = parseSql(prepared.sql, "migrations/0001_x.sql");
  expect(parsed.errors).toEqual([]);
  const label = runnerLabel(runner, { version, source: "test" });
  return assignTransactions(parsed.statements, runner.model(version), prepared, label).map((s) => ({
    sql: s.sql,
    tx: s.tx,
  }));
}

const concurrentIn = (rows: Array<{ sql: string; tx: TxContext }>): TxContext => {
  const row = rows.find((r) => /CONCURRENTLY/i.test(r.sql));
  if (!row) throw new Error("no concurrent statement");
  return row.tx;
};

describe("golang-migrate", () => {
  it("puts a concurrent index in PostgreSQL's implicit transaction when the file holds two statements", () => {
    const rows = txOf(
      "golang-migrate",
      "ALTER TABLE t ADD c int;\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n",
      "4.18.1",
    );
    expect(concurrentIn(rows)).toMatchObject({
      inTransaction: true,
      reason: "implicit-multi-statement",
      optOut: expect.stringMatching(/alone in its own \.up\.sql file/),
      detail:
        "golang-migrate 4.18.1 sends the whole file as one string, so PostgreSQL runs its 2 statements in one implicit transaction",
    });
  });

  it("runs a single-statement file in autocommit", () => {
    const rows = txOf("golang-migrate", "CREATE INDEX CONCURRENTLY t_c ON t (c);\n");
    expect(concurrentIn(rows)).toMatchObject({ inTransaction: false, reason: "autocommit" });
  });

  it("starts a new implicit transaction after an explicit COMMIT inside the one string", () => {
    const rows = txOf(
      "golang-migrate",
      "BEGIN;\nALTER TABLE t ADD c int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n",
    );
    expect(rows.map((r) => r.tx.reason)).toEqual([
      "explicit",
      "explicit",
      "explicit",
      "implicit-multi-statement",
    ]);
  });
});

describe("dbmate", () => {
  it("runs the up section in dbmate's transaction by default", () => {
    const rows = txOf(
      "dbmate",
      "-- migrate:up\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n-- migrate:down\nDROP INDEX t_c;\n",
    );
    expect(rows).toHaveLength(1);
    expect(concurrentIn(rows)).toMatchObject({ inTransaction: true, reason: "runner-file" });
    expect(concurrentIn(rows).detail).toContain("the -- migrate:up section on line 1");
  });

  it("runs a lone statement in autocommit with transaction:false", () => {
    const rows = txOf(
      "dbmate",
      "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n-- migrate:down\nDROP INDEX t_c;\n",
    );
    expect(concurrentIn(rows)).toMatchObject({ inTransaction: false, reason: "autocommit" });
    expect(concurrentIn(rows).detail).toContain("transaction:false on line 1");
  });

  it("keeps PostgreSQL's implicit transaction with transaction:false when the section holds two statements", () => {
    const rows = txOf(
      "dbmate",
      "-- migrate:up transaction:false\nALTER TABLE t ADD c int;\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n-- migrate:down\n",
      "2.28.0",
    );
    expect(concurrentIn(rows)).toMatchObject({
      inTransaction: true,
      reason: "implicit-multi-statement",
      optOut: expect.stringMatching(/transaction:false/),
      detail:
        "dbmate 2.28.0 skips its own transaction here (-- migrate:up transaction:false on line 1) but still sends the -- migrate:up section on line 1 as one string, so PostgreSQL runs its 2 statements in one implicit transaction",
    });
  });

  it("decides each up section of a multi-section file on its own", () => {
    const rows = txOf(
      "dbmate",
      [
        "-- migrate:up",
        "CREATE TABLE t (c int);",
        "-- migrate:down",
        "DROP TABLE t;",
        "-- migrate:up transaction:false",
        "CREATE INDEX CONCURRENTLY t_c ON t (c);",
        "-- migrate:down",
        "DROP INDEX t_c;",
      ].join("\n"),
    );
    expect(rows.map((r) => [r.sql, r.tx.inTransaction, r.tx.reason])).toEqual([
      ["CREATE TABLE t (c int)", true, "runner-file"],
      ["CREATE INDEX CONCURRENTLY t_c ON t (c)", false, "autocommit"],
    ]);
  });
});

describe("drizzle", () => {
  it("runs even a single-statement concurrent file inside the migrator's one transaction", () => {
    const rows = txOf("drizzle", 'CREATE INDEX CONCURRENTLY "t_c" ON "t" ("c");\n', "0.30.10");
    expect(concurrentIn(rows)).toEqual({
      inTransaction: true,
      reason: "runner-all",
      detail: "drizzle-orm's migrator 0.30.10 runs every pending migration in one transaction",
    });
  });

  it("treats statement breakpoints as comments and gives every statement the shared transaction", () => {
    const rows = txOf(
      "drizzle",
      'CREATE TABLE "t" ("c" int);\n--> statement-breakpoint\nCREATE INDEX "t_c" ON "t" ("c");\n',
    );
    expect(rows.map((r) => r.tx.reason)).toEqual(["runner-all", "runner-all"]);
  });

  it("ends the shared transaction at a stray COMMIT, so later statements autocommit", () => {
    const rows = txOf(
      "drizzle",
      "COMMIT;\n--> statement-breakpoint\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n",
    );
    expect(concurrentIn(rows)).toMatchObject({ inTransaction: false, reason: "autocommit" });
    expect(concurrentIn(rows).detail).toContain("COMMIT on line 1");
  });
});

describe("prisma", () => {
  const twoStatements =
    'ALTER TABLE "User" ADD "c" INT;\nCREATE INDEX CONCURRENTLY "User_c_idx" ON "User"("c");\n';

  it("before 7.4.0 sends the migration as one string: a multi-statement file is one implicit transaction", () => {
    expect(concurrentIn(txOf("prisma", twoStatements, "5.22.0"))).toMatchObject({
      inTransaction: true,
      reason: "implicit-multi-statement",
      detail:
        "Prisma 5.22.0 sends the whole file as one string, so PostgreSQL runs its 2 statements in one implicit transaction",
    });
    expect(concurrentIn(txOf("prisma", twoStatements, "7.3.0")).inTransaction).toBe(true);
  });

  it("before 7.4.0 runs a single-statement migration in autocommit", () => {
    const rows = txOf("prisma", 'CREATE INDEX CONCURRENTLY "User_c_idx" ON "User"("c");\n', "6.19.0");
    expect(concurrentIn(rows)).toMatchObject({ inTransaction: false, reason: "autocommit" });
  });

  it("from 7.4.0 (prisma-engines #5767) sends each statement on its own, in autocommit", () => {
    const rows = txOf("prisma", twoStatements, "7.4.0");
    expect(rows.map((r) => r.tx.inTransaction)).toEqual([false, false]);
    expect(concurrentIn(rows).detail).toBe("Prisma 7.4.0 sends each statement on its own, in autocommit");
  });

  it("assumes the latest behaviour (statement by statement) when the version is unknown", () => {
    expect(concurrentIn(txOf("prisma", twoStatements, null)).inTransaction).toBe(false);
  });

  it("from 7.4.0 still sends a file with DROP INDEX CONCURRENTLY whole, because its splitter cannot parse it", () => {
    const rows = txOf(
      "prisma",
      'DROP INDEX CONCURRENTLY "a_idx";\nDROP INDEX CONCURRENTLY "b_idx";\n',
      "7.9.1",
    );
    expect(rows[0]?.tx).toMatchObject({ inTransaction: true, reason: "implicit-multi-statement" });
    expect(rows[0]?.tx.detail).toContain("rejects DROP INDEX CONCURRENTLY");
    expect(txOf("prisma", 'DROP INDEX CONCURRENTLY "a_idx";\n', "7.9.1")[0]?.tx.inTransaction).toBe(false);
  });
});

describe("flyway", () => {
  it("runs a file made only of concurrent statements without a transaction", () => {
    const rows = txOf(
      "flyway",
      "CREATE INDEX CONCURRENTLY a ON t (a);\nDROP INDEX CONCURRENTLY b;\n",
      "10.20.1",
    );
    expect(rows.map((r) => r.tx.inTransaction)).toEqual([false, false]);
    expect(rows[0]?.tx.detail).toBe(
      "Flyway 10.20.1 sees that every statement in this file must run outside a transaction and runs the file in autocommit",
    );
  });

  it("flags a mixed file: the concurrent statement is marked in the transaction and the detail says Flyway refuses the mix", () => {
    const rows = txOf(
      "flyway",
      "ALTER TABLE t ADD c int;\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n",
      "10.20.1",
    );
    expect(concurrentIn(rows)).toMatchObject({ inTransaction: true, reason: "runner-file" });
    expect(concurrentIn(rows).detail).toMatch(
      /^Flyway 10\.20\.1 refuses a file that mixes CREATE INDEX CONCURRENTLY/,
    );
    expect(rows[0]?.tx.detail).toMatch(/refuses this file/);
  });

  it("does not recognise REINDEX … CONCURRENTLY, so it runs in Flyway's transaction", () => {
    const rows = txOf("flyway", "REINDEX INDEX CONCURRENTLY t_c;\n", "10.20.1");
    expect(rows[0]?.tx).toMatchObject({ inTransaction: true, reason: "runner-file" });
    expect(rows[0]?.tx.detail).toContain("does not recognise REINDEX … CONCURRENTLY");
  });

  it("before 4.1 detected nothing, and 4.1 did not yet know DROP INDEX CONCURRENTLY", () => {
    expect(txOf("flyway", "CREATE INDEX CONCURRENTLY a ON t (a);\n", "4.0.3")[0]?.tx.inTransaction).toBe(
      true,
    );
    expect(txOf("flyway", "CREATE INDEX CONCURRENTLY a ON t (a);\n", "4.1.2")[0]?.tx.inTransaction).toBe(
      false,
    );
    expect(txOf("flyway", "DROP INDEX CONCURRENTLY a;\n", "4.1.2")[0]?.tx.inTransaction).toBe(true);
    expect(txOf("flyway", "DROP INDEX CONCURRENTLY a;\n", "4.2.0")[0]?.tx.inTransaction).toBe(false);
  });

  it("honours executeInTransaction=false in the script's .conf file", () => {
    const absPath = fileURLToPath(
      new URL("../fixtures/runners/flyway/db/migration/V10__index.sql", import.meta.url),
    );
    const rows = txOf(
      "flyway",
      "ALTER TABLE t ADD c int;\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n",
      "10.20.1",
      {
        absPath,
        id: "10",
      },
    );
    expect(rows.map((r) => r.tx.inTransaction)).toEqual([false, false]);
    expect(concurrentIn(rows).detail).toContain(
      "executeInTransaction=false in V10__index.sql.conf on line 1",
    );
  });
});

const fixture = (path: string): MigrationFileRef => ({
  absPath: fileURLToPath(new URL(`../fixtures/runners/${path}`, import.meta.url)),
  id: path,
});

describe("diesel", () => {
  it("runs up.sql in Diesel's transaction when the folder has no metadata.toml", () => {
    const rows = txOf("diesel", "CREATE INDEX CONCURRENTLY t_c ON t (c);\n", "2.3.1");
    expect(concurrentIn(rows)).toMatchObject({
      inTransaction: true,
      reason: "runner-file",
      detail: "Diesel 2.3.1 runs each migration file in its own transaction",
      optOut: expect.stringMatching(/run_in_transaction = false/),
    });
  });

  it("runs a lone statement in autocommit with run_in_transaction = false in metadata.toml", () => {
    const ref = fixture("diesel/migrations/2024-01-02-000000_index_t/up.sql");
    const rows = txOf("diesel", "CREATE INDEX CONCURRENTLY t_c ON t (c);\n", "2.3.1", ref);
    expect(concurrentIn(rows)).toMatchObject({ inTransaction: false, reason: "autocommit" });
    expect(concurrentIn(rows).detail).toContain("run_in_transaction = false in metadata.toml on line 2");
  });

  it("keeps PostgreSQL's implicit transaction with run_in_transaction = false when up.sql holds two statements (batch_execute sends one string)", () => {
    const ref = fixture("diesel/migrations/2024-01-02-000000_index_t/up.sql");
    const rows = txOf(
      "diesel",
      "ALTER TABLE t ADD d int;\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n",
      null,
      ref,
    );
    expect(concurrentIn(rows)).toMatchObject({ inTransaction: true, reason: "implicit-multi-statement" });
  });

  it("ignores metadata.toml before Diesel 2.0, which ran every migration in a transaction", () => {
    const ref = fixture("diesel/migrations/2024-01-02-000000_index_t/up.sql");
    const rows = txOf("diesel", "CREATE INDEX CONCURRENTLY t_c ON t (c);\n", "1.4.8", ref);
    expect(concurrentIn(rows)).toMatchObject({ inTransaction: true, reason: "runner-file" });
    expect(concurrentIn(rows).optOut).toBeUndefined();
  });
});

describe("sqlx", () => {
  it("runs each migration in its own transaction", () => {
    const rows = txOf("sqlx", "CREATE INDEX CONCURRENTLY t_c ON t (c);\n", "0.8.2");
    expect(concurrentIn(rows)).toMatchObject({
      inTransaction: true,
      reason: "runner-file",
      optOut: expect.stringMatching(/-- no-transaction/),
    });
  });

  it("runs a lone statement in autocommit when the file starts with -- no-transaction", () => {
    const rows = txOf("sqlx", "-- no-transaction\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n", "0.8.2");
    expect(concurrentIn(rows)).toMatchObject({ inTransaction: false, reason: "autocommit" });
    expect(concurrentIn(rows).detail).toContain("-- no-transaction on line 1");
  });

  it("reads -- no-transaction only as the file's very first bytes", () => {
    const rows = txOf("sqlx", "\n-- no-transaction\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n", "0.8.2");
    expect(concurrentIn(rows)).toMatchObject({ inTransaction: true, reason: "runner-file" });
  });

  it("keeps the implicit transaction of a multi-statement -- no-transaction file", () => {
    const rows = txOf(
      "sqlx",
      "-- no-transaction\nALTER TABLE t ADD d int;\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n",
    );
    expect(concurrentIn(rows)).toMatchObject({ inTransaction: true, reason: "implicit-multi-statement" });
  });

  it("has no opt-out before 0.8.0", () => {
    const rows = txOf("sqlx", "-- no-transaction\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n", "0.7.4");
    expect(concurrentIn(rows)).toMatchObject({ inTransaction: true, reason: "runner-file" });
  });
});

describe("supabase (one pipeline per file)", () => {
  it("runs a leading CONCURRENTLY statement on its own, and the rest in the pipeline's implicit transaction", () => {
    const rows = txOf("supabase", "CREATE INDEX CONCURRENTLY t_c ON t (c);\nALTER TABLE t ADD d int;\n");
    expect(rows.map((r) => [r.tx.inTransaction, r.tx.reason])).toEqual([
      [false, "autocommit"],
      [true, "implicit-multi-statement"],
    ]);
    expect(rows[1]?.tx.detail).toBe(
      "Supabase CLI sends the file's statements as one pipeline closed by a single Sync, so PostgreSQL runs them in one implicit transaction",
    );
  });

  it("puts a CONCURRENTLY statement after another statement in the implicit transaction", () => {
    const rows = txOf("supabase", "ALTER TABLE t ADD d int;\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n");
    expect(concurrentIn(rows)).toMatchObject({
      inTransaction: true,
      reason: "implicit-multi-statement",
      optOut: expect.stringMatching(/first in a migration file of its own/),
    });
  });

  it("lets a leading CONCURRENTLY statement and one right after a COMMIT run on their own, but not a second one in a row", () => {
    const rows = txOf(
      "supabase",
      "CREATE INDEX CONCURRENTLY a ON t (c);\nDROP INDEX CONCURRENTLY b;\nBEGIN;\nALTER TABLE t ADD d int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY e ON t (d);\n",
    );
    expect(rows.map((r) => [r.tx.inTransaction, r.tx.reason])).toEqual([
      [false, "autocommit"],
      [true, "implicit-multi-statement"],
      [true, "explicit"],
      [true, "explicit"],
      [true, "explicit"],
      [false, "autocommit"],
    ]);
  });

  it("puts a lone statement in the implicit transaction it shares with the history insert", () => {
    const rows = txOf("supabase", "CREATE INDEX t_c ON t (c);\n");
    expect(rows[0]?.tx).toMatchObject({ inTransaction: true, reason: "implicit-multi-statement" });
  });
});

describe("sql (psql -f)", () => {
  it("puts statements between an explicit BEGIN and COMMIT in a transaction and the rest in autocommit", () => {
    const rows = txOf(
      "sql",
      "BEGIN;\nCREATE INDEX CONCURRENTLY a ON t (a);\nCOMMIT;\nCREATE INDEX CONCURRENTLY b ON t (b);\n",
    );
    expect(rows.map((r) => [r.tx.inTransaction, r.tx.reason])).toEqual([
      [true, "explicit"],
      [true, "explicit"],
      [true, "explicit"],
      [false, "autocommit"],
    ]);
    expect(rows[1]?.tx.detail).toBe(
      "under psql -f, the file's BEGIN on line 1 opened a transaction block that is still open here",
    );
  });

  it("treats START TRANSACTION … END like BEGIN … COMMIT", () => {
    const rows = txOf(
      "sql",
      "START TRANSACTION;\nDROP INDEX CONCURRENTLY a;\nEND;\nDROP INDEX CONCURRENTLY b;\n",
    );
    expect(rows.map((r) => r.tx.inTransaction)).toEqual([true, true, true, false]);
  });
});

describe("statementShape", () => {
  const shapeOf = (sql: string) => {
    const node = parseSql(sql, "x.sql").statements[0]?.node;
    if (!node) throw new Error("no statement");
    return statementShape(node);
  };

  it.each([
    ["CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)", "create-index-concurrently"],
    ["DROP INDEX CONCURRENTLY IF EXISTS i", "drop-index-concurrently"],
    ["REINDEX TABLE CONCURRENTLY t", "reindex-concurrently"],
    ["REINDEX SCHEMA public", "reindex-schema-database-system"],
    ["VACUUM t", "vacuum"],
    ["ANALYZE t", null],
    ["CREATE INDEX i ON t (a)", null],
    ["DISCARD ALL", "discard-all"],
    ["ALTER SYSTEM SET work_mem = '64MB'", "alter-system"],
  ])("%s → %s", (sql, shape) => {
    expect(shapeOf(sql)).toBe(shape);
  });
});
