import { missingRequiredIndex } from "../../src/rules/missing-required-index.js";
import { ruleTester } from "../rule-tester.js";

const keys =
  "CREATE TABLE api_keys (id int PRIMARY KEY, key_hash text, factory_id int, created_at timestamp, revoked_at timestamp);\n";
const req = (entries: Record<string, unknown>[]) => ({ "required-indexes": entries });
const byHash = req([{ table: "api_keys", columns: ["key_hash"] }]);
const active = req([{ table: "api_keys", columns: ["factory_id"], where: "revoked_at IS NULL" }]);
const audit = req([{ table: "api_keys", columns: ["factory_id", "created_at DESC"] }]);

ruleTester(missingRequiredIndex, {
  valid: [
    { name: "an exact b-tree index", files: `${keys}CREATE INDEX i ON api_keys (key_hash);`, config: byHash },
    {
      name: "a hash index for a single-column equality",
      files: `${keys}CREATE INDEX i ON api_keys USING hash (key_hash);`,
      config: byHash,
    },
    {
      name: "a unique constraint's index",
      files: `${keys}ALTER TABLE api_keys ADD UNIQUE (key_hash);`,
      config: byHash,
    },
    {
      name: "a composite index that leads with the column",
      files: `${keys}CREATE INDEX i ON api_keys (key_hash, id);`,
      config: byHash,
    },
    {
      name: "a partial index whose predicate the requirement implies",
      files: `${keys}CREATE INDEX i ON api_keys (factory_id) WHERE revoked_at IS NULL;`,
      config: active,
    },
    {
      name: "a full index serves a partial requirement",
      files: `${keys}CREATE INDEX i ON api_keys (factory_id);`,
      config: active,
    },
    {
      name: "matching directions",
      files: `${keys}CREATE INDEX i ON api_keys (factory_id, created_at DESC);`,
      config: audit,
    },
    {
      name: "all directions reversed (a backward scan)",
      files: `${keys}CREATE INDEX i ON api_keys (factory_id DESC, created_at);`,
      config: audit,
    },
    {
      name: "an index created, renamed and its column renamed",
      files: `${keys}ALTER TABLE api_keys RENAME COLUMN key_hash TO digest;\nCREATE INDEX i ON api_keys (digest);\nALTER INDEX i RENAME TO j;`,
      config: req([{ table: "api_keys", columns: ["digest"] }]),
    },
    {
      name: "a schema-qualified, quoted table",
      files:
        'CREATE SCHEMA auth;\nCREATE TABLE auth."ApiKeys" (id int, "keyHash" text);\nCREATE INDEX i ON auth."ApiKeys" ("keyHash");',
      config: req([{ table: 'auth."ApiKeys"', columns: ['"keyHash"'] }]),
    },
  ],
  invalid: [
    {
      name: "no index at all, located at the table",
      files: keys,
      config: byHash,
      errors: [
        {
          line: 1,
          column: 14,
          endLine: 1,
          endColumn: 118,
          message: /Required index on api_keys \(key_hash\) is missing/,
        },
      ],
    },
    {
      name: "a partial index the requirement does not imply",
      files: `${keys}CREATE INDEX i ON api_keys (key_hash) WHERE revoked_at IS NULL;`,
      config: byHash,
      errors: [
        { line: 1, column: 14, endLine: 1, endColumn: 118, message: /"i" does not count: its predicate/ },
      ],
    },
    {
      name: "mixed directions do not serve the order",
      files: `${keys}CREATE INDEX i ON api_keys (factory_id, created_at);`,
      config: audit,
      errors: [{ line: 1, column: 14, endLine: 1, endColumn: 118, message: /directions/ }],
    },
    {
      name: "the index leads with another column",
      files: `${keys}CREATE INDEX i ON api_keys (id, key_hash);`,
      config: byHash,
      errors: [{ line: 1, column: 14, endLine: 1, endColumn: 118 }],
    },
    {
      name: "the index was dropped later",
      files: {
        "001.sql": `${keys}CREATE INDEX i ON api_keys (key_hash);`,
        "002.sql": "DROP INDEX CONCURRENTLY i;",
      },
      config: byHash,
      errors: [{ file: "001.sql", line: 1, column: 14, endLine: 1, endColumn: 118 }],
    },
    {
      name: "the index's column was dropped",
      files: {
        "001.sql": `${keys}CREATE INDEX i ON api_keys (key_hash);`,
        "002.sql": "ALTER TABLE api_keys DROP COLUMN key_hash;",
      },
      config: byHash,
      errors: [{ file: "001.sql", line: 1, column: 14, endLine: 1, endColumn: 118 }],
    },
    {
      name: "a concurrent build the transaction makes PostgreSQL reject",
      files: {
        "001.sql": keys,
        "002.sql": "BEGIN;\nCREATE INDEX CONCURRENTLY i ON api_keys (key_hash);\nCOMMIT;",
      },
      config: byHash,
      errors: [{ file: "001.sql", line: 1, column: 14, endLine: 1, endColumn: 118 }],
    },
    {
      name: "a table that does not exist, located at the config entry",
      files: keys,
      config: req([{ table: "api_key", columns: ["key_hash"] }]),
      errors: [
        {
          file: ".pg-index-lint.yml",
          line: 5,
          column: 1,
          endLine: 5,
          endColumn: 1,
          message: /table "api_key" does not exist/,
        },
      ],
    },
  ],
});
