import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import type { MigrationFileRef } from "../../src/runners/runner.js";
import { detectRunner, runner } from "../../src/sources/index.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/runners/", import.meta.url));
const at = (path: string): string => `${FIXTURES}${path}`;
const names = (refs: MigrationFileRef[], dir: string): string[] =>
  refs.map((r) => relative(at(dir), r.absPath).replaceAll("\\", "/"));

describe("listing migrations in the runner's order", () => {
  it("sql: natural order, so 2_b.sql runs before 10_c.sql, and only *.sql files", () => {
    const refs = runner("sql").list(at("sql/plain"));
    expect(names(refs, "sql/plain")).toEqual(["1_create.sql", "2_b.sql", "10_c.sql"]);
    expect(refs.map((r) => r.id)).toEqual(["1_create", "2_b", "10_c"]);
    expect(refs.every((r) => r.absPath.startsWith("/"))).toBe(true);
  });

  it("flyway: versions compare numerically part by part (1 < 1.1 < 2 < 2_1 < 3 < 10), then repeatables by description; undo and .conf files are skipped", () => {
    const refs = runner("flyway").list(at("flyway/db/migration"));
    expect(names(refs, "flyway/db/migration")).toEqual([
      "V1__init.sql",
      "V1.1__add_c.sql",
      "V2__add_d.sql",
      "V2_1__add_e.sql",
      "sub/V3__nested.sql",
      "V10__index.sql",
      "R__a_function.sql",
      "R__b_view.sql",
    ]);
    expect(refs.map((r) => r.id)).toEqual(["1", "1.1", "2", "2.1", "3", "10", "R__a_function", "R__b_view"]);
  });

  it("golang-migrate: only .up.sql files, by numeric version, so 2_ runs before 10_", () => {
    const refs = runner("golang-migrate").list(at("golang-migrate/migrations"));
    expect(names(refs, "golang-migrate/migrations")).toEqual([
      "1_init.up.sql",
      "2_add_c.up.sql",
      "10_index.up.sql",
    ]);
    expect(refs.map((r) => r.id)).toEqual(["1", "2", "10"]);
  });

  it("dbmate: file-name (byte) order as dbmate sorts it, so 10_ runs before 2_", () => {
    const refs = runner("dbmate").list(at("dbmate/db/migrations"));
    expect(names(refs, "dbmate/db/migrations")).toEqual([
      "10_add_c.sql",
      "20240101120000_index.sql",
      "2_init.sql",
    ]);
    expect(refs.map((r) => r.id)).toEqual(["10", "20240101120000", "2"]);
  });

  it("prisma: migration.sql of each timestamped folder, by folder name", () => {
    const refs = runner("prisma").list(at("prisma/prisma/migrations"));
    expect(names(refs, "prisma/prisma/migrations")).toEqual([
      "20240101000000_init/migration.sql",
      "20240102000000_add_index/migration.sql",
    ]);
    expect(refs.map((r) => r.id)).toEqual(["20240101000000_init", "20240102000000_add_index"]);
  });

  it("drizzle: the journal's entries, and no file the journal does not name", () => {
    const refs = runner("drizzle").list(at("drizzle/ok"));
    expect(names(refs, "drizzle/ok")).toEqual(["0000_init.sql", "0001_add_index.sql"]);
    expect(refs.map((r) => r.id)).toEqual(["0000_init", "0001_add_index"]);
  });
});

describe("drizzle journal errors", () => {
  const failure = (dir: string): UserError => {
    try {
      runner("drizzle").list(at(dir));
    } catch (error) {
      if (error instanceof UserError) return error;
      throw error;
    }
    throw new Error("expected a UserError");
  };

  it("reports a journal entry whose .sql file is missing, naming the journal and the file", () => {
    const error = failure("drizzle/missing-file");
    expect(error.where).toBe(`${at("drizzle/missing-file/meta/_journal.json")}:1`);
    expect(error.message).toContain("0000_gone.sql");
  });

  it("reports a journal that is not valid JSON", () => {
    const error = failure("drizzle/broken-journal");
    expect(error.where).toBe(at("drizzle/broken-journal/meta/_journal.json"));
    expect(error.message).toMatch(/not valid JSON/);
  });

  it("reports a journal without an entries array", () => {
    expect(failure("drizzle/no-entries").message).toMatch(/"entries"/);
  });
});

describe("detectRunner", () => {
  it.each([
    ["drizzle/ok", "drizzle"],
    ["prisma/prisma/migrations", "prisma"],
    ["dbmate/db/migrations", "dbmate"],
    ["golang-migrate/migrations", "golang-migrate"],
    ["flyway/db/migration", "flyway"],
    ["sql/plain", "sql"],
  ])("detects %s as %s", (dir, id) => {
    expect(detectRunner(at(dir))?.id).toBe(id);
  });

  it("detects nothing in a folder without SQL", () => {
    expect(detectRunner(at("empty"))).toBeNull();
  });

  it("prefers dbmate markers over a plain .sql listing", () => {
    expect(runner("sql").detect(at("dbmate/db/migrations"))).toBe(true);
    expect(detectRunner(at("dbmate/db/migrations"))?.id).toBe("dbmate");
  });
});
