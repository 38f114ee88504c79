/**
 * A repository cannot make the CLI read outside itself: a runner's files are read only when they
 * are regular files inside the repository once links are resolved, the config's paths stay inside
 * it, and a --changed-since value cannot reach git as an option. Each refusal is located, and
 * nothing from outside reaches any output.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, hostileRepo, SECRET, STACK } from "./cli.js";

const journal = (tags: string[]) =>
  `${JSON.stringify(
    {
      version: "7",
      dialect: "postgresql",
      entries: tags.map((tag, idx) => ({ idx, version: "7", when: 1, tag, breakpoints: true })),
    },
    null,
    2,
  )}\n`;

/** The line of a journal that holds a tag, counted in its text. */
const tagLine = (text: string, tag: string) =>
  text.split("\n").findIndex((l) => l.includes(`"tag": ${JSON.stringify(tag)}`)) + 1;

const FIRST = { "migrations/001_a.sql": "CREATE TABLE a (id int);\n" };

function expectNothingFromOutside(out: { stdout: string; stderr: string }): void {
  expect(out.stdout + out.stderr).not.toContain(SECRET);
  expect(out.stdout + out.stderr).not.toMatch(/root:x?:0:0/);
  expect(out.stderr).not.toMatch(STACK);
}

/** The findings of a `--format json` report. */
function findings(stdout: string): { rule: string; file: string; line: number; message: string }[] {
  return (JSON.parse(stdout) as { findings: { rule: string; file: string; line: number; message: string }[] })
    .findings;
}

describe("runner files are read only as regular files inside the repository", () => {
  it("refuses a Prisma migration.sql that is a link to /etc/passwd, at the file, without reading it", () => {
    const { root } = hostileRepo({
      "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
      "prisma/migrations/20240101000000_a/migration.sql": "CREATE TABLE a (id int);\n",
    });
    mkdirSync(join(root, "prisma/migrations/20240102000000_b"));
    symlinkSync("/etc/passwd", join(root, "prisma/migrations/20240102000000_b/migration.sql"));
    for (const format of ["json", "text"]) {
      const out = cli(root, ["check", "prisma/migrations", "--format", format]);
      expect(out.status).toBe(2);
      expectNothingFromOutside(out);
      if (format === "json") {
        const [finding, ...rest] = findings(out.stdout);
        expect(rest).toEqual([]);
        expect(finding).toMatchObject({
          rule: "unreadable-file",
          file: "prisma/migrations/20240102000000_b/migration.sql",
          line: 1,
        });
        expect(finding?.message).toContain("outside the repository");
      } else {
        expect(out.stdout).toContain("prisma/migrations/20240102000000_b/migration.sql:1:1");
      }
    }
  });

  it("refuses a plain SQL migration that links outside the repository, and reads one that links inside", () => {
    const { root, outside } = hostileRepo({
      ...FIRST,
      "shared/inside.sql": "NOT_SQL_BUT_INSIDE here;\n",
    });
    symlinkSync(join(outside, "secret.sql"), join(root, "migrations/002_out.sql"));
    symlinkSync(join(root, "shared/inside.sql"), join(root, "migrations/003_in.sql"));
    const out = cli(root, ["check", "migrations", "--format", "json"]);
    expect(out.status).toBe(2);
    expectNothingFromOutside(out);
    const found = findings(out.stdout);
    expect(found.find((f) => f.file === "migrations/002_out.sql")).toMatchObject({
      rule: "unreadable-file",
      line: 1,
    });
    // The link inside the repository was read: its syntax error quotes its text.
    expect(found.find((f) => f.file === "migrations/003_in.sql")).toMatchObject({ rule: "syntax-error" });
    expect(out.stdout).toContain("NOT_SQL_BUT_INSIDE");
  });

  it("refuses a migration whose folder is a link outside the repository, though the file itself is no link", () => {
    const { root, outside } = hostileRepo({
      "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
      "prisma/migrations/20240101000000_a/migration.sql": "CREATE TABLE a (id int);\n",
    });
    writeFileSync(join(outside, "migration.sql"), `CREATE TABLE ${SECRET} (id int);\n`);
    symlinkSync(outside, join(root, "prisma/migrations/20240102000000_b"));
    const out = cli(root, ["check", "prisma/migrations", "--format", "json"]);
    expectNothingFromOutside(out);
    expect(out.status).toBe(2);
    const [finding, ...rest] = findings(out.stdout);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      rule: "unreadable-file",
      file: "prisma/migrations/20240102000000_b/migration.sql",
    });
    expect(finding?.message).toContain("outside the repository");
  });

  it("refuses a FIFO among the migrations without opening it (opening one would block)", () => {
    const { root } = hostileRepo(FIRST);
    execFileSync("mkfifo", [join(root, "migrations/002_fifo.sql")]);
    for (const format of ["json", "text"]) {
      const out = cli(root, ["check", "migrations", "--format", format]);
      expect(out.status).toBe(2);
      expect(out.stderr).not.toMatch(STACK);
      if (format === "json")
        expect(findings(out.stdout)).toEqual([
          expect.objectContaining({ rule: "unreadable-file", file: "migrations/002_fifo.sql", line: 1 }),
        ]);
      else expect(out.stdout).toContain("This is a FIFO, not a regular file");
    }
  });

  it("refuses a migration that is a link to /dev/zero, and a Drizzle entry that is one", () => {
    const sql = hostileRepo(FIRST).root;
    symlinkSync("/dev/zero", join(sql, "migrations/002_zero.sql"));
    const drizzle = hostileRepo({
      "drizzle/meta/_journal.json": journal(["0000_a", "0001_zero"]),
      "drizzle/0000_a.sql": "CREATE TABLE a (id int);\n",
    }).root;
    symlinkSync("/dev/zero", join(drizzle, "drizzle/0001_zero.sql"));
    for (const [root, folder, file] of [
      [sql, "migrations", "migrations/002_zero.sql"],
      [drizzle, "drizzle", "drizzle/0001_zero.sql"],
    ] as const) {
      const out = cli(root, ["check", folder, "--format", "json"]);
      expect(out.status).toBe(2);
      expect(findings(out.stdout)).toEqual([
        expect.objectContaining({ rule: "unreadable-file", file, line: 1 }),
      ]);
    }
  });

  it("refuses a Drizzle journal tag with ../ at the journal's line, before looking the file up", () => {
    const text = journal(["0000_a", "../../outside/secret"]);
    expect(tagLine(text, "../../outside/secret")).toBeGreaterThan(1);
    const { root } = hostileRepo({
      "drizzle/meta/_journal.json": text,
      "drizzle/0000_a.sql": "CREATE TABLE a (id int);\n",
    });
    const out = cli(root, ["check", "drizzle"]);
    expect(out.status).toBe(2);
    expectNothingFromOutside(out);
    expect(out.stderr.trim().split("\n")).toEqual([
      `pg-index-lint: drizzle/meta/_journal.json:${tagLine(text, "../../outside/secret")}: journal entry "../../outside/secret" is not a file name in this folder (a tag may not contain "/", "\\" or be ".."), so it was not read`,
    ]);
  });

  it("refuses a Drizzle journal tag that names a directory, at the journal's line", () => {
    const text = journal(["0000_a", "0001_dir"]);
    const { root } = hostileRepo({
      "drizzle/meta/_journal.json": text,
      "drizzle/0000_a.sql": "CREATE TABLE a (id int);\n",
    });
    mkdirSync(join(root, "drizzle/0001_dir.sql"));
    const out = cli(root, ["check", "drizzle", "--format", "json"]);
    expect(out.status).toBe(2);
    expect(out.stdout).toBe("");
    expect(out.stderr.trim().split("\n")).toEqual([
      `pg-index-lint: drizzle/meta/_journal.json:${tagLine(text, "0001_dir")}: journal entry "0001_dir" names "0001_dir.sql", which is a directory, not a file (drizzle's migrator fails on it)`,
    ]);
  });
});

describe("the config's paths stay inside the repository", () => {
  const cases: [string, (outside: string) => string, string, number][] = [
    [
      "a migrations folder that is a link out",
      () => "migrations:\n  - path: db\n",
      'migrations path "db"',
      2,
    ],
    [
      "a migrations path with ..",
      () => "migrations:\n  - path: ../outside\n",
      'migrations path "../outside"',
      2,
    ],
    [
      "an absolute base file outside",
      (outside) => `migrations:\n  - path: migrations\n    base: ${join(outside, "secret.sql")}\n`,
      "base ",
      3,
    ],
    [
      "a models path with ..",
      () => "models:\n  - path: ../outside\n    orm: sqlalchemy\n",
      'models path "../outside"',
      2,
    ],
  ];
  for (const [name, config, what, line] of cases) {
    it(`refuses ${name}, at its line in the config`, () => {
      const { root, outside } = hostileRepo(FIRST);
      symlinkSync(outside, join(root, "db"));
      writeFileSync(join(root, ".pg-index-lint.yml"), config(outside));
      const out = cli(root, ["check"]);
      expect(out.status).toBe(2);
      expectNothingFromOutside(out);
      const lines = out.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^pg-index-lint: \\.pg-index-lint\\.yml:${line}: `));
      expect(lines[0]).toContain(what);
      expect(lines[0]).toContain("leads outside the repository");
    });
  }
});

describe("--changed-since cannot reach git as an option", () => {
  it("refuses a value that starts with -, and git writes no file", () => {
    const { root } = hostileRepo(FIRST);
    const out = cli(root, ["check", "migrations", "--changed-since=--output=WRITTEN"]);
    expect(out.status).toBe(2);
    expect(out.stderr.trim()).toBe(
      'pg-index-lint: --changed-since takes a git revision, not "--output=WRITTEN"',
    );
    expect(existsSync(join(root, "WRITTEN"))).toBe(false);
  });
});
