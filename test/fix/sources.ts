/**
 * Every repository the suite checks whose findings may carry fixes: the runner fixtures, the
 * example service with each of its configs, and each example of each rule page. Each is a folder
 * to copy and the check options to run on the copy.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeRepo } from "../harness.js";
import { examplesOf } from "../rules/doc-examples.js";

export interface FixSource {
  name: string;
  /** The folder copied for each fix. */
  root: string;
  /** Paths (relative to `root`) and config (relative to `root`) the check runs with. */
  paths: string[];
  config?: string;
}

const FIXTURE_REPOS = [
  "test/fixtures/runners/dbmate/db/migrations",
  "test/fixtures/runners/drizzle/ok",
  "test/fixtures/runners/flyway/db/migration",
  "test/fixtures/runners/golang-migrate/migrations",
  "test/fixtures/runners/prisma/prisma/migrations",
  "test/fixtures/runners/sql/plain",
  "test/fixtures/alembic/reversed",
];

export function fixSources(): FixSource[] {
  const out: FixSource[] = [];
  for (const dir of FIXTURE_REPOS) out.push({ name: dir, root: resolve(dir), paths: ["."] });
  const example = resolve("examples/factory-service");
  for (const config of readdirSync(example).filter((f) => f.endsWith("pg-index-lint.yml"))) {
    out.push({ name: `examples/factory-service (${config})`, root: example, paths: ["."], config });
  }
  for (const page of readdirSync("rules").filter((f) => f.endsWith(".md"))) {
    for (const e of examplesOf(readFileSync(join("rules", page), "utf8"))) {
      out.push({ name: `rules/${page}:${e.line} (${e.kind})`, root: writeRepo(e.spec), paths: ["."] });
    }
  }
  return out.filter((s) => existsSync(s.root));
}
