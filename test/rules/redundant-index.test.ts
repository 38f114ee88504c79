import { redundantIndex } from "../../src/rules/redundant-index.js";
import { ruleTester } from "../rule-tester.js";

const t =
  "CREATE TABLE api_keys (id int PRIMARY KEY, key_hash text, factory_id int, created_at timestamp, revoked_at timestamp);\n";

ruleTester(redundantIndex, {
  valid: [
    {
      name: "a unique index is never redundant",
      files: `${t}CREATE UNIQUE INDEX a ON api_keys (key_hash);\nCREATE INDEX b ON api_keys (key_hash, id);`,
    },
    {
      name: "a prefix with another predicate",
      files: `${t}CREATE INDEX a ON api_keys (factory_id) WHERE revoked_at IS NULL;\nCREATE INDEX b ON api_keys (factory_id, created_at DESC);`,
    },
    {
      name: "not a leading prefix",
      files: `${t}CREATE INDEX a ON api_keys (created_at);\nCREATE INDEX b ON api_keys (factory_id, created_at);`,
    },
    {
      name: "a hash index beside a b-tree",
      files: `${t}CREATE INDEX a ON api_keys USING hash (key_hash);\nCREATE INDEX b ON api_keys (key_hash, id);`,
    },
    {
      name: "a plain index with the keys of a unique one is duplicate-index's, not also redundant",
      files: `${t}CREATE INDEX a ON api_keys (key_hash);\nALTER TABLE api_keys ADD CONSTRAINT k UNIQUE (key_hash);\nCREATE INDEX b ON api_keys (key_hash, id);`,
    },
    {
      name: "exact duplicates are duplicate-index's",
      files: `${t}CREATE INDEX a ON api_keys (key_hash);\nCREATE INDEX b ON api_keys (key_hash);`,
    },
    {
      name: "a prefix in a mixed direction",
      files: `${t}CREATE INDEX a ON api_keys (factory_id, created_at);\nCREATE INDEX b ON api_keys (factory_id, created_at DESC, id);`,
    },
  ],
  invalid: [
    {
      name: "the seed's factory_id index beside the (factory_id, created_at) composite",
      files: `${t}CREATE INDEX ix_api_keys_factory_id ON api_keys (factory_id);\nCREATE INDEX idx_api_keys_factory_created ON api_keys (factory_id, created_at);`,
      errors: [
        {
          line: 2,
          column: 1,
          endLine: 2,
          endColumn: 61,
          message: /"ix_api_keys_factory_id".*"idx_api_keys_factory_created"/,
        },
      ],
    },
    {
      name: "a single column reversed against the composite",
      files: `${t}CREATE INDEX a ON api_keys (factory_id DESC);\nCREATE INDEX b ON api_keys (factory_id, created_at);`,
      errors: [{ line: 2, column: 1, endLine: 2, endColumn: 45 }],
    },
  ],
});
