/**
 * Test harness: writes a throwaway migrations repo and runs the real `check()` on it, so that
 * rule tests go through discovery, the runner's transaction model, replay and ignores.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { type CheckResult, check } from "../src/check.js";
import type { RunnerId } from "../src/model.js";

export interface RepoSpec {
  /**
   * Migration files by path inside the migrations folder, in apply order; or one SQL text. Empty
   * with `models`: a models-only repo.
   */
  files: Record<string, string> | string;
  /** SQLAlchemy model files by path inside a `models` folder, configured as `orm: sqlalchemy`. */
  models?: Record<string, string>;
  runner?: RunnerId;
  version?: string;
  /** Extra config keys (required-indexes, rules…). */
  config?: Record<string, unknown>;
}

/** The name a lone example file gets under each runner's naming scheme. */
const DEFAULT_NAME: Record<RunnerId, string> = {
  sql: "001_example.sql",
  flyway: "V1__example.sql",
  "golang-migrate": "1_example.up.sql",
  goose: "00001_example.sql",
  dbmate: "20240101000000_example.sql",
  prisma: "20240101000000_example/migration.sql",
  drizzle: "0000_example.sql",
  alembic: "0001_example.py",
};

export function writeRepo(spec: RepoSpec): string {
  const root = mkdtempSync(join(tmpdir(), "pg-index-lint-test-"));
  const runner = spec.runner ?? "sql";
  const files = typeof spec.files === "string" ? { [DEFAULT_NAME[runner]]: spec.files } : spec.files;
  const dir = join(root, "migrations");
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  if (runner === "drizzle" && !("meta/_journal.json" in files)) {
    const entries = Object.keys(files)
      .filter((f) => f.endsWith(".sql"))
      .map((f, idx) => ({
        idx,
        version: "7",
        when: 1700000000000 + idx,
        tag: f.replace(/\.sql$/, ""),
        breakpoints: true,
      }));
    mkdirSync(join(dir, "meta"), { recursive: true });
    writeFileSync(
      join(dir, "meta/_journal.json"),
      JSON.stringify({ version: "7", dialect: "postgresql", entries }),
    );
  }
  const models = spec.models ?? {};
  for (const [name, text] of Object.entries(models)) {
    mkdirSync(dirname(join(root, "models", name)), { recursive: true });
    writeFileSync(join(root, "models", name), text);
  }
  const hasMigrations = Object.keys(files).length > 0;
  const config = {
    ...(hasMigrations
      ? { migrations: [{ path: "migrations", runner, ...(spec.version ? { version: spec.version } : {}) }] }
      : {}),
    ...(Object.keys(models).length > 0 ? { models: [{ path: "models", orm: "sqlalchemy" }] } : {}),
    ...spec.config,
  };
  writeFileSync(join(root, ".pg-index-lint.yml"), stringify(config));
  return root;
}

export async function checkRepo(spec: RepoSpec): Promise<CheckResult> {
  const root = writeRepo(spec);
  return check({ paths: [root] });
}

export interface ExpectedFinding {
  /** Line in the file where the finding starts. */
  line: number;
  /** File name as given in `files`; defaults to the only file. */
  file?: string;
  /** A piece of the message. */
  message?: string | RegExp;
}

export interface InvalidCase extends RepoSpec {
  name: string;
  errors: ExpectedFinding[];
  /** The rewritten statement the fix must carry, for the first finding. */
  fix?: string;
}

export interface ValidCase extends RepoSpec {
  name: string;
}
