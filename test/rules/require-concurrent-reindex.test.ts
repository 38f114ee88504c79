import { requireConcurrentReindex } from "../../src/rules/require-concurrent-reindex.js";
import { ruleTester } from "../rule-tester.js";

const setup = "CREATE TABLE t (id int PRIMARY KEY, c int);\nCREATE INDEX t_c ON t (c);\n";

ruleTester(requireConcurrentReindex, {
  valid: [
    {
      name: "REINDEX INDEX CONCURRENTLY",
      files: { "001.sql": setup, "002.sql": "REINDEX INDEX CONCURRENTLY t_c;" },
    },
    {
      name: "REINDEX (CONCURRENTLY) TABLE",
      files: { "001.sql": setup, "002.sql": "REINDEX (CONCURRENTLY) TABLE t;" },
    },
    {
      name: "REINDEX SYSTEM, which cannot be concurrent",
      files: { "001.sql": setup, "002.sql": "REINDEX SYSTEM;" },
    },
    { name: "a table created in the same file", files: `${setup}REINDEX TABLE t;` },
  ],
  invalid: [
    {
      name: "REINDEX INDEX",
      files: { "001.sql": setup, "002.sql": "REINDEX INDEX t_c;" },
      errors: [{ file: "002.sql", line: 1, column: 1, endLine: 1, endColumn: 18 }],
      fix: "REINDEX INDEX CONCURRENTLY t_c",
    },
    {
      name: "REINDEX (VERBOSE) TABLE keeps its options",
      files: { "001.sql": setup, "002.sql": "REINDEX (VERBOSE) TABLE t;" },
      errors: [{ file: "002.sql", line: 1, column: 1, endLine: 1, endColumn: 26 }],
      fix: "REINDEX (VERBOSE) TABLE CONCURRENTLY t",
    },
    {
      name: "REINDEX (CONCURRENTLY false) is not concurrent",
      files: { "001.sql": setup, "002.sql": "REINDEX (CONCURRENTLY false) TABLE t;" },
      errors: [{ file: "002.sql", line: 1, column: 1, endLine: 1, endColumn: 37 }],
    },
  ],
});
