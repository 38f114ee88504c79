/**
 * Shared by the security tests: the test server (PG_INDEX_LINT_TEST_DATABASE_URL), privileged
 * helpers that check it from outside a run, and throwaway repositories for verify().
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect } from "vitest";

export const serverUrl = process.env.PG_INDEX_LINT_TEST_DATABASE_URL || undefined;

/** Says once per file why its server tests are skipped. */
export function sayWhyServerTestsSkip(what: string): void {
  if (!serverUrl)
    console.log(`skipping the server tests of ${what}: PG_INDEX_LINT_TEST_DATABASE_URL is not set`);
}

export const engines = [
  { name: "PGlite", url: undefined as string | undefined },
  ...(serverUrl ? [{ name: "server", url: serverUrl }] : []),
];

/** The test server's URL with another user, password or database. */
export function serverWith(parts: { user?: string; password?: string; database?: string }): string {
  const url = new URL(serverUrl ?? "postgres://postgres@127.0.0.1:5432/postgres");
  if (parts.user) url.username = parts.user;
  if (parts.password) url.password = parts.password;
  if (parts.database) url.pathname = `/${parts.database}`;
  return url.toString();
}

/** Runs `fn` on a new privileged session of the test server (to `database`, default the URL's). */
export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>, database?: string): Promise<T> {
  const client = new pg.Client({ connectionString: database ? serverWith({ database }) : serverUrl });
  client.on("error", () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function databaseExists(name: string): Promise<boolean> {
  return withAdmin(
    async (c) => (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1,
  );
}

export async function roleExists(name: string): Promise<boolean> {
  return withAdmin(
    async (c) => (await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name])).rowCount === 1,
  );
}

/**
 * Every role on the server but verify's throwaway ones, to prove that a run added none. Other
 * runs on the same server (the other test files run in parallel, a developer's own verify) make
 * and drop throwaway roles of their own meanwhile; whether a run dropped its own is asked of
 * `scratchObjects` by name.
 */
export async function roleNames(): Promise<string[]> {
  return withAdmin(async (c) =>
    (
      await c.query<{ rolname: string }>(
        "SELECT rolname FROM pg_roles WHERE rolname !~ '^pgindexlint_[0-9]{10}_' ORDER BY 1",
      )
    ).rows.map((r) => r.rolname),
  );
}

/** The scratch databases and roles on the server whose creation-time names carry `suffix`. */
export async function scratchObjects(): Promise<string[]> {
  return withAdmin(async (c) =>
    (
      await c.query<{ name: string }>(
        `SELECT 'database ' || datname AS name FROM pg_database WHERE datname ~ '^pg_index_lint_[0-9]{10}_'
         UNION ALL SELECT 'role ' || rolname FROM pg_roles WHERE rolname ~ '^pgindexlint_[0-9]{10}_' ORDER BY 1`,
      )
    ).rows.map((r) => r.name),
  );
}

/**
 * A repository with a config and migrations in m/, for verify(). `files`: migration files in
 * apply order; `config`: extra YAML after the migrations line.
 */
export function repo(files: Record<string, string>, config = ""): string {
  const root = mkdtempSync(join(tmpdir(), "pil-security-"));
  mkdirSync(join(root, "m"));
  writeFileSync(join(root, ".pg-index-lint.yml"), `migrations: [{ path: m }]\n${config}`);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, "m", name), text);
  return root;
}

/** The error a promise rejects with. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

/**
 * Fails the file's tests if any promise rejection goes unhandled while they run: Node ends the
 * process on one by default (--unhandled-rejections=throw), which in the CLI would skip cleanup.
 */
export function failOnUnhandledRejections(): void {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => {
    seen.push(reason);
  };
  beforeAll(() => {
    process.on("unhandledRejection", listener);
  });
  afterAll(async () => {
    // Rejections are reported after the microtask queue drains: give them a turn of the loop.
    await new Promise((resolve) => setImmediate(resolve));
    process.off("unhandledRejection", listener);
    expect(seen.map((r) => (r instanceof Error ? r.message : String(r)))).toEqual([]);
  });
}
