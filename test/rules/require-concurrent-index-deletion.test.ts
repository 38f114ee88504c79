import { requireConcurrentIndexDeletion } from "../../src/rules/require-concurrent-index-deletion.js";
import { ruleTester } from "../rule-tester.js";

const setup = "CREATE TABLE t (id int PRIMARY KEY, c int);\nCREATE INDEX t_c ON t (c);\n";

ruleTester(requireConcurrentIndexDeletion, {
  valid: [
    {
      name: "DROP INDEX CONCURRENTLY",
      files: { "001.sql": setup, "002.sql": "DROP INDEX CONCURRENTLY t_c;" },
    },
    { name: "dropping an index of a table created in the same file", files: `${setup}DROP INDEX t_c;` },
    { name: "DROP TABLE is another matter", files: { "001.sql": setup, "002.sql": "DROP TABLE t;" } },
    {
      name: "DROP INDEX IF EXISTS of an index no migration built, in a later migration",
      files: { "001.sql": setup, "002.sql": "DROP INDEX IF EXISTS never_built;" },
    },
    {
      name: "DROP INDEX right before DROP TABLE of its table, as Alembic's autogenerate writes it",
      files: { "001.sql": setup, "002.sql": "DROP INDEX t_c;\nDROP TABLE t;" },
    },
  ],
  invalid: [
    {
      name: "DROP INDEX in a migration that drops another table",
      files: {
        "001.sql": `${setup}CREATE TABLE u (id int);`,
        "002.sql": "DROP INDEX t_c;\nDROP TABLE u;",
      },
      errors: [
        {
          file: "002.sql",
          line: 1,
          column: 1,
          endLine: 1,
          endColumn: 15,
          message: /ACCESS EXCLUSIVE lock on "t"/,
        },
      ],
      fix: "DROP INDEX CONCURRENTLY t_c",
    },
    {
      name: "an index of a partitioned table, which PostgreSQL cannot drop CONCURRENTLY",
      files: {
        "001.sql":
          "CREATE TABLE m (id int, at date) PARTITION BY RANGE (at);\nCREATE TABLE m1 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nCREATE INDEX m_at ON m (at);",
        "002.sql": "DROP INDEX m_at;",
      },
      errors: [
        {
          file: "002.sql",
          line: 1,
          column: 1,
          endLine: 1,
          endColumn: 16,
          message: /partitioned table's index .* cannot do it CONCURRENTLY/,
        },
      ],
    },
    {
      name: "a plain DROP INDEX on an existing table",
      files: { "001.sql": setup, "002.sql": "DROP INDEX IF EXISTS t_c;" },
      errors: [
        {
          file: "002.sql",
          line: 1,
          column: 1,
          endLine: 1,
          endColumn: 25,
          message: /ACCESS EXCLUSIVE lock on "t"/,
        },
      ],
      fix: "DROP INDEX CONCURRENTLY IF EXISTS t_c",
    },
    {
      name: "an index the migrations do not know (it predates them)",
      files: "DROP INDEX legacy_idx;",
      errors: [{ line: 1, column: 1, endLine: 1, endColumn: 22 }],
      fix: "DROP INDEX CONCURRENTLY legacy_idx",
    },
    {
      name: "two indexes in one statement: no automatic fix, one statement each",
      files: { "001.sql": `${setup}CREATE INDEX t_id_c ON t (id, c);`, "002.sql": "DROP INDEX t_c, t_id_c;" },
      errors: [{ file: "002.sql", line: 1, column: 1, endLine: 1, endColumn: 23 }],
    },
  ],
});
