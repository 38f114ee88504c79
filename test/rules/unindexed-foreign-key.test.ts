import { unindexedForeignKey } from "../../src/rules/unindexed-foreign-key.js";
import { ruleTester } from "../rule-tester.js";

const parents = "CREATE TABLE products (id int PRIMARY KEY);\nCREATE TABLE orders (id int PRIMARY KEY);\n";

ruleTester(unindexedForeignKey, {
  valid: [
    {
      name: "a table made LIKE another INCLUDING INDEXES gets its indexes",
      files: `${parents}CREATE TABLE b1 (id int, product_id int);\nCREATE INDEX ON b1 (product_id);\nCREATE TABLE b2 (LIKE b1 INCLUDING INDEXES);\nALTER TABLE b2 ADD FOREIGN KEY (product_id) REFERENCES products;`,
    },
    {
      name: "an index on the FK column",
      files: `${parents}CREATE TABLE batches (id int, product_id int REFERENCES products);\nCREATE INDEX i ON batches (product_id);`,
    },
    {
      name: "a composite primary key that leads with the FK column",
      files: `${parents}CREATE TABLE order_items (order_id int REFERENCES orders (id), line int, PRIMARY KEY (order_id, line));`,
    },
    {
      name: "a partial index WHERE fk IS NOT NULL",
      files: `${parents}CREATE TABLE batches (id int, product_id int REFERENCES products);\nCREATE INDEX i ON batches (product_id) WHERE product_id IS NOT NULL;`,
    },
    {
      name: "a composite FK covered by an index with its columns in another order",
      files:
        "CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));\nCREATE TABLE c (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES p (a, b));\nCREATE INDEX i ON c (b, a);",
    },
    {
      name: "an FK added NOT VALID, validated later, and indexed",
      files: {
        "001.sql": `${parents}CREATE TABLE batches (id int, product_id int);`,
        "002.sql":
          "ALTER TABLE batches ADD CONSTRAINT fk FOREIGN KEY (product_id) REFERENCES products NOT VALID;",
        "003.sql": "CREATE INDEX CONCURRENTLY i ON batches (product_id);",
        "004.sql": "ALTER TABLE batches VALIDATE CONSTRAINT fk;",
      },
    },
    {
      name: "a dropped FK",
      files: `${parents}CREATE TABLE b (id int, product_id int CONSTRAINT fk REFERENCES products);\nALTER TABLE b DROP CONSTRAINT fk;`,
    },
  ],
  invalid: [
    {
      name: "a table made LIKE another without INCLUDING INDEXES has none",
      files: `${parents}CREATE TABLE b1 (id int, product_id int);\nCREATE INDEX ON b1 (product_id);\nCREATE TABLE b2 (LIKE b1 INCLUDING CONSTRAINTS);\nALTER TABLE b2 ADD FOREIGN KEY (product_id) REFERENCES products;`,
      errors: [{ line: 6, column: 20, endLine: 6, endColumn: 64 }],
    },
    {
      name: "an inline REFERENCES with no index, located at the clause",
      files: `${parents}CREATE TABLE batches (\n  id int,\n  product_id int NOT NULL REFERENCES products (id)\n);`,
      errors: [
        {
          line: 5,
          column: 27,
          endLine: 5,
          endColumn: 51,
          message: /"batches_product_id_fkey" on batches \(product_id\) → products/,
        },
      ],
    },
    {
      name: "an index that only has the FK column second",
      files: `${parents}CREATE TABLE batches (id int, product_id int REFERENCES products);\nCREATE INDEX i ON batches (id, product_id);`,
      errors: [{ line: 3, column: 46, endLine: 3, endColumn: 66 }],
    },
    {
      name: "a partial index with another predicate",
      files: `${parents}CREATE TABLE batches (id int, product_id int REFERENCES products, done bool);\nCREATE INDEX i ON batches (product_id) WHERE done;`,
      errors: [{ line: 3, column: 46, endLine: 3, endColumn: 77 }],
    },
    {
      name: "an FK added by ALTER TABLE, and the covering index dropped",
      files: {
        "001.sql": `${parents}CREATE TABLE batches (id int, product_id int);\nCREATE INDEX i ON batches (product_id);`,
        "002.sql":
          "ALTER TABLE batches ADD CONSTRAINT batches_product_fk FOREIGN KEY (product_id) REFERENCES products (id);",
        "003.sql": "DROP INDEX CONCURRENTLY i;",
      },
      errors: [
        { file: "002.sql", line: 1, column: 25, endLine: 1, endColumn: 104, message: /batches_product_fk/ },
      ],
    },
  ],
});
