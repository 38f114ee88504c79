/**
 * The runner's table of applied versions exists before the first migration, as the runner makes
 * it: a migration that refers to it applies, and the comparison does not count it as a table the
 * replay failed to predict.
 */
import { expect, it } from "vitest";
import { check } from "../../src/check.js";
import { verify } from "../../src/verify/verify.js";
import { type RepoSpec, writeRepo } from "../harness.js";

const cases: { name: string; spec: RepoSpec }[] = [
  {
    name: "diesel (a trigger on __diesel_schema_migrations, as Lemmy has)",
    spec: {
      runner: "diesel",
      files: {
        "2024-01-01-000000_init/up.sql": "CREATE TABLE t (id int PRIMARY KEY);",
        "2024-01-02-000000_guard/up.sql":
          "CREATE FUNCTION forbid() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\nCREATE TRIGGER forbid BEFORE INSERT ON __diesel_schema_migrations FOR EACH ROW EXECUTE FUNCTION forbid();",
      },
    },
  },
  {
    name: "flyway (an UPDATE of flyway_schema_history)",
    spec: {
      runner: "flyway",
      files: {
        "V1__init.sql": "CREATE TABLE t (id int PRIMARY KEY);",
        "V2__repair.sql": "UPDATE flyway_schema_history SET checksum = NULL WHERE version = '1';",
      },
    },
  },
];

it.each(cases)(
  "$name: applies, and the replay agrees with the database",
  { timeout: 0 },
  async ({ spec }) => {
    const analysis = await check({ paths: [writeRepo(spec)], keepSyntaxTrees: true });
    const { report } = await verify(analysis, { env: {} });
    expect(report.sets[0]?.apply.failures.map((f) => f.error?.message)).toEqual([]);
    expect(report.sets[0]?.differences).toBe(0);
  },
);
