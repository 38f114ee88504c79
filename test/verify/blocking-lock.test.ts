/** blocking-lock on real engines: it fires where a user can act, with help that fits the statement. */
import { relative } from "node:path";
import { describe, expect, it } from "vitest";
import { writeRepo } from "../harness.js";
import { engineCases } from "../server.js";
import { runVerify } from "../verify-run.js";

const engines = engineCases({ url: undefined as string | undefined }, (url) => ({ url }));

/** The change under review, as --changed-since names its files: relative to the working directory. */
const changedFiles = (root: string, names: string[]) =>
  new Set(names.map((name) => relative(process.cwd(), `${root}/migrations/${name}/migration.sql`)));

const lockSites = (findings: { rule: string; file: string; line: number }[]) =>
  findings.filter((f) => f.rule === "blocking-lock").map((f) => `${f.file.split("/").at(-2)}:${f.line}`);

describe.each(engines)("blocking-lock on $name", ({ url }) => {
  it("groups brief locks per migration with lock_timeout help, and judges scans and rewrites per statement", async () => {
    const root = writeRepo({
      runner: "prisma",
      version: "6.19.0",
      files: {
        "20240101000000_user/migration.sql":
          'CREATE TABLE "User" (id int PRIMARY KEY, email text);\nCREATE TABLE "Team" (id int, note text);',
        "20240102000000_columns/migration.sql":
          'ALTER TABLE "User" ADD COLUMN name text;\nALTER TABLE "Team" DROP COLUMN note;',
        "20240103000000_post/migration.sql":
          'CREATE TABLE "Post" (id int PRIMARY KEY, "userId" int);\nALTER TABLE "Post" ADD CONSTRAINT "Post_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"(id);\nALTER TABLE "Post" ADD COLUMN title text;',
        "20240103000001_seed/migration.sql": 'INSERT INTO "Post" (id) VALUES (1);',
        "20240104000000_timeout/migration.sql":
          "SET lock_timeout = '2s';\nALTER TABLE \"User\" ADD COLUMN age int;",
        "20240105000000_owner/migration.sql":
          'ALTER TABLE "Post" ADD COLUMN "ownerId" int;\nALTER TABLE "Post" ADD CONSTRAINT "Post_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User"(id);',
        "20240106000000_type/migration.sql": 'ALTER TABLE "User" ALTER COLUMN name TYPE varchar(10);',
      },
    });
    // The change adds every migration but the one that made User and Team: those tables are in
    // production already; Post is new, but holds rows by the time it is altered.
    const { findings } = await runVerify({
      paths: [root],
      env: {},
      changed: changedFiles(root, [
        "20240102000000_columns",
        "20240103000000_post",
        "20240103000001_seed",
        "20240104000000_timeout",
        "20240105000000_owner",
        "20240106000000_type",
      ]),
      ...(url ? { databaseUrl: url } : {}),
    });
    const locks = findings
      .filter((f) => f.rule === "blocking-lock")
      .map((f) => ({ at: `${f.file.split("/").at(-2)}:${f.line}`, message: f.message, help: f.help }));
    expect(locks.map((f) => f.at)).toEqual([
      "20240102000000_columns:1",
      "20240103000000_post:2",
      "20240105000000_owner:1",
      "20240105000000_owner:2",
      "20240106000000_type:1",
    ]);
    const help = (i: number) => locks[i]?.help ?? "";
    // ADD COLUMN and DROP COLUMN: brief, one finding for the file, no CONCURRENTLY form to offer.
    expect(help(0)).toMatch(/lock_timeout/);
    expect(help(0)).not.toMatch(/CONCURRENTLY/);
    expect(locks[0]?.message).toMatch(
      /^This statement and 1 more \(lines 1, 2\) took ACCESS EXCLUSIVE on User, ACCESS EXCLUSIVE on Team,/,
    );
    // A foreign key from a table the migration created checks no rows: only User's lock, briefly.
    expect(locks[1]?.message).toMatch(/SHARE ROW EXCLUSIVE on User/);
    expect(locks[1]?.message).not.toMatch(/on Post/);
    expect(help(1)).toMatch(/lock_timeout/);
    // A foreign key on an existing table scans it: NOT VALID, then VALIDATE.
    expect(help(3)).toMatch(/NOT VALID/);
    expect(help(4)).toMatch(/rewrites the whole table/);
  });

  describe("a table the change itself created, still empty, blocks no one", () => {
    const history = {
      "20240101000000_user/migration.sql": 'CREATE TABLE "User" (id int PRIMARY KEY);',
      "20240102000000_post/migration.sql": 'CREATE TABLE "Post" (id int PRIMARY KEY, "userId" int);',
      "20240103000000_post_user/migration.sql":
        'ALTER TABLE "Post" ADD COLUMN title text;\nALTER TABLE "Post" ADD CONSTRAINT "Post_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"(id);',
    };
    const verifyWith = async (files: Record<string, string>, changed?: string[]) => {
      const root = writeRepo({ runner: "prisma", version: "6.19.0", files });
      const { findings } = await runVerify({
        paths: [root],
        env: {},
        ...(changed ? { changed: changedFiles(root, changed) } : {}),
        ...(url ? { databaseUrl: url } : {}),
      });
      return lockSites(findings);
    };

    it("reports nothing on a history replayed into an empty database", async () => {
      expect(await verifyWith(history)).toEqual([]);
    });

    it("reports a lock on a table that held rows at the time: a data migration filled it", async () => {
      const seeded = {
        ...history,
        "20240101000001_seed/migration.sql": 'INSERT INTO "User" (id) VALUES (1);',
      };
      // Post is still empty: only the lock on User counts, and the foreign key scans no rows.
      const sites = await verifyWith(seeded);
      expect(sites).toEqual(["20240103000000_post_user:2"]);
    });

    it("in a change, reports locks on the tables before it, not on the ones it created", async () => {
      // The change adds Post and alters both: User is in production, Post is new and empty.
      expect(await verifyWith(history, ["20240102000000_post", "20240103000000_post_user"])).toEqual([
        "20240103000000_post_user:2",
      ]);
      // The change only alters: both tables are in production, and the foreign key scans Post.
      expect(await verifyWith(history, ["20240103000000_post_user"])).toEqual([
        "20240103000000_post_user:1",
        "20240103000000_post_user:2",
      ]);
    });
  });
});
