/** `pg-index-lint verify` end to end, through the CLI, on PGlite and (when configured) a server. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli-io.js";
import { scratchDir } from "../harness.js";
import { engineCases, SERVER_SKIPPED, serverSuite, serverUrl } from "../server.js";

const run = runCli;

function repo(files: Record<string, string>): string {
  const root = scratchDir("pil-verify-cli-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, ".."), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

/**
 * The scratch databases a run named in its first note lines that still exist. Other runs on the
 * same server (other test files, other checkouts) have scratch databases of their own: only this
 * run's count.
 */
async function scratchLeft(stderr: string): Promise<string[]> {
  const names = [...stderr.matchAll(/scratch database (pg_index_lint_\w+)/g)].map((m) => m[1] as string);
  expect(names.length).toBeGreaterThan(0);
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT datname FROM pg_database WHERE datname = ANY($1)", [names]);
    return rows.map((r) => r.datname as string);
  } finally {
    await client.end();
  }
}

/** stderr without the note lines verify writes about its database: what is left is the error. */
const errorLines = (stderr: string) =>
  stderr
    .trim()
    .split("\n")
    .filter((line) => !line.startsWith("pg-index-lint note: "));

const engines = engineCases({ args: [] as string[] }, (url) => ({ args: ["--database-url", url] }));
it.skipIf(serverUrl)(`runs the verify tests on a server too (${SERVER_SKIPPED})`, () => {});

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
  });

  it("proves required indexes and shows the lock table in text", async () => {
    const root = repo({
      ".pg-index-lint.yml":
        "migrations: [{ path: m }]\nrequired-indexes:\n  - { table: t, columns: [a], query: 'SELECT * FROM t WHERE a = $1' }\n  - { table: t, columns: [b] }\n",
      "m/001.sql": "CREATE TABLE t (id int PRIMARY KEY, a int, b int);",
      "m/002.sql": "CREATE INDEX CONCURRENTLY t_a ON t (a);",
    });
    // --verbose: the full trace, the lock that blocks no writes too.
    const { code, stdout } = await run(["verify", root, "--verbose", ...args]);
    expect(code).toBe(1);
    expect(stdout.replace(/\s+/g, " ")).toMatch(/2 of 2 migrations applied/);
    expect(stdout).toMatch(
      /002\.sql:1 +[\d.]+ +CREATE INDEX CONCURRENTLY t_a ON t \(a\) +SHARE UPDATE EXCLUSIVE t/,
    );
    expect(stdout).toMatch(/t \(a\) +proven by t_a/);
    expect(stdout).toMatch(/t \(b\) +missing/);
    expect(stdout).toMatch(
      /→ (Index Scan|Bitmap Heap Scan) using t_a: served \(table empty: sequential scans disabled for the plan\)/,
    );
  });

  it("stops a statement at --statement-timeout with one clear line and exit 2", async () => {
    const root = repo({ "m/001.sql": "CREATE TABLE t (a int);\nSELECT pg_sleep(20);" });
    const { code, stderr } = await run(["verify", join(root, "m"), "--statement-timeout", "1", ...args]);
    expect(code).toBe(2);
    expect(errorLines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(
      /001\.sql:2: the statement ran past --statement-timeout|PGlite was stopped by the statement timeout \(1000 ms\)/,
    );
    if (args.length) expect(await scratchLeft(stderr)).toEqual([]);
  });
});

type JsonFinding = { rule: string; file: string; line: number; message: string; source: string };

describe.each(engines)("each verify rule and limit fires on $name", ({ args }) => {
  const findings = (stdout: string): JsonFinding[] => JSON.parse(stdout).findings;

  it("--keep-going applies the migrations after a failure; without it they are not applied", async () => {
    const root = repo({
      "m/001.sql": "CREATE TABLE t (id int PRIMARY KEY);",
      "m/002.sql": "INSERT INTO no_such_table VALUES (1);",
      "m/003.sql": "CREATE TABLE u (id int);",
    });
    const stopped = await run(["verify", join(root, "m"), "--format", "json", ...args]);
    const failed = findings(stopped.stdout).find((f) => f.rule === "migration-failed");
    expect(failed?.message).toMatch(
      /SQLSTATE 42P01\)\. The runner stops here: 1 later migration was not applied\./,
    );
    expect(
      JSON.parse(stopped.stdout).verify.sets[0].migrations.map((m: { status: string }) => m.status),
    ).toEqual(["applied", "failed", "not-reached"]);
    const going = await run(["verify", join(root, "m"), "--format", "json", "--keep-going", ...args]);
    expect(findings(going.stdout).find((f) => f.rule === "migration-failed")?.message).toMatch(
      /--keep-going applied the later migrations anyway/,
    );
    expect(
      JSON.parse(going.stdout).verify.sets[0].migrations.map((m: { status: string }) => m.status),
    ).toEqual(["applied", "failed", "applied"]);
  });

  it("--timeout stops before the next migration once the budget is spent, and exits 2 saying so", async () => {
    const root = repo({
      "m/001.sql": "SELECT pg_sleep(1.5);",
      "m/002.sql": "CREATE TABLE t (id int);",
    });
    const { code, stdout, stderr } = await run([
      "verify",
      join(root, "m"),
      "--format",
      "json",
      "--timeout",
      "0.5",
      ...args,
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/verify ran out of time \(--timeout\)/);
    const report = JSON.parse(stdout);
    expect(report.verify.timedOut).toBe(true);
    // However busy the machine, the migration after the budget ran out was never started.
    expect(report.verify.sets[0].migrations.at(-1).status).toBe("not-reached");
    if (args.length) expect(await scratchLeft(stderr)).toEqual([]);
  });

  it("required-index-not-used: the probe is planned with another index", async () => {
    const root = repo({
      ".pg-index-lint.yml":
        "migrations: [{ path: m }]\nrequired-indexes:\n  - { table: t, columns: [a], query: 'SELECT * FROM t WHERE b = $1' }\n",
      "m/001.sql":
        "CREATE TABLE t (id int PRIMARY KEY, a int, b int);\nCREATE INDEX t_a ON t (a);\nCREATE INDEX t_b ON t (b);",
    });
    const { code, stdout } = await run(["verify", root, "--format", "json", ...args]);
    expect(code).toBe(0);
    const found = findings(stdout).filter((f) => f.rule === "required-index-not-used");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      file: expect.stringMatching(/\.pg-index-lint\.yml$/),
      line: 3,
      source: "verify",
    });
    expect(found[0]?.message).toMatch(/using t_b, not with an index on the required columns/);
  });

  it("invalid-index: an index ON ONLY a partitioned table that no partition index is attached to", async () => {
    const root = repo({
      "m/001.sql":
        "CREATE TABLE m (id int, at date) PARTITION BY RANGE (at);\nCREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
      "m/002.sql": "CREATE INDEX m_at ON ONLY m (at);",
    });
    const { stdout } = await run(["verify", join(root, "m"), "--format", "json", ...args]);
    const found = findings(stdout).filter((f) => f.rule === "invalid-index");
    expect(found.map((f) => `${f.file.split("/").pop()}:${f.line}`)).toEqual(["002.sql:1"]);
    expect(found[0]?.message).toMatch(/Index "m_at" on m exists but is not valid/);
  });

  it("applies the base schema first, so that the migrations find the tables they start from", async () => {
    const root = repo({
      ".pg-index-lint.yml": "migrations: [{ path: m, base: schema.sql }]\n",
      "schema.sql":
        "\\restrict abc\nCREATE TABLE public.users (id bigint PRIMARY KEY, email text);\n\\unrestrict abc\n",
      "m/001.sql": "CREATE INDEX CONCURRENTLY users_email ON users (email);",
    });
    const { code, stdout } = await run(["verify", root, "--format", "json", ...args]);
    const report = JSON.parse(stdout);
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    expect(report.verify.sets[0].differences).toBe(0);
  });

  it("verifies each migrations entry in a database of its own: two services' same-named tables do not meet", async () => {
    // billing and shop are two services' databases; each has its own accounts table. Applied into
    // one database, shop's IF NOT EXISTS would keep billing's columns and the replay would not match.
    const root = repo({
      ".pg-index-lint.yml":
        "migrations:\n  - { path: billing, runner: golang-migrate }\n  - { path: shop, runner: golang-migrate }\n",
      "billing/1_accounts.up.sql": "CREATE TABLE accounts (id int PRIMARY KEY, iban text NOT NULL);",
      "shop/1_accounts.up.sql":
        "CREATE TABLE IF NOT EXISTS accounts (id bigint PRIMARY KEY, email text NOT NULL);",
      "shop/2_email.up.sql": "CREATE UNIQUE INDEX CONCURRENTLY accounts_email ON accounts (email);",
    });
    const { code, stdout, stderr } = await run(["verify", root, "--format", "json", ...args]);
    const report = JSON.parse(stdout);
    expect(findings(stdout).map((f) => `${f.rule} ${f.file}:${f.line} ${f.message}`)).toEqual([]);
    expect(
      report.verify.sets.map((s: { path: string; differences: number }) => [
        s.path.split("/").pop(),
        s.differences,
      ]),
    ).toEqual([
      ["billing", 0],
      ["shop", 0],
    ]);
    expect(code).toBe(0);
    if (args.length) {
      const names = new Set([...stderr.matchAll(/scratch database (pg_index_lint_\w+)/g)].map((m) => m[1]));
      expect(names.size).toBe(2);
      expect(await scratchLeft(stderr)).toEqual([]);
    }
  });

  it("replay-mismatch: a table a function creates, which the replay cannot see", async () => {
    const root = repo({
      "m/001.sql":
        "CREATE FUNCTION make_hidden() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'CREATE TABLE hidden (id int)'; END $$;\nSELECT make_hidden();",
    });
    const { stdout } = await run(["verify", join(root, "m"), "--format", "json", ...args]);
    const found = findings(stdout).filter((f) => f.rule === "replay-mismatch");
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toMatch(/The database has table hidden; the replay does not predict it\./);
  });

  it("partitions a function makes at run time of a partitioned table the replay knows are a note, not mismatches", async () => {
    const root = repo({
      "m/001.sql": [
        "CREATE TABLE events (id bigint, at date NOT NULL, kind text NOT NULL) PARTITION BY RANGE (at);",
        "CREATE INDEX events_at ON events (at);",
        // One partition per day, sub-partitioned by kind, made by a function, as a queue service does.
        "CREATE FUNCTION make_day(d date) RETURNS void LANGUAGE plpgsql AS $$ BEGIN",
        "  EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L) PARTITION BY LIST (kind)', 'events_' || to_char(d, 'YYYYMMDD'), d, d + 1);",
        "  EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES IN (''a'')', 'events_' || to_char(d, 'YYYYMMDD') || '_a', 'events_' || to_char(d, 'YYYYMMDD'));",
        "END $$;",
        "SELECT make_day('2026-01-01');",
        "SELECT make_day('2026-01-02');",
        "CREATE FUNCTION make_stray() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'CREATE TABLE stray (id int)'; END $$;",
        "SELECT make_stray();",
      ].join("\n"),
    });
    const { stdout, stderr } = await run(["verify", join(root, "m"), "--format", "json", ...args]);
    // The stray table is still one: nothing the replay knows explains it.
    expect(
      findings(stdout)
        .filter((f) => f.rule === "replay-mismatch")
        .map((f) => f.message),
    ).toEqual([expect.stringMatching(/The database has table stray; the replay does not predict it\./)]);
    expect(stderr).toMatch(
      /pg-index-lint note: .*the database has 4 partitions of events that no statement the replay reads creates \(events_20260101, /,
    );
  });
});

describe("verify adds to check's findings rather than repeating them", () => {
  it("puts the measured lock of a statement check already flags into that finding, not a blocking-lock", async () => {
    // t holds a row before the index is built: someone can be waiting on it.
    const root = repo({
      "m/001.sql": "CREATE TABLE t (id int PRIMARY KEY, c int);\nINSERT INTO t VALUES (1, 1);",
      "m/002.sql": "CREATE INDEX t_c ON t (c);",
    });
    const report = JSON.parse((await run(["verify", join(root, "m"), "--format", "json"])).stdout);
    expect(report.findings.map((f: { rule: string; line: number }) => `${f.rule}:${f.line}`)).toEqual([
      "require-concurrent-index-creation:1",
    ]);
    // The measurement is a field of its own; the finding's message stays check's.
    expect(report.findings[0].message).not.toMatch(/held it for/);
    expect(report.findings[0].measured).toMatch(/^SHARE on t, which blocks writes .* held it for [\d.]+ ms/);
  });
});

describe("verify and inline ignores", () => {
  it("lets an inline ignore silence a verify finding, and does not call it unused in check", async () => {
    // t comes from the base schema: it is in production before the migrations.
    const files = (ignore: string) =>
      repo({
        ".pg-index-lint.yml": "migrations: [{ path: m, base: schema.sql }]\n",
        "schema.sql": "CREATE TABLE t (id int PRIMARY KEY);",
        "m/002.sql": `${ignore}ALTER TABLE t ADD COLUMN note text;`,
      });
    const plain = JSON.parse((await run(["verify", files(""), "--format", "json"])).stdout);
    expect(plain.findings.map((f: { rule: string; line: number }) => `${f.rule}:${f.line}`)).toEqual([
      "blocking-lock:1",
    ]);
    const ignored = JSON.parse(
      (
        await run([
          "verify",
          files("-- pg-index-lint-ignore blocking-lock: adding a nullable column is instant\n"),
          "--format",
          "json",
        ])
      ).stdout,
    );
    expect(ignored.findings).toEqual([]);
  });
});

describe.runIf(serverUrl)(serverSuite("verify against a server"), () => {
  it("drops the scratch database it opened while check ran, when check fails", async () => {
    const root = repo({
      ".pg-index-lint.yml": "required-indexes:\n  - { table: t, columns: [] }\n",
      "m/001.sql": "SELECT 1;",
    });
    const { code, stderr } = await run(["verify", root, "--database-url", serverUrl as string]);
    expect(code).toBe(2);
    expect(await scratchLeft(stderr)).toEqual([]);
  });

  it("leaves no scratch database behind", async () => {
    const { stderr } = await run([
      "verify",
      "examples/factory-service",
      "--database-url",
      serverUrl as string,
    ]);
    expect(await scratchLeft(stderr)).toEqual([]);
  });

  it("gives one clear line and exit 2 for an unreachable server, with the password masked", async () => {
    const { code, stderr } = await run([
      "verify",
      "examples/factory-service",
      "--database-url",
      "postgres://u:s3cret@127.0.0.1:1/db",
    ]);
    expect(code).toBe(2);
    expect(errorLines(stderr)).toHaveLength(1);
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
    expect(errorLines(stderr)).toHaveLength(1);
    expect(stderr).not.toContain(":pw@");
  });
});
