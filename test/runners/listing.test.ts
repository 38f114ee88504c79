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

  it("diesel: up.sql of each folder by version (the name up to its first _, without -), so 00000000000000 comes first and 20240102000000 before 202401020000000001; dot folders are skipped", () => {
    const refs = runner("diesel").list(at("diesel/migrations"));
    expect(names(refs, "diesel/migrations")).toEqual([
      "00000000000000_diesel_initial_setup/up.sql",
      "2024-01-01-000000_create_t/up.sql",
      "2024-01-02-000000_index_t/up.sql",
      "2024-01-02-000000-0001_index_u/up.sql",
    ]);
    expect(refs.map((r) => r.id)).toEqual([
      "00000000000000_diesel_initial_setup",
      "2024-01-01-000000_create_t",
      "2024-01-02-000000_index_t",
      "2024-01-02-000000-0001_index_u",
    ]);
  });

  it("sqlx: simple and .up.sql files by numeric version (2 before 10); .down.sql and other files are skipped", () => {
    const refs = runner("sqlx").list(at("sqlx/migrations"));
    expect(names(refs, "sqlx/migrations")).toEqual(["1_init.sql", "2_add_d.up.sql", "10_index_d.sql"]);
    expect(refs.map((r) => r.id)).toEqual(["1", "2", "10"]);
  });

  it("supabase: <digits>_<name>.sql files in name order; a leading pre-2021-12-09 <timestamp>_init.sql, folders and other names are skipped", () => {
    const refs = runner("supabase").list(at("supabase/supabase/migrations"));
    expect(names(refs, "supabase/supabase/migrations")).toEqual([
      "20240101000000_create_t.sql",
      "20240102000000_index_t.sql",
    ]);
    expect(refs.map((r) => r.id)).toEqual(["20240101000000", "20240102000000"]);
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
    ["diesel/migrations", "diesel"],
    ["sqlx/migrations", "sqlx"],
    ["supabase/supabase/migrations", "supabase"],
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

  it("chooses sqlx only with a Cargo project that uses sqlx: the same .up.sql names stay golang-migrate, numbered files stay plain SQL", () => {
    expect(runner("sqlx").detect(at("golang-migrate/migrations"))).toBe(false);
    expect(runner("sqlx").detect(at("sql/plain"))).toBe(false);
    expect(runner("golang-migrate").detect(at("sqlx/migrations"))).toBe(true);
    expect(detectRunner(at("sqlx/migrations"))?.id).toBe("sqlx");
  });

  it("chooses Supabase only for a migrations folder inside supabase/ or next to config.toml", () => {
    expect(runner("supabase").detect(at("dbmate/db/migrations"))).toBe(false);
    expect(runner("supabase").detect(at("golang-migrate/migrations"))).toBe(false);
    expect(runner("sql").detect(at("supabase/supabase/migrations"))).toBe(true);
  });

  it("prefers dbmate markers over a plain .sql listing", () => {
    expect(runner("sql").detect(at("dbmate/db/migrations"))).toBe(true);
    expect(detectRunner(at("dbmate/db/migrations"))?.id).toBe("dbmate");
  });
});
