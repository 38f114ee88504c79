/**
 * Test harness: writes a throwaway migrations repo and runs the real `check()` on it, so that
 * rule tests go through discovery, the runner's transaction model, replay and ignores.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, onTestFinished } from "vitest";
import { stringify } from "yaml";
import { type CheckResult, check } from "../src/check.js";
import { runner as runnerById } from "../src/sources/index.js";

export interface RepoSpec {
  /**
   * Migration files by path inside the migrations folder, in apply order; or one SQL text. Empty
   * with `models`: a models-only repo.
   */
  files: Record<string, string> | string;
  /** Model files by path inside a `models` folder, configured as `orm:` (default sqlalchemy). */
  models?: Record<string, string>;
  /** The ORM of `models`. */
  orm?: string;
  runner?: string;
  version?: string;
  /** Extra config keys (required-indexes, rules…). */
  config?: Record<string, unknown>;
}

/** Repositories written outside a test (in a describe body or a hook), removed when the file's tests end. */
const orphans: string[] = [];
afterAll(() => {
  for (const root of orphans.splice(0)) rmSync(root, { recursive: true, force: true });
});

/**
 * A throwaway directory, removed when the test that made it finishes (pass or fail), or when the
 * test file ends if it was made outside a test.
 */
export function scratchDir(prefix = "pg-index-lint-test-"): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  try {
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  } catch {
    orphans.push(root);
  }
  return root;
}

export function writeRepo(spec: RepoSpec): string {
  const root = scratchDir();
  const runner = spec.runner ?? "sql";
  // A lone example file takes the name the runner's own layout gives one.
  const files =
    typeof spec.files === "string" ? { [runnerById(runner).exampleFile]: spec.files } : spec.files;
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
    ...(Object.keys(models).length > 0
      ? { models: [{ path: "models", orm: spec.orm ?? "sqlalchemy" }] }
      : {}),
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
  /** Where the finding starts and ends in its file (1-based; the end column is exclusive). */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
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
