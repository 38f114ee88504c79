import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { check } from "../../src/check.js";
import { UserError } from "../../src/errors.js";
import { dieselVersion, readRunInTransaction } from "../../src/runners/diesel.js";
import { assumeVersion, runner } from "../../src/sources/index.js";
import { checkRepo, scratchDir } from "../harness.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/runners/diesel/migrations", import.meta.url));
const diesel = runner("diesel");

describe("Diesel metadata.toml, as diesel_migrations' serde reads it", () => {
  it("reads run_in_transaction at the top level, with its line", () => {
    expect(readRunInTransaction("# a comment\nrun_in_transaction = false\n")).toEqual({
      value: false,
      line: 2,
    });
    expect(readRunInTransaction("run_in_transaction = true # yes\n")).toEqual({ value: true, line: 1 });
  });

  it("reads a valid file without the key as false (#[serde(default)] on a bool)", () => {
    expect(readRunInTransaction("")).toEqual({ value: false, line: null });
    expect(readRunInTransaction("[other]\nrun_in_transaction = true\n")).toEqual({
      value: false,
      line: null,
    });
  });

  it("falls back to Diesel's default (null: a transaction) on a value or a file serde cannot read", () => {
    expect(readRunInTransaction('run_in_transaction = "false"\n')).toBeNull();
    expect(readRunInTransaction("this is not toml\n")).toBeNull();
  });
});

describe("Diesel layout", () => {
  it("orders by the folder name's first _ part without dashes", () => {
    expect(dieselVersion("2024-01-02-000000-0001_index_u")).toBe("202401020000000001");
    expect(dieselVersion("00000000000000_diesel_initial_setup")).toBe("00000000000000");
  });

  it("skips empty folders and refuses a folder without up.sql, as FileBasedMigrations::from_path does", () => {
    const dir = scratchDir();
    mkdirSync(join(dir, "2024-01-01-000000_empty"));
    mkdirSync(join(dir, "2024-01-02-000000_t"));
    writeFileSync(join(dir, "2024-01-02-000000_t", "up.sql"), "CREATE TABLE t (id int);\n");
    expect(diesel.list(dir).map((r) => r.id)).toEqual(["2024-01-02-000000_t"]);
    mkdirSync(join(dir, "2024-01-03-000000_no_up"));
    writeFileSync(join(dir, "2024-01-03-000000_no_up", "down.sql"), "SELECT 1;\n");
    expect(() => diesel.list(dir)).toThrow(UserError);
    expect(() => diesel.list(dir)).toThrow(/"2024-01-03-000000_no_up" has no up\.sql/);
  });

  it("reports an empty up.sql, which Diesel refuses, as an invalid migration", async () => {
    const result = await checkRepo({
      runner: "diesel",
      files: { "2024-01-01-000000_t/up.sql": "CREATE TABLE t (id int);\n", "2024-01-02-000000_e/up.sql": "" },
    });
    expect(result.findings.map((f) => [f.rule, f.file.split("/").slice(-2).join("/"), f.message])).toEqual([
      ["invalid-migration", "2024-01-02-000000_e/up.sql", "Diesel refuses an empty up.sql (EmptyMigration)."],
    ]);
  });

  it("takes the version from Cargo.lock's diesel_migrations", () => {
    expect(assumeVersion(diesel, FIXTURE)).toEqual({
      version: "2.2.0",
      source: "Cargo.lock (diesel_migrations 2.2.0)",
    });
  });
});

describe("Diesel check", () => {
  it("passes the fixture's CONCURRENTLY migrations with run_in_transaction = false, and replays the initial setup", async () => {
    const result = await check({ paths: [FIXTURE] });
    expect(result.sets[0]?.runner).toBe("diesel");
    expect(result.sets[0]?.migrations).toHaveLength(4);
    expect(result.findings.filter((f) => f.severity === "error")).toEqual([]);
    expect(result.sets[0]?.catalog.resolveIndex(undefined, "u_t_id")).toBeDefined();
  });

  it("flags CONCURRENTLY in a migration without metadata.toml, and names Diesel's way out", async () => {
    const result = await checkRepo({
      runner: "diesel",
      files: {
        "2024-01-01-000000_t/up.sql": "CREATE TABLE t (id int PRIMARY KEY, c int);\n",
        "2024-01-02-000000_i/up.sql": "CREATE INDEX CONCURRENTLY t_c ON t (c);\n",
      },
    });
    expect(result.findings.map((f) => [f.rule, f.line, f.help])).toEqual([
      [
        "ban-concurrent-index-creation-in-transaction",
        1,
        "Move it to a migration of its own, 2024-01-02-000001_i_concurrently (Diesel runs a migration with run_in_transaction = false in its metadata.toml outside a transaction).",
      ],
    ]);
  });
});
