/** `pg-index-lint verify` end to end, through the CLI, on PGlite and (when configured) a server. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli-io.js";
import { scratchDir } from "../harness.js";

const serverUrl = process.env.PG_INDEX_LINT_TEST_DATABASE_URL || undefined;

const run = runCli;

function repo(files: Record<string, string>): string {
  const root = scratchDir("pil-verify-cli-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, ".."), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

async function scratchDatabases(): Promise<string[]> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      "SELECT datname FROM pg_database WHERE datname LIKE 'pg_index_lint_%'",
    );
    return rows.map((r) => r.datname as string);
  } finally {
    await client.end();
  }
}

const engines = [
  { name: "PGlite", args: [] as string[] },
  ...(serverUrl ? [{ name: "server", args: ["--database-url", serverUrl] }] : []),
];

describe.each(engines)("verify examples/factory-service on $name", ({ args }) => {
  it("shows the 25001 failure at its line, the locks, and which required indexes are proven or missing", async () => {
    const { code, stdout } = await run(["verify", "examples/factory-service", "--format", "json", ...args]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    const failed = report.findings.find((f: { rule: string }) => f.rule === "migration-failed");
    expect(failed).toMatchObject({
      file: "examples/factory-service/migrations/004_add_database_indexes.sql",
      line: 4,
      source: "verify",
    });
    expect(failed.message).toMatch(/SQLSTATE 25001/);
    expect(report.verify.database.kind).toBe(args.length ? "server" : "pglite");
    expect(report.verify.sets[0].differences).toBe(0);
    const created = report.verify.sets[0].migrations[0].statements[0];
    expect(created.locks.map((l: { mode: string }) => l.mode)).toContain("AccessExclusiveLock");
    expect(report.verify.coverage.map((c: { proof: string }) => c.proof)).toEqual([
      "missing",
      "missing",
      "missing",
      "missing",
      "missing",
    ]);
  }, 60_000);

  it("proves required indexes and shows the lock table in text", async () => {
    const root = repo({
      ".pg-index-lint.yml":
        "migrations: [{ path: m }]\nrequired-indexes:\n  - { table: t, columns: [a], query: 'SELECT * FROM t WHERE a = $1' }\n  - { table: t, columns: [b] }\n",
      "m/001.sql": "CREATE TABLE t (id int PRIMARY KEY, a int, b int);",
      "m/002.sql": "CREATE INDEX CONCURRENTLY t_a ON t (a);",
    });
    const { code, stdout } = await run(["verify", root, ...args]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/2 of 2 migrations applied/);
    expect(stdout).toMatch(
      /002\.sql:1 +[\d.]+ +CREATE INDEX CONCURRENTLY t_a ON t \(a\) +SHARE UPDATE EXCLUSIVE t/,
    );
    expect(stdout).toMatch(/t \(a\) +proven by t_a/);
    expect(stdout).toMatch(/t \(b\) +missing/);
    expect(stdout).toMatch(
      /→ (Index Scan|Bitmap Heap Scan) using t_a: served \(table empty: sequential scans disabled for the plan\)/,
    );
  }, 60_000);

  it("stops a statement at --statement-timeout with one clear line and exit 2", async () => {
    const root = repo({ "m/001.sql": "CREATE TABLE t (a int);\nSELECT pg_sleep(20);" });
    const { code, stderr } = await run(["verify", join(root, "m"), "--statement-timeout", "1", ...args]);
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(
      /001\.sql:2: the statement ran past --statement-timeout|PGlite was stopped by the statement timeout \(1000 ms\)/,
    );
    if (args.length) expect(await scratchDatabases()).toEqual([]);
  }, 60_000);
});

describe("verify adds to check's findings rather than repeating them", () => {
  it("puts the measured lock of a statement check already flags into that finding, not a blocking-lock", async () => {
    const root = repo({
      "m/001.sql": "CREATE TABLE t (id int PRIMARY KEY, c int);",
      "m/002.sql": "CREATE INDEX t_c ON t (c);",
    });
    const report = JSON.parse((await run(["verify", join(root, "m"), "--format", "json"])).stdout);
    expect(report.findings.map((f: { rule: string; line: number }) => `${f.rule}:${f.line}`)).toEqual([
      "require-concurrent-index-creation:1",
    ]);
    // The measurement is a field of its own; the finding's message stays check's.
    expect(report.findings[0].message).not.toMatch(/held it for/);
    expect(report.findings[0].measured).toMatch(/^SHARE on t, which blocks writes .* held it for [\d.]+ ms/);
  }, 60_000);
});

describe("verify and inline ignores", () => {
  it("lets an inline ignore silence a verify finding, and does not call it unused in check", async () => {
    const files = (ignore: string) =>
      repo({
        "m/001.sql": "CREATE TABLE t (id int PRIMARY KEY);",
        "m/002.sql": `${ignore}ALTER TABLE t ADD COLUMN note text;`,
      });
    const plain = JSON.parse((await run(["verify", join(files(""), "m"), "--format", "json"])).stdout);
    expect(plain.findings.map((f: { rule: string; line: number }) => `${f.rule}:${f.line}`)).toEqual([
      "blocking-lock:1",
    ]);
    const ignored = JSON.parse(
      (
        await run([
          "verify",
          join(files("-- pg-index-lint-ignore blocking-lock: adding a nullable column is instant\n"), "m"),
          "--format",
          "json",
        ])
      ).stdout,
    );
    expect(ignored.findings).toEqual([]);
  }, 60_000);
});

describe.runIf(serverUrl)("verify against a server", () => {
  it("drops the scratch database it opened while check ran, when check fails", async () => {
    const root = repo({
      ".pg-index-lint.yml": "required-indexes:\n  - { table: t, columns: [] }\n",
      "m/001.sql": "SELECT 1;",
    });
    const { code } = await run(["verify", root, "--database-url", serverUrl as string]);
    expect(code).toBe(2);
    expect(await scratchDatabases()).toEqual([]);
  }, 60_000);

  it("leaves no scratch database behind", async () => {
    await run(["verify", "examples/factory-service", "--database-url", serverUrl as string]);
    expect(await scratchDatabases()).toEqual([]);
  }, 60_000);

  it("gives one clear line and exit 2 for an unreachable server, with the password masked", async () => {
    const { code, stderr } = await run([
      "verify",
      "examples/factory-service",
      "--database-url",
      "postgres://u:s3cret@127.0.0.1:1/db",
    ]);
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).not.toContain("s3cret");
    expect(stderr).toContain("***");
  });

  it("gives one clear line and exit 2 for credentials the server refuses", async () => {
    const url = new URL(serverUrl as string);
    url.username = "no_such_role_pil";
    url.password = "pw";
    const { code, stderr } = await run([
      "verify",
      "examples/factory-service",
      "--database-url",
      url.toString(),
    ]);
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).not.toContain(":pw@");
  });
});
