/** verify's text report on a long history: verdict and findings first, a short lock table, every line in the width. */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli.js";
import { writeRepo } from "../harness.js";
import { engineCases } from "../server.js";

const engines = engineCases({ args: [] as string[] }, (url) => ({ args: ["--database-url", url] }));

/** The CLI on a stdout that is a terminal `columns` wide, or not a terminal when undefined. */
async function cli(args: string[], columns?: number): Promise<string> {
  let stdout = "";
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        stdout += String(chunk);
        done();
      },
    }),
    columns ? { isTTY: true, columns } : {},
  );
  const stderr = new Writable({ write: (_c, _e, done) => done() });
  await main(args, { stdout: stream, stderr, env: { NO_COLOR: "1" } });
  return stdout;
}

const users = "20240101000000_create_the_users_table_with_a_long_name";
// User holds a row by the time the later migrations lock it: someone can be waiting on it.
const root = () =>
  writeRepo({
    runner: "prisma",
    version: "6.19.0",
    files: {
      [`${users}/migration.sql`]:
        'CREATE TABLE "User" (id int PRIMARY KEY, email text);\nCREATE TABLE "Team" (id int PRIMARY KEY);\nINSERT INTO "User" (id) VALUES (1);',
      "20240102000000_add_name/migration.sql": 'ALTER TABLE "User" ADD COLUMN name text;',
      "20240103000000_index/migration.sql": 'CREATE INDEX "User_email_idx" ON "User" (email);',
    },
  });

describe.each(engines)("verify's text report on $name", ({ args }) => {
  it("leads with the verdict and the findings, lists only the statements worth a look, named as Prisma names them", async () => {
    const dir = root();
    // A threshold no statement reaches: the table shows the blocking locks alone, whatever the timing.
    const out = await cli(["verify", dir, "--lock-threshold", "3600000", ...args]);
    const lines = out.split("\n");
    const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    const verdict = at(/^verify \S*migrations on /);
    expect(out.replace(/\s+/g, " ")).toMatch(/: 3 of 3 migrations applied /);
    const summary = at(/^✖ 1 error, 1 warning/);
    const firstFinding = at(/^warning\[/);
    const table = at(/^Statements that blocked writes to an existing table or held a lock/);
    expect(verdict).toBeGreaterThanOrEqual(0);
    expect(verdict).toBeLessThan(summary);
    expect(summary).toBeLessThan(firstFinding);
    expect(firstFinding).toBeLessThan(table);
    const header = lines.findIndex((l, i) => i > table && /^ {2}migration:line /.test(l));
    const rows = lines.slice(header + 1, at(/other statements? took only brief/));
    // The runner's name for the migration, not migration.sql alone; the new tables' statements left out.
    expect(rows.map((r) => r.trim().split(/\s+/)[0])).toEqual([
      "20240102000000_add_name/migration.sql:1",
      "20240103000000_index/migration.sql:1",
    ]);
    expect(out.replace(/\s+/g, " ")).toMatch(
      /3 other statements took only brief or non-blocking locks: --verbose lists them/,
    );

    const verbose = (await cli(["verify", dir, "--verbose", ...args])).split("\n");
    expect(verbose.join("\n")).not.toMatch(/other statements? took only brief/);
    const full = verbose.findIndex((l) => /^ {2}migration:line /.test(l));
    const listed = verbose
      .slice(full + 1)
      .filter((l) => /^ {2}\d/.test(l))
      .map((r) => r.trim().split(/\s+/)[0]);
    // Every statement, the new tables' too (a long name shortened in the middle, its line kept).
    expect(listed).toEqual([
      expect.stringMatching(/^20240101000000_\S*\/migration\.sql:1$/),
      expect.stringMatching(/^20240101000000_\S*\/migration\.sql:2$/),
      expect.stringMatching(/^20240101000000_\S*\/migration\.sql:3$/),
      "20240102000000_add_name/migration.sql:1",
      "20240103000000_index/migration.sql:1",
    ]);
    const threshold = await cli(["verify", dir, "--lock-threshold", "0", ...args]);
    expect(threshold.replace(/\s+/g, " ")).toMatch(/held a lock over 0 ms/);
    expect(threshold).toMatch(/\n {2}20240101000000_\S*\/migration\.sql:1 /);
  });

  it("keeps every line within the terminal's width, shortening paths in the middle, never the finding", async () => {
    const dir = root();
    for (const columns of [60, undefined]) {
      const out = await cli(["verify", dir, ...args], columns);
      const width = columns ?? 100;
      const over = out.split("\n").filter((l) => [...l].length > width);
      expect(over, `${width} columns`).toEqual([]);
      // The lock table shortens the long migration name in the middle, keeping its line number.
      if (columns) expect(out).toMatch(/\n {2}\d+…\S*\.sql:1 /);
      // The finding's words are all there, wrapped.
      const words = out.replace(/\s+/g, " ");
      expect(words).toMatch(
        /set a short lock_timeout|start the migration with SET lock_timeout \(a few seconds\), and retry it when it times out\./,
      );
    }
  });
});
