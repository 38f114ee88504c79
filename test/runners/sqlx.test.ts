import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { check } from "../../src/check.js";
import { UserError } from "../../src/errors.js";
import { assumeVersion, runner } from "../../src/sources/index.js";
import { checkRepo, scratchDir } from "../harness.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/runners/sqlx/migrations", import.meta.url));
const sqlx = runner("sqlx");

describe("sqlx layout", () => {
  it("refuses a <prefix>_<name>.sql file whose prefix is not an integer, as resolve_blocking does", () => {
    const dir = scratchDir();
    writeFileSync(join(dir, "1_init.sql"), "CREATE TABLE t (id int);\n");
    writeFileSync(join(dir, "v2_more.sql"), "CREATE TABLE u (id int);\n");
    expect(() => sqlx.list(dir)).toThrow(UserError);
    expect(() => sqlx.list(dir)).toThrow(/"v2_more\.sql" has no integer version prefix/);
  });

  it("takes the version from the Cargo.toml requirement when there is no Cargo.lock", () => {
    expect(assumeVersion(sqlx, FIXTURE)).toEqual({ version: "0.8.2", source: "Cargo.toml (sqlx 0.8.2)" });
  });

  it("reads a workspace member's `sqlx = { workspace = true }` as evidence, and the root's version", () => {
    const root = scratchDir();
    writeFileSync(join(root, "Cargo.toml"), '[workspace]\n[workspace.dependencies]\nsqlx = "0.7"\n');
    const member = join(root, "db");
    const dir = join(member, "migrations");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "1_init.sql"), "CREATE TABLE t (id int);\n");
    writeFileSync(join(member, "Cargo.toml"), "[dependencies]\nsqlx = { workspace = true }\n");
    expect(sqlx.detect(dir)).toBe(true);
    expect(assumeVersion(sqlx, dir)).toEqual({ version: "0.7", source: "Cargo.toml (sqlx 0.7)" });
  });
});

describe("sqlx check", () => {
  it("checks the fixture in version order with -- no-transaction honoured: no error", async () => {
    const result = await check({ paths: [FIXTURE] });
    expect(result.sets[0]?.runner).toBe("sqlx");
    expect(result.sets[0]?.migrations.map((m) => m.id)).toEqual(["1", "2", "10"]);
    expect(result.findings.filter((f) => f.severity === "error")).toEqual([]);
    expect(result.sets[0]?.catalog.resolveIndex(undefined, "t_d")).toBeDefined();
  });

  it("flags CONCURRENTLY in sqlx's transaction, and names the opt-out", async () => {
    const result = await checkRepo({
      runner: "sqlx",
      files: {
        "1_t.sql": "CREATE TABLE t (id int PRIMARY KEY, c int);\n",
        "2_i.up.sql": "CREATE INDEX CONCURRENTLY t_c ON t (c);\n",
        "2_i.down.sql": "DROP INDEX t_c;\n",
      },
    });
    expect(result.findings.map((f) => [f.rule, f.file.split("/").pop(), f.line, f.help])).toEqual([
      [
        "ban-concurrent-index-creation-in-transaction",
        "2_i.up.sql",
        1,
        "Start this file with `-- no-transaction` (sqlx runs a migration whose first line is `-- no-transaction` outside a transaction).",
      ],
    ]);
  });
});
