/**
 * Each runner's way out of a transaction (Runner.isolate), as the CONCURRENTLY rules offer it: the
 * fix's files are named in the runner's convention, and the repository, fixed, checks clean of
 * the finding and of any statement PostgreSQL would reject.
 */
import { describe, expect, it } from "vitest";
import { check } from "../../src/check.js";
import { writeRepo } from "../harness.js";
import { fixOnce } from "./fix-once.js";

const TABLE = "CREATE TABLE t (id bigint PRIMARY KEY, a int, b int);\n";

const rejected = ["ban-concurrent-index-creation-in-transaction", "syntax-error", "invalid-migration"];

describe("a CONCURRENTLY fix runs where its runner runs it", () => {
  it("golang-migrate: ADD UNIQUE in a many-statement file becomes two new files after it", async () => {
    const many = Array.from({ length: 20 }, (_, i) => `CREATE TABLE x${i} (id int);\n`).join("");
    const { after, created } = await fixOnce(
      {
        runner: "golang-migrate",
        files: {
          "000001_init.up.sql": TABLE,
          "000002_more.up.sql": `${many}ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a);\n`,
        },
      },
      "constraint-builds-index",
    );
    expect(created).toEqual([
      "migrations/000003_more_concurrently.up.sql",
      "migrations/000004_more_concurrently_2.up.sql",
    ]);
    expect(after.filter((f) => rejected.includes(f.rule) || f.rule === "constraint-builds-index")).toEqual(
      [],
    );
  });

  it("dbmate: a statement alone in its section gets transaction:false", async () => {
    const { finding, after, created } = await fixOnce(
      {
        runner: "dbmate",
        files: {
          "20240101000000_init.sql": `-- migrate:up\n${TABLE}\n-- migrate:down\n`,
          "20240102000000_idx.sql": "-- migrate:up\nCREATE INDEX i ON t (a);\n\n-- migrate:down\n",
        },
      },
      "require-concurrent-index-creation",
    );
    expect(created).toEqual([]);
    expect(finding?.fix?.edits?.[0]?.text).toBe("-- migrate:up transaction:false");
    expect(after.filter((f) => [...rejected, "require-concurrent-index-creation"].includes(f.rule))).toEqual(
      [],
    );
  });

  it("dbmate: with other statements, a new file under transaction:false", async () => {
    const { after, created } = await fixOnce(
      {
        runner: "dbmate",
        files: {
          "20240101000000_init.sql": `-- migrate:up\n${TABLE}\n-- migrate:down\n`,
          "20240102000000_idx.sql":
            "-- migrate:up\nCREATE TABLE u (id int);\nCREATE INDEX i ON t (a);\n\n-- migrate:down\n",
        },
      },
      "require-concurrent-index-creation",
    );
    expect(created).toEqual(["migrations/20240102000001_idx_concurrently.sql"]);
    expect(after.filter((f) => [...rejected, "require-concurrent-index-creation"].includes(f.rule))).toEqual(
      [],
    );
  });

  it("goose: with other statements, a new file with -- +goose NO TRANSACTION", async () => {
    const lone = await fixOnce(
      {
        runner: "goose",
        files: {
          "00001_init.sql": `-- +goose Up\n${TABLE}`,
          "00002_idx.sql":
            "-- +goose Up\nDROP INDEX CONCURRENTLY IF EXISTS nothing_here;\nCREATE INDEX i ON t (a);\n",
        },
      },
      "require-concurrent-index-creation",
    );
    expect(lone.created).toEqual(["migrations/00003_idx_concurrently.sql"]);
    expect(lone.after.filter((f) => f.rule === "require-concurrent-index-creation")).toEqual([]);
  });

  it("Flyway: a new version <v>.1 made only of the statement", async () => {
    const { after, created } = await fixOnce(
      {
        runner: "flyway",
        files: {
          "V1__init.sql": TABLE,
          "V2__idx.sql": "CREATE TABLE u (id int);\nCREATE INDEX i ON t (a);\n",
        },
      },
      "require-concurrent-index-creation",
    );
    expect(created).toEqual(["migrations/V2.1__idx_concurrently.sql"]);
    expect(after.filter((f) => [...rejected, "require-concurrent-index-creation"].includes(f.rule))).toEqual(
      [],
    );
  });

  it("Prisma before 7.4: a new migration folder right after this one", async () => {
    const { after, created } = await fixOnce(
      {
        runner: "prisma",
        version: "5.22.0",
        files: {
          "20240101000000_init/migration.sql": TABLE,
          "20240102000000_idx/migration.sql": "CREATE TABLE u (id int);\nCREATE INDEX i ON t (a);\n",
        },
      },
      "require-concurrent-index-creation",
    );
    expect(created).toEqual(["20240102000001_idx_concurrently/migration.sql"]);
    expect(after.filter((f) => [...rejected, "require-concurrent-index-creation"].includes(f.rule))).toEqual(
      [],
    );
  });

  it("Prisma 7.4 and later: DROP INDEX CONCURRENTLY moves to a folder of its own, since the splitter cannot parse it", async () => {
    const { finding, after, created } = await fixOnce(
      {
        runner: "prisma",
        version: "7.6.0",
        files: {
          "20240101000000_init/migration.sql": `${TABLE}CREATE INDEX i ON t (a);\n`,
          "20240102000000_drop/migration.sql": "DROP INDEX i;\nCREATE INDEX j ON t (b);\n",
        },
      },
      "require-concurrent-index-deletion",
    );
    // In place, the file would go to PostgreSQL as one string: CONCURRENTLY in a transaction.
    expect(finding?.help).toMatch(/send the whole file as one string/);
    expect(created).toEqual(["20240102000001_drop_concurrently/migration.sql"]);
    expect(after.filter((f) => [...rejected, "require-concurrent-index-deletion"].includes(f.rule))).toEqual(
      [],
    );
  });

  it("Prisma: with no number free before the next folder, the new folder is this one's name with a suffix", async () => {
    const { after, created } = await fixOnce(
      {
        runner: "prisma",
        version: "5.22.0",
        files: {
          "01_init/migration.sql": TABLE,
          "02_idx/migration.sql": "CREATE TABLE u (id int);\nCREATE INDEX i ON t (a);\n",
          "03_next/migration.sql": "CREATE TABLE v (id int);\n",
        },
      },
      "require-concurrent-index-creation",
    );
    expect(created).toEqual(["02_idx_concurrently/migration.sql"]);
    expect(after.filter((f) => [...rejected, "require-concurrent-index-creation"].includes(f.rule))).toEqual(
      [],
    );
  });

  it("Drizzle: no fix, and the help says the migrator has no way out", async () => {
    const root = writeRepo({
      runner: "drizzle",
      files: { "0000_init.sql": TABLE, "0001_idx.sql": "CREATE INDEX i ON t (a);\n" },
    });
    const found = (await check({ paths: [root] })).findings.find(
      (f) => f.rule === "require-concurrent-index-creation",
    );
    expect(found?.fix).toBeUndefined();
    expect(found?.help).toMatch(/one transaction and has no opt-out/);
  });
});
