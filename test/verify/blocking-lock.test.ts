/** blocking-lock on real engines: it fires where a user can act, with help that fits the statement. */
import { describe, expect, it } from "vitest";
import { writeRepo } from "../harness.js";
import { engineCases } from "../server.js";
import { runVerify } from "../verify-run.js";

const engines = engineCases({ url: undefined as string | undefined }, (url) => ({ url }));

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
        "20240104000000_timeout/migration.sql":
          "SET lock_timeout = '2s';\nALTER TABLE \"User\" ADD COLUMN age int;",
        "20240105000000_owner/migration.sql":
          'ALTER TABLE "Post" ADD COLUMN "ownerId" int;\nALTER TABLE "Post" ADD CONSTRAINT "Post_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User"(id);',
        "20240106000000_type/migration.sql": 'ALTER TABLE "User" ALTER COLUMN name TYPE varchar(10);',
      },
    });
    const { findings } = await runVerify({
      paths: [root],
      env: {},
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
});
