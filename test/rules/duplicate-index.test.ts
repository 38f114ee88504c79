import { duplicateIndex } from "../../src/rules/duplicate-index.js";
import { ruleTester } from "../rule-tester.js";

const t =
  "CREATE TABLE api_keys (id int PRIMARY KEY, key_hash text, factory_id int, revoked_at timestamp);\n";

ruleTester(duplicateIndex, {
  valid: [
    {
      name: "different predicates",
      files: `${t}CREATE INDEX a ON api_keys (factory_id);\nCREATE INDEX b ON api_keys (factory_id) WHERE revoked_at IS NULL;`,
    },
    {
      name: "different methods",
      files: `${t}CREATE INDEX a ON api_keys (key_hash);\nCREATE INDEX b ON api_keys USING hash (key_hash);`,
    },
    {
      name: "different directions",
      files: `${t}CREATE INDEX a ON api_keys (factory_id, id);\nCREATE INDEX b ON api_keys (factory_id, id DESC);`,
    },
    {
      name: "one index replaced by another",
      files: `${t}CREATE INDEX a ON api_keys (key_hash);\nDROP INDEX a;\nCREATE INDEX b ON api_keys (key_hash);`,
    },
  ],
  invalid: [
    {
      name: "a plain index beside a unique constraint on the same keys, reported at the plain one",
      files:
        "CREATE TABLE p (id int PRIMARY KEY, sku text);\nCREATE INDEX a ON p (sku);\nALTER TABLE p ADD CONSTRAINT k UNIQUE (sku);",
      errors: [
        {
          line: 2,
          column: 1,
          endLine: 2,
          endColumn: 26,
          message: /"a" on p \(sku\) duplicates "k" UNIQUE \(sku\)/,
        },
      ],
    },
    {
      name: "three copies: the first is kept, the other two reported",
      files:
        "CREATE TABLE p (id int PRIMARY KEY, sku text);\nCREATE INDEX a ON p (sku);\nCREATE INDEX b ON p (sku);\nCREATE INDEX c ON p (sku);",
      errors: [
        { line: 3, column: 1, endLine: 3, endColumn: 26, message: /"b" .* duplicates "a"/ },
        { line: 4, column: 1, endLine: 4, endColumn: 26, message: /"c" .* duplicates "a"/ },
      ],
    },
    {
      name: "the same index twice under two names, reported at the later one",
      files: {
        "001.sql": `${t}CREATE INDEX ix_api_keys_key_hash ON api_keys (key_hash);`,
        "002.sql": "CREATE INDEX CONCURRENTLY idx_api_keys_key_hash ON api_keys (key_hash);",
      },
      errors: [
        {
          file: "002.sql",
          line: 1,
          column: 1,
          endLine: 1,
          endColumn: 71,
          message: /"idx_api_keys_key_hash".*duplicates "ix_api_keys_key_hash"/,
        },
      ],
    },
    {
      name: "a plain unique index beside a unique constraint, reported at the plain one",
      files: `CREATE TABLE u (id int, email text, CONSTRAINT u_email_key UNIQUE (email));\nCREATE UNIQUE INDEX u_email ON u (email);`,
      errors: [{ line: 2, column: 1, endLine: 2, endColumn: 41, message: /"u_email"/ }],
    },
    {
      name: "the same predicate written differently",
      files: `${t}CREATE INDEX a ON api_keys (factory_id) WHERE revoked_at IS NULL;\nCREATE INDEX b ON api_keys (factory_id) WHERE (revoked_at IS NULL);`,
      errors: [{ line: 3, column: 1, endLine: 3, endColumn: 67 }],
    },
  ],
});
