import { describe, expect, it } from "vitest";
import { requireConcurrentIndexCreation } from "../../src/rules/require-concurrent-index-creation.js";
import { checkRepo } from "../harness.js";
import { ruleTester } from "../rule-tester.js";

const create = "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, total numeric);\n";

ruleTester(requireConcurrentIndexCreation, {
  valid: [
    {
      name: "an index on a materialized view dropped and made again in the same migration",
      files: {
        "001.sql": `${create}CREATE MATERIALIZED VIEW totals AS SELECT customer_id, sum(total) AS s FROM orders GROUP BY 1;`,
        "002.sql":
          "DROP MATERIALIZED VIEW totals;\nCREATE MATERIALIZED VIEW totals AS SELECT customer_id, count(*) AS n FROM orders GROUP BY 1;\nCREATE INDEX totals_customer ON totals (customer_id);",
      },
    },
    {
      name: "an index on a partitioned table whose partitions already have it, built CONCURRENTLY: PostgreSQL attaches them",
      runner: "goose",
      files: {
        "00001_m.sql":
          "-- +goose Up\nCREATE TABLE m (id int, at date) PARTITION BY RANGE (at);\nCREATE TABLE m1 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nCREATE TABLE m2 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
        "00002_idx.sql":
          "-- +goose no transaction\n-- +goose Up\nCREATE INDEX CONCURRENTLY IF NOT EXISTS m1_at ON m1 (at);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS m2_at ON m2 (at);\nCREATE INDEX IF NOT EXISTS m_at ON m (at);",
      },
    },
    {
      name: "an index on a temporary table, which ends with its session",
      files: {
        "001.sql": create,
        "002.sql": "CREATE TEMP TABLE recent AS SELECT id FROM orders;\nCREATE INDEX ON recent (id);",
      },
    },
    {
      name: "CONCURRENTLY on an existing table",
      files: { "001.sql": create, "002.sql": "CREATE INDEX CONCURRENTLY i ON orders (customer_id);" },
    },
    {
      name: "a non-concurrent index on a table created earlier in the same file",
      files: `${create}CREATE INDEX i ON orders (customer_id);`,
    },
    {
      name: "an index ON ONLY a partitioned parent",
      files: {
        "001.sql": "CREATE TABLE m (id int, at date) PARTITION BY RANGE (at);",
        "002.sql": "CREATE INDEX i ON ONLY m (at);",
      },
    },
    {
      name: "an ignore comment with a reason",
      files: {
        "001.sql": create,
        "002.sql":
          "-- pg-index-lint-ignore require-concurrent-index-creation: table is empty in production\nCREATE INDEX i ON orders (customer_id);",
      },
    },
  ],
  invalid: [
    {
      name: "an index on an existing materialized view holds off REFRESH, not writes",
      files: {
        "001.sql": `${create}CREATE MATERIALIZED VIEW totals AS SELECT customer_id FROM orders;`,
        "002.sql": "CREATE INDEX totals_customer ON totals (customer_id);",
      },
      errors: [
        {
          file: "002.sql",
          line: 1,
          column: 1,
          endLine: 1,
          endColumn: 53,
          message: /existing materialized view "totals".*REFRESH MATERIALIZED VIEW waits/,
        },
      ],
      fix: "CREATE INDEX CONCURRENTLY totals_customer ON totals (customer_id)",
    },
    {
      name: "a plain CREATE INDEX on a table from an earlier migration",
      files: { "001.sql": create, "002.sql": "-- comment\nCREATE INDEX i ON orders (customer_id);" },
      errors: [
        {
          file: "002.sql",
          line: 2,
          column: 1,
          endLine: 2,
          endColumn: 39,
          message: /existing table "orders"/,
        },
      ],
      fix: "CREATE INDEX CONCURRENTLY i ON orders (customer_id)",
    },
    {
      name: "a UNIQUE index, with the fix after UNIQUE INDEX",
      files: {
        "001.sql": create,
        "002.sql": "create unique index i on orders (customer_id) where total > 0;",
      },
      errors: [{ file: "002.sql", line: 1, column: 1, endLine: 1, endColumn: 62 }],
      fix: "create unique index CONCURRENTLY i on orders (customer_id) where total > 0",
    },
    {
      name: "a table the migrations never created (it predates them)",
      files: "CREATE INDEX i ON legacy_orders (customer_id);",
      errors: [{ line: 1, column: 1, endLine: 1, endColumn: 46, message: /legacy_orders/ }],
    },
    {
      name: "a table created in another schema earlier, qualified",
      files: {
        "001.sql": "CREATE TABLE billing.invoices (id int);",
        "002.sql": "SET search_path = billing;\nCREATE INDEX i ON invoices (id);",
      },
      errors: [
        { file: "002.sql", line: 2, column: 1, endLine: 2, endColumn: 32, message: /billing\.invoices/ },
      ],
    },
  ],
});

describe("require-concurrent-index-creation on a partitioned table", () => {
  it("offers no CONCURRENTLY fix, which PostgreSQL would reject, and explains the per-partition way", async () => {
    const result = await checkRepo({
      files: {
        "001.sql": "CREATE TABLE m (id int, at date) PARTITION BY RANGE (at);",
        "002.sql": "CREATE INDEX i ON m (at);",
      },
    });
    const [finding] = result.findings;
    expect(finding?.rule).toBe("require-concurrent-index-creation");
    expect(finding?.fix).toBeUndefined();
    expect(finding?.help).toMatch(/ON ONLY the parent.*ATTACH PARTITION/);
  });
});
