/**
 * Runs the built CLI (bin/pg-index-lint.js, after `npm run build`) on a throwaway repository, for
 * the tests of what a hostile or broken repository gets out of it: exit codes, stdout and stderr.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { scratchDir } from "../harness.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "pg-index-lint.js");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A repository (with a `.git` folder, so that its root is known) holding `files`, and a folder
 * beside it, `outside`, holding a secret the repository must not reach.
 */
export function hostileRepo(files: Record<string, string>): { root: string; outside: string } {
  const base = scratchDir("pil-paths-");
  const root = join(base, "repo");
  const outside = join(base, "outside");
  mkdirSync(join(root, ".git"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, "secret.sql"), `${SECRET} is what nobody may read;\n`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { root, outside };
}

/** The text in the file outside the repository: no output may carry it. */
export const SECRET = "TOPSECRET_OUTSIDE";

/**
 * Runs the CLI in `cwd`. The limit on time only ends a run that hangs (a FIFO read blocks
 * forever) so that the test fails on its status instead of never finishing; it is not a measure.
 */
export function cli(cwd: string, args: string[], options: { uid?: number; gid?: number } = {}): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", GITHUB_WORKSPACE: "", PG_INDEX_LINT_DATABASE_URL: "" },
    maxBuffer: 1 << 28,
    timeout: 600_000,
    ...options,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A stack frame line, as Node prints them: no bad input may show one. */
export const STACK = /^\s+at .+\(.+:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m;
