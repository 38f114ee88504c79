/**
 * Bad input is never a crash: each case below gets a located line and exit 2 (or no complaint at
 * all where there is nothing wrong), never a stack trace, exit 1 or 3, "[object Object]", or a
 * --format json that is not JSON. Run through the built CLI.
 */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, hostileRepo, STACK } from "./cli.js";
import { sayWhyServerTestsSkip, serverUrl } from "./server.js";

interface JsonFinding {
  rule: string;
  severity: string;
  file: string;
  line: number;
  message: string;
}

function report(stdout: string): { findings: JsonFinding[] } {
  return JSON.parse(stdout) as { findings: JsonFinding[] };
}

function expectNoCrash(out: { stdout: string; stderr: string }): void {
  expect(out.stderr).not.toMatch(STACK);
  expect(out.stderr).not.toContain("internal error");
  expect(out.stdout + out.stderr).not.toContain("[object Object]");
  expect(out.stdout + out.stderr).not.toContain("Terminating process");
}

const TABLE = { "migrations/001_a.sql": "CREATE TABLE a (id int);\n" };

describe("files that cannot be read or parsed", () => {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root) console.log("the unreadable-file case runs the CLI as uid 65534 (nobody): root reads any file");

  it("reports a file it may not read (EACCES) at the file, and exits 2", () => {
    const { root: dir } = hostileRepo({ ...TABLE, "migrations/002_b.sql": "CREATE TABLE b (id int);\n" });
    // The repository must be readable by the user that runs the CLI, all but the one file.
    chmodSync(join(dir, ".."), 0o755);
    const file = join(dir, "migrations/002_b.sql");
    chmodSync(file, 0o000);
    const out = cli(dir, ["check", "migrations", "--format", "json"], root ? { uid: 65534, gid: 65534 } : {});
    expectNoCrash(out);
    expect(out.status).toBe(2);
    expect(report(out.stdout).findings).toEqual([
      expect.objectContaining({ rule: "unreadable-file", file: "migrations/002_b.sql", line: 1 }),
    ]);
    expect(report(out.stdout).findings[0]?.message).toContain("EACCES");
  });

  it("reports a 2,000-term expression at its line (exit 2), and checks a 200-term one", () => {
    const terms = (n: number) => Array.from({ length: n }, () => "id").join(" + ");
    const { root: dir } = hostileRepo({
      ...TABLE,
      "migrations/002_sum.sql": `SELECT ${terms(200)} FROM a;\nCREATE INDEX a_sum ON a ((${terms(200)}));\n`,
    });
    const fine = cli(dir, ["check", "migrations", "--format", "json"]);
    expectNoCrash(fine);
    expect(report(fine.stdout).findings.map((f) => f.rule)).toEqual(["require-concurrent-index-creation"]);
    for (const statement of [
      `SELECT ${terms(2000)} FROM a;`,
      `CREATE INDEX a_deep ON a ((${terms(2000)}));`,
    ]) {
      writeFileSync(join(dir, "migrations/003_deep.sql"), `-- deep\n${statement}\n`);
      for (const format of ["json", "text"]) {
        const deep = cli(dir, ["check", "migrations", "--format", format]);
        expectNoCrash(deep);
        expect(deep.status).toBe(2);
        if (format === "text") {
          expect(deep.stdout).toContain("migrations/003_deep.sql:2:1");
          continue;
        }
        const found = report(deep.stdout).findings.filter((f) => f.file === "migrations/003_deep.sql");
        expect(found).toHaveLength(1);
        expect(found[0]).toMatchObject({ rule: "syntax-error", line: 2 });
        expect(found[0]?.message).toMatch(/^SQL too deeply nested to read/);
      }
    }
  });

  it("says nothing about an empty .sql file", () => {
    const { root: dir } = hostileRepo({ ...TABLE, "migrations/002_empty.sql": "" });
    const out = cli(dir, ["check", "migrations", "--format", "json"]);
    expectNoCrash(out);
    expect(out.status).toBe(0);
    expect(report(out.stdout).findings).toEqual([]);
  });

  it("skips a 25 MB INSERT with a located note, keeps the JSON valid, and checks the rest of the file", () => {
    const row = "(1,2,3,4,5,6,7,8,9,0)";
    const rows = Array.from({ length: Math.ceil(25e6 / (row.length + 1)) }, () => row).join(",");
    const { root: dir } = hostileRepo({
      "migrations/001_a.sql":
        "CREATE TABLE a (a int, b int, c int, d int, e int, f int, g int, h int, i int, j int);\n",
      "migrations/002_seed.sql": `-- seed\nINSERT INTO a VALUES ${rows};\nCREATE INDEX a_b ON a (b);\n`,
    });
    const out = cli(dir, ["check", "migrations", "--format", "json"]);
    expectNoCrash(out);
    const findings = report(out.stdout).findings.filter((f) => f.file === "migrations/002_seed.sql");
    expect(findings.map((f) => [f.rule, f.line])).toEqual([
      // The index after the INSERT was read and checked (a table with rows, no CONCURRENTLY).
      ["require-concurrent-index-creation", 3],
      ["unsupported-construct", 2],
    ]);
    expect(findings.find((f) => f.rule === "unsupported-construct")?.message).toContain(
      "1 INSERT statement (data, from here on) was not parsed",
    );
    expect(out.status).toBe(1);
  });
});

describe("a config that bombs", () => {
  it("refuses a YAML alias bomb (billion laughs) at the config's line, with exit 2", () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const name = String.fromCharCode(97 + i);
      const previous = `*${String.fromCharCode(96 + i)}`;
      lines.push(`${name}: &${name} [${Array.from({ length: 9 }, () => previous).join(",")}]`);
    }
    const { root: dir } = hostileRepo({ ...TABLE, ".pg-index-lint.yml": `${lines.join("\n")}\n` });
    const out = cli(dir, ["check", "migrations"]);
    expectNoCrash(out);
    expect(out.status).toBe(2);
    expect(out.stderr.trim().split("\n")).toEqual([
      "pg-index-lint: .pg-index-lint.yml:2: invalid YAML: Excessive alias count indicates a resource exhaustion attack; write the settings out instead of repeating them through aliases",
    ]);
  });
});

describe("valid Python in an Alembic revision", () => {
  const revision = (body: string) =>
    `revision = "a1"\ndown_revision = None\nfrom alembic import op\nimport sqlalchemy as sa\n\n${body}\n\ndef downgrade():\n    pass\n`;

  it("reads a bare yield and other valid Python, and still checks the operations", () => {
    const { root: dir } = hostileRepo({
      "alembic/env.py": "from alembic import context\n",
      "alembic/versions/001_a.py": revision(
        [
          "def rows():",
          "    x = yield",
          "    yield",
          "    values = lambda: (yield)",
          "    yield from range(3)",
          "",
          "async def later():",
          "    async with lock() as held:",
          "        await held",
          "",
          "def upgrade():",
          '    note = "yield"  # yield',
          "    match note:",
          '        case "yield" | None:',
          "            pass",
          '    op.create_table("a", sa.Column("id", sa.Integer, primary_key=True), sa.Column("b_id", sa.Integer))',
          '    op.create_table("b", sa.Column("id", sa.Integer, primary_key=True))',
          '    op.create_foreign_key("a_b", "a", "b", ["b_id"], ["id"])',
          "    print(*[1], **{})",
        ].join("\n"),
      ),
    });
    const out = cli(dir, ["check", "alembic", "--format", "json"]);
    expectNoCrash(out);
    const rules = report(out.stdout).findings.map((f) => f.rule);
    expect(rules).not.toContain("syntax-error");
    // The operations after the yields were read: the foreign key has no index.
    expect(rules).toContain("unindexed-foreign-key");
  });
});

sayWhyServerTestsSkip("SET statement_timeout in a migration");

describe("SET statement_timeout = 1 in a migration under verify", () => {
  const migration = {
    "migrations/001_a.sql":
      "SET statement_timeout = 1;\nCREATE TABLE a (id int);\nINSERT INTO a SELECT g FROM generate_series(1, 300000) g;\nCREATE INDEX a_id ON a (id);\n",
  };

  it.skipIf(!serverUrl)("server: the cancelled statement is one located migration-failed, exit 2", () => {
    const { root: dir } = hostileRepo(migration);
    const out = cli(dir, ["verify", "migrations", "--format", "json", "--database-url", serverUrl as string]);
    expectNoCrash(out);
    expect(out.status).toBe(2);
    const failed = report(out.stdout).findings.filter((f) => f.rule === "migration-failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ file: "migrations/001_a.sql" });
    expect(failed[0]?.message).toContain("statement timeout");
  });

  it("PGlite: no crash, and the migration applies (the embedded backend's timer never fires)", () => {
    // PGlite runs the backend in this process with no SIGALRM, so the session's own
    // statement_timeout does not cancel anything there; verify's --statement-timeout, enforced from
    // outside, is what bounds a statement on both engines (test/security/time-limits.test.ts).
    const { root: dir } = hostileRepo(migration);
    const out = cli(dir, ["verify", "migrations", "--format", "json"]);
    expectNoCrash(out);
    expect(out.status).toBe(0);
    expect(report(out.stdout).findings).toEqual([]);
  });
});
