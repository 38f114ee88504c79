import { describe, expect, it } from "vitest";
import { banConcurrentIndexCreationInTransaction } from "../../src/rules/ban-concurrent-index-creation-in-transaction.js";
import { checkRepo } from "../harness.js";
import { ruleTester } from "../rule-tester.js";

const table = "CREATE TABLE t (id int PRIMARY KEY, c int);\n";
const dbmate = (up: string, flags = "") => `-- migrate:up${flags}\n${up}\n-- migrate:down\nSELECT 1;\n`;

ruleTester(banConcurrentIndexCreationInTransaction, {
  valid: [
    {
      name: "a concurrent index under psql -f, no BEGIN",
      files: { "001.sql": table, "002.sql": "CREATE INDEX CONCURRENTLY i ON t (c);" },
    },
    {
      name: "a golang-migrate file with one concurrent statement",
      runner: "golang-migrate",
      files: { "1_t.up.sql": table, "2_i.up.sql": "CREATE INDEX CONCURRENTLY i ON t (c);\n" },
    },
    {
      name: "dbmate with transaction:false and one statement",
      runner: "dbmate",
      files: {
        "20240101000000_t.sql": dbmate(table),
        "20240102000000_i.sql": dbmate("CREATE INDEX CONCURRENTLY i ON t (c);", " transaction:false"),
      },
    },
    {
      name: "a Flyway file with one concurrent statement",
      runner: "flyway",
      files: { "V1__t.sql": table, "V2__i.sql": "CREATE INDEX CONCURRENTLY i ON t (c);" },
    },
    {
      name: "a Prisma 7.4+ migration, which sends each statement on its own",
      runner: "prisma",
      version: "7.4.0",
      files: {
        "20240101000000_t/migration.sql": table,
        "20240102000000_i/migration.sql": "ALTER TABLE t ADD d int;\nCREATE INDEX CONCURRENTLY i ON t (c);",
      },
    },
    {
      name: "REINDEX CONCURRENTLY after COMMIT",
      files: {
        "001.sql": table,
        "002.sql": "BEGIN;\nALTER TABLE t ADD d int;\nCOMMIT;\nREINDEX INDEX CONCURRENTLY t_pkey;",
      },
    },
  ],
  invalid: [
    {
      name: "the seed's BEGIN; CREATE INDEX CONCURRENTLY …; COMMIT; block",
      files: {
        "001.sql": table,
        "002.sql":
          "BEGIN;\nCREATE INDEX CONCURRENTLY a ON t (c);\nCREATE INDEX CONCURRENTLY b ON t (id, c);\nCOMMIT;",
      },
      errors: [
        { file: "002.sql", line: 2, column: 1, endLine: 2, endColumn: 37, message: /25001.*BEGIN on line 1/ },
        { file: "002.sql", line: 3, column: 1, endLine: 3, endColumn: 41 },
      ],
    },
    {
      name: "a golang-migrate file with two statements, one concurrent",
      runner: "golang-migrate",
      files: {
        "1_t.up.sql": table,
        "2_i.up.sql": "ALTER TABLE t ADD d int;\nCREATE INDEX CONCURRENTLY i ON t (c);\n",
      },
      errors: [
        {
          file: "2_i.up.sql",
          line: 2,
          column: 1,
          endLine: 2,
          endColumn: 37,
          message: /one string.*implicit transaction/,
        },
      ],
    },
    {
      name: "dbmate without transaction:false",
      runner: "dbmate",
      files: {
        "20240101000000_t.sql": dbmate(table),
        "20240102000000_i.sql": dbmate("CREATE INDEX CONCURRENTLY i ON t (c);"),
      },
      errors: [
        { file: "20240102000000_i.sql", line: 2, column: 1, endLine: 2, endColumn: 37, message: /dbmate/ },
      ],
    },
    {
      name: "dbmate with transaction:false but two statements sent as one string",
      runner: "dbmate",
      files: {
        "20240101000000_t.sql": dbmate(table),
        "20240102000000_i.sql": dbmate(
          "ALTER TABLE t ADD d int;\nCREATE INDEX CONCURRENTLY i ON t (c);",
          " transaction:false",
        ),
      },
      errors: [
        {
          file: "20240102000000_i.sql",
          line: 3,
          column: 1,
          endLine: 3,
          endColumn: 37,
          message: /implicit transaction/,
        },
      ],
    },
    {
      name: "a Drizzle migration with a single concurrent statement",
      runner: "drizzle",
      files: { "0000_t.sql": table, "0001_i.sql": "CREATE INDEX CONCURRENTLY i ON t (c);" },
      errors: [
        { file: "0001_i.sql", line: 1, column: 1, endLine: 1, endColumn: 37, message: /one transaction/ },
      ],
    },
    {
      name: "a Prisma multi-statement migration (before 7.4)",
      runner: "prisma",
      version: "6.19.0",
      files: {
        "20240101000000_t/migration.sql": table,
        "20240102000000_i/migration.sql": "ALTER TABLE t ADD d int;\nCREATE INDEX CONCURRENTLY i ON t (c);",
      },
      errors: [
        {
          file: "20240102000000_i/migration.sql",
          line: 2,
          column: 1,
          endLine: 2,
          endColumn: 37,
          message: /Prisma 6\.19\.0/,
        },
      ],
    },
    {
      name: "a Flyway file that mixes a concurrent index with other DDL",
      runner: "flyway",
      files: {
        "V1__t.sql": table,
        "V2__i.sql": "ALTER TABLE t ADD d int;\nCREATE INDEX CONCURRENTLY i ON t (c);",
      },
      errors: [{ file: "V2__i.sql", line: 2, column: 1, endLine: 2, endColumn: 37, message: /Flyway/ }],
    },
    {
      name: "DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY in an explicit transaction",
      files: {
        "001.sql": `${table}CREATE INDEX i ON t (c);`,
        "002.sql": "START TRANSACTION;\nDROP INDEX CONCURRENTLY i;\nREINDEX TABLE CONCURRENTLY t;\nCOMMIT;",
      },
      errors: [
        {
          file: "002.sql",
          line: 2,
          column: 1,
          endLine: 2,
          endColumn: 26,
          message: /DROP INDEX CONCURRENTLY/,
        },
        { file: "002.sql", line: 3, column: 1, endLine: 3, endColumn: 29, message: /REINDEX CONCURRENTLY/ },
      ],
    },
  ],
});

describe("the fix for CONCURRENTLY statements wrapped in BEGIN … COMMIT", () => {
  it("removes BEGIN and COMMIT once, at the block's first statement, and the fixed file checks clean", async () => {
    const table = "CREATE TABLE t (id int PRIMARY KEY, c int, d int);\n";
    const block =
      "-- indexes\nBEGIN;\nCREATE INDEX CONCURRENTLY a ON t (c);\nCREATE INDEX CONCURRENTLY b ON t (d);\nCOMMIT;\n";
    const result = await checkRepo({ files: { "001.sql": table, "002.sql": block } });
    const fixes = result.findings.filter((f) => f.fix);
    expect(fixes.map((f) => [f.line, f.fix?.range?.line, f.fix?.range?.endLine])).toEqual([[3, 2, 5]]);
    const fix = fixes[0]?.fix;
    const lines = block.split("\n");
    const range = fix?.range;
    if (!fix || !range) throw new Error("no fix");
    const before = lines.slice(0, range.line - 1).join("\n");
    const first = (lines[range.line - 1] ?? "").slice(0, range.column - 1);
    const last = (lines[range.endLine - 1] ?? "").slice(range.endColumn - 1);
    const fixed = `${before}\n${first}${fix.replacement}${last}\n${lines.slice(range.endLine).join("\n")}`;
    expect(fixed).toBe(
      "-- indexes\nCREATE INDEX CONCURRENTLY a ON t (c);\nCREATE INDEX CONCURRENTLY b ON t (d);\n",
    );
    const again = await checkRepo({ files: { "001.sql": table, "002.sql": fixed } });
    expect(again.findings).toEqual([]);
  });

  it("offers no fix when the block also holds other statements, which need the transaction", async () => {
    const result = await checkRepo({
      files: {
        "001.sql": "CREATE TABLE t (id int, c int);",
        "002.sql": "BEGIN;\nCREATE INDEX CONCURRENTLY a ON t (c);\nALTER TABLE t ADD d int;\nCOMMIT;",
      },
    });
    expect(result.findings.filter((f) => f.fix)).toEqual([]);
  });
});
