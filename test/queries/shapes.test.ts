/**
 * Query shapes → the candidate index each table scan needs, or none with the reason. Every case
 * pins the whole outcome: the candidates (in rank order), what the schema already covers, and the
 * scans that get no candidate.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initSqlParser } from "../../src/parse/sql.js";
import { analyzeWorkload } from "../../src/queries/analyze.js";
import type { Catalog } from "../../src/schema/catalog.js";
import { catalogFrom, querySource, SCHEMA } from "./support.js";

interface Case {
  name: string;
  sql: string;
  candidates?: { table: string; columns: string[]; where?: string }[];
  covered?: { table: string; columns: string[]; index: string }[];
  none?: { table: string; reason: RegExp }[];
  /** A part of some candidate's reason. */
  reason?: RegExp;
}

const cases: Case[] = [
  // Equality, IN, = ANY
  {
    name: "equality with a parameter",
    sql: "SELECT id FROM api_keys WHERE key_hash = $1",
    candidates: [{ table: "api_keys", columns: ["key_hash"] }],
  },
  {
    name: "equality written value-first",
    sql: "SELECT id FROM api_keys WHERE $1 = key_hash",
    candidates: [{ table: "api_keys", columns: ["key_hash"] }],
  },
  {
    name: "IN with a list of parameters",
    sql: "SELECT id FROM api_keys WHERE factory_id IN ($1, $2, $3)",
    candidates: [{ table: "api_keys", columns: ["factory_id"] }],
  },
  {
    name: "= ANY of an array parameter",
    sql: "SELECT id FROM api_keys WHERE factory_id = ANY($1::bigint[])",
    candidates: [{ table: "api_keys", columns: ["factory_id"] }],
  },
  {
    name: "two equalities in query order",
    sql: "SELECT id FROM batches WHERE factory_id = $1 AND product_id = $2",
    candidates: [{ table: "batches", columns: ["factory_id", "product_id"] }],
  },
  {
    name: "a parameter with a cast is still a value",
    sql: "SELECT id FROM batches WHERE product_id = $1::uuid",
    candidates: [{ table: "batches", columns: ["product_id"] }],
  },
  // Ranges
  {
    name: "a range",
    sql: "SELECT id FROM products WHERE created_at > $1",
    candidates: [{ table: "products", columns: ["created_at"] }],
  },
  {
    name: "a range written value-first flips the operator",
    sql: "SELECT id FROM products WHERE $1 <= price",
    candidates: [{ table: "products", columns: ["price"] }],
  },
  {
    name: "BETWEEN",
    sql: "SELECT id FROM products WHERE price BETWEEN $1 AND $2",
    candidates: [{ table: "products", columns: ["price"] }],
  },
  {
    name: "LIKE with a constant prefix is a range",
    sql: "SELECT id FROM products WHERE name LIKE 'bolt%'",
    candidates: [{ table: "products", columns: ["name"] }],
    reason: /text_pattern_ops/,
  },
  {
    name: "LIKE with a leading wildcard cannot use a b-tree",
    sql: "SELECT id FROM products WHERE name LIKE '%bolt'",
    none: [{ table: "products", reason: /not a constant prefix match/ }],
  },
  {
    name: "equality then one range",
    sql: "SELECT id FROM api_keys WHERE factory_id = $1 AND created_at >= $2",
    candidates: [{ table: "api_keys", columns: ["factory_id", "created_at"] }],
  },
  {
    name: "only the first of two ranges goes in the key",
    sql: "SELECT id FROM products WHERE category = $1 AND price < $2 AND created_at > $3",
    candidates: [{ table: "products", columns: ["category", "price"] }],
    reason: /created_at is left to a filter/,
  },
  // ORDER BY and LIMIT
  {
    name: "equality, then ORDER BY … DESC with LIMIT",
    sql: "SELECT id FROM api_keys WHERE factory_id = $1 ORDER BY created_at DESC LIMIT 20",
    candidates: [{ table: "api_keys", columns: ["factory_id", "created_at DESC"] }],
  },
  {
    name: "a non-default NULLS order is kept",
    sql: "SELECT id FROM api_keys WHERE factory_id = $1 ORDER BY created_at DESC NULLS LAST LIMIT 20",
    candidates: [{ table: "api_keys", columns: ["factory_id", "created_at DESC NULLS LAST"] }],
  },
  {
    name: "ORDER BY an output alias and by position",
    sql: "SELECT created_at AS c, email FROM api_keys WHERE factory_id = $1 ORDER BY c DESC, 2 LIMIT 5",
    candidates: [{ table: "api_keys", columns: ["factory_id", "created_at DESC", "email"] }],
  },
  {
    name: "an ORDER BY key fixed by an equality is left out",
    sql: "SELECT id FROM api_keys WHERE factory_id = $1 ORDER BY factory_id, created_at LIMIT 10",
    candidates: [{ table: "api_keys", columns: ["factory_id", "created_at"] }],
  },
  {
    name: "ORDER BY … LIMIT with no condition: a top-N index",
    sql: "SELECT id FROM products ORDER BY created_at DESC LIMIT 10",
    candidates: [{ table: "products", columns: ["created_at DESC"] }],
  },
  {
    name: "ORDER BY without LIMIT or condition reads the whole table",
    sql: "SELECT id FROM products ORDER BY name",
    none: [{ table: "products", reason: /in ORDER BY order without a LIMIT/ }],
  },
  {
    name: "a range and an ORDER BY on another column, no LIMIT: the range wins",
    sql: "SELECT id FROM products WHERE category = $1 AND price > $2 ORDER BY name",
    candidates: [{ table: "products", columns: ["category", "price"] }],
    reason: /ORDER BY is left to a sort/,
  },
  {
    name: "a range and an ORDER BY on another column with LIMIT: the order wins",
    sql: "SELECT id FROM products WHERE category = $1 AND price > $2 ORDER BY name LIMIT 10",
    candidates: [{ table: "products", columns: ["category", "name"] }],
  },
  {
    name: "the range column first in the ORDER BY serves both",
    sql: "SELECT id FROM products WHERE category = $1 AND created_at > $2 ORDER BY created_at, name",
    candidates: [{ table: "products", columns: ["category", "created_at", "name"] }],
  },
  {
    name: "an ORDER BY across two tables gives no order to either",
    sql: "SELECT b.id FROM batches b JOIN products p ON p.id = b.product_id WHERE p.category = $1 ORDER BY p.name, b.created_at LIMIT 5",
    candidates: [
      { table: "batches", columns: ["product_id"] },
      { table: "products", columns: ["category"] },
    ],
  },
  // Partial-index predicates
  {
    name: "IS NULL becomes the partial index's predicate",
    sql: "SELECT id FROM api_keys WHERE factory_id = $1 AND revoked_at IS NULL",
    candidates: [{ table: "api_keys", columns: ["factory_id"], where: "revoked_at IS NULL" }],
  },
  {
    name: "a constant string equality becomes the predicate",
    sql: "SELECT id FROM batches WHERE product_id = $1 AND status = 'open'",
    candidates: [{ table: "batches", columns: ["product_id"], where: "status = 'open'" }],
  },
  {
    name: "a boolean column and = true become the predicate, in query order",
    sql: "SELECT id FROM api_keys WHERE factory_id = $1 AND active AND revoked_at IS NOT NULL",
    candidates: [{ table: "api_keys", columns: ["factory_id"], where: "active AND revoked_at IS NOT NULL" }],
  },
  {
    name: "= true is a constant predicate",
    sql: "SELECT id FROM api_keys WHERE factory_id = $1 AND active = true",
    candidates: [{ table: "api_keys", columns: ["factory_id"], where: "active = true" }],
  },
  {
    name: "only NULL tests: no key column",
    sql: "SELECT id FROM api_keys WHERE revoked_at IS NULL",
    none: [{ table: "api_keys", reason: /only tests constants or NULLs \(revoked_at IS NULL\)/ }],
  },
  // OR
  {
    name: "an OR as the whole WHERE: no candidate",
    sql: "SELECT id FROM api_keys WHERE key_hash = $1 OR email = $2",
    none: [
      {
        table: "api_keys",
        reason: /its WHERE is an OR of conditions \(key_hash = \$1 OR email = \$2\).*BitmapOr/,
      },
    ],
  },
  {
    name: "an OR beside an equality is left to a filter",
    sql: "SELECT id FROM api_keys WHERE factory_id = $1 AND (status = $2 OR revoked_at IS NULL)",
    candidates: [{ table: "api_keys", columns: ["factory_id"] }],
    reason: /the OR condition .* is left to a filter/,
  },
  // Expressions
  {
    name: "a function of a column is an expression key",
    sql: "SELECT id FROM api_keys WHERE lower(email) = lower($1)",
    candidates: [{ table: "api_keys", columns: ["lower(email)"] }],
  },
  {
    name: "an operator expression is parenthesized",
    sql: "SELECT id FROM batches WHERE size * 2 = $1",
    candidates: [{ table: "batches", columns: ["(size * 2)"] }],
  },
  {
    name: "a cast on the column gives no key",
    sql: "SELECT id FROM products WHERE created_at::date = $1",
    none: [{ table: "products", reason: /casts the column/ }],
  },
  {
    name: "a quoted mixed-case column stays quoted",
    sql: 'SELECT id FROM api_keys WHERE "keyPrefix" = $1',
    candidates: [{ table: "api_keys", columns: ['"keyPrefix"'] }],
  },
  // Joins
  {
    name: "JOIN … ON: the filtered table by its equality, the other by its join key",
    sql: "SELECT b.id FROM batches b JOIN products p ON p.id = b.product_id WHERE p.sku = $1",
    candidates: [
      { table: "batches", columns: ["product_id"] },
      { table: "products", columns: ["sku"] },
    ],
  },
  {
    name: "a join through the primary key needs nothing on that side",
    sql: "SELECT p.name FROM batches b JOIN products p ON p.id = b.product_id WHERE b.factory_id = $1",
    candidates: [{ table: "batches", columns: ["factory_id"] }],
    covered: [{ table: "products", columns: ["id"], index: "products_pkey" }],
  },
  {
    name: "a join written in WHERE between two tables",
    sql: "SELECT b.id FROM batches b, products p WHERE b.product_id = p.id AND p.category = $1",
    candidates: [
      { table: "batches", columns: ["product_id"] },
      { table: "products", columns: ["category"] },
    ],
  },
  {
    name: "JOIN … USING: the side with no condition is probed by the join key; the filtered side drives",
    sql: "SELECT k.id FROM api_keys k JOIN batches b USING (factory_id) WHERE k.key_hash = $1",
    candidates: [
      { table: "api_keys", columns: ["key_hash"] },
      { table: "batches", columns: ["factory_id"] },
    ],
  },
  {
    name: "both sides filtered: either may drive, so each key ends with the join key",
    sql: "SELECT k.id FROM api_keys k JOIN batches b USING (factory_id) WHERE k.key_hash = $1 AND b.status = $2",
    candidates: [
      { table: "api_keys", columns: ["key_hash", "factory_id"] },
      { table: "batches", columns: ["status", "factory_id"] },
    ],
  },
  {
    name: "an unqualified column shared by two tables resolves nowhere",
    sql: "SELECT k.id FROM api_keys k JOIN factories f ON f.id = k.factory_id WHERE id = $1",
    none: [
      { table: "api_keys", reason: /its only condition on api_keys is the join on factory_id/ },
      { table: "factories", reason: /its only condition on factories is the join on id/ },
    ],
  },
  {
    name: "a join with no condition on either side: a hash join, no index",
    sql: "SELECT * FROM batches b JOIN products p ON p.id = b.product_id",
    none: [
      { table: "batches", reason: /the other side has no condition of its own to drive a nested loop/ },
      { table: "products", reason: /the other side has no condition of its own to drive a nested loop/ },
    ],
  },
  {
    name: "a top-N of one table drives a nested loop into the other",
    sql: "SELECT * FROM products p JOIN batches b ON b.product_id = p.id ORDER BY p.created_at DESC LIMIT 10",
    candidates: [
      { table: "products", columns: ["created_at DESC"] },
      { table: "batches", columns: ["product_id"] },
    ],
  },
  {
    name: "a correlated scalar subquery in the select list probes by the correlation",
    sql: "SELECT p.id, (SELECT count(*) FROM batches b WHERE b.product_id = p.id) FROM products p WHERE p.category = $1",
    candidates: [
      { table: "products", columns: ["category"] },
      { table: "batches", columns: ["product_id"] },
    ],
  },
  // CTEs and subqueries
  {
    name: "a CTE is scanned on its own; its rows joined on the other table's primary key",
    sql: "WITH recent AS (SELECT * FROM batches WHERE product_id = $1 AND status = $2) SELECT r.id, p.name FROM recent r JOIN products p ON p.id = r.product_id",
    candidates: [{ table: "batches", columns: ["product_id", "status"] }],
    covered: [{ table: "products", columns: ["id"], index: "products_pkey" }],
  },
  {
    name: "a subquery in FROM: conditions on the derived rows give no key",
    sql: "SELECT * FROM (SELECT * FROM api_keys WHERE factory_id = $1) k WHERE k.created_at > $2",
    candidates: [{ table: "api_keys", columns: ["factory_id"] }],
  },
  {
    name: "IN (SELECT …): a semi-join key for the outer table, and the subquery's own scan",
    sql: "SELECT id FROM batches WHERE product_id IN (SELECT id FROM products WHERE category = $1)",
    candidates: [
      { table: "batches", columns: ["product_id"] },
      { table: "products", columns: ["category"] },
    ],
  },
  {
    name: "a correlated EXISTS: the inner table's equality, then the correlation as join key",
    sql: "SELECT p.id FROM products p WHERE p.category = $1 AND EXISTS (SELECT 1 FROM batches b WHERE b.product_id = p.id AND b.status = $2)",
    candidates: [
      { table: "products", columns: ["category"] },
      { table: "batches", columns: ["status", "product_id"] },
    ],
  },
  {
    name: "UNION branches are scanned each on its own",
    sql: "SELECT id FROM products WHERE sku = $1 UNION ALL SELECT id FROM batches WHERE product_id = $2",
    candidates: [
      { table: "products", columns: ["sku"] },
      { table: "batches", columns: ["product_id"] },
    ],
  },
  // Writes and locks
  {
    name: "UPDATE … WHERE",
    sql: "UPDATE api_keys SET revoked_at = now() WHERE factory_id = $1 AND revoked_at IS NULL",
    candidates: [{ table: "api_keys", columns: ["factory_id"], where: "revoked_at IS NULL" }],
  },
  {
    name: "UPDATE … FROM joins the target to another table",
    sql: "UPDATE batches b SET status = 'closed' FROM products p WHERE b.product_id = p.id AND p.sku = $1",
    candidates: [
      { table: "batches", columns: ["product_id"] },
      { table: "products", columns: ["sku"] },
    ],
  },
  {
    name: "DELETE … WHERE with an equality and a range",
    sql: "DELETE FROM batches WHERE product_id = $1 AND created_at < $2",
    candidates: [{ table: "batches", columns: ["product_id", "created_at"] }],
  },
  {
    name: "SELECT … FOR UPDATE",
    sql: "SELECT id FROM api_keys WHERE key_hash = $1 FOR UPDATE",
    candidates: [{ table: "api_keys", columns: ["key_hash"] }],
  },
  {
    name: "INSERT … SELECT reads its SELECT's table",
    sql: "INSERT INTO batches (product_id, name) SELECT id, name FROM products WHERE category = $1",
    candidates: [{ table: "products", columns: ["category"] }],
  },
  {
    name: "EXPLAIN of a query is the query",
    sql: "EXPLAIN SELECT id FROM api_keys WHERE email = $1",
    candidates: [{ table: "api_keys", columns: ["email"] }],
  },
  // What the schema already serves
  {
    name: "equality on the primary key is covered",
    sql: "SELECT * FROM products WHERE id = $1",
    covered: [{ table: "products", columns: ["id"], index: "products_pkey" }],
  },
  {
    name: "the primary key plus another equality still finds one row",
    sql: "SELECT * FROM api_keys WHERE factory_id = $1 AND id = $2",
    covered: [{ table: "api_keys", columns: ["factory_id", "id"], index: "api_keys_pkey" }],
  },
  {
    name: "an existing index with the range column",
    sql: "SELECT count(*) FROM batches WHERE created_at >= $1",
    covered: [{ table: "batches", columns: ["created_at"], index: "batches_created_at_idx" }],
  },
  {
    name: "a partial index WHERE status IS NOT NULL serves status = $1 (strict operators imply NOT NULL)",
    sql: "SELECT id FROM api_keys WHERE status = $1",
    covered: [{ table: "api_keys", columns: ["status"], index: "api_keys_status_idx" }],
  },
  {
    name: "an ORDER BY on a partial index's column is not served by it",
    sql: "SELECT id FROM api_keys ORDER BY status LIMIT 10",
    candidates: [{ table: "api_keys", columns: ["status"] }],
    reason: /"api_keys_status_idx" does not count: its predicate "status IS NOT NULL" is not implied/,
  },
  {
    name: "a table the migrations do not create",
    sql: "SELECT id FROM invoices WHERE customer_id = $1",
    none: [],
  },
];

describe("query shapes → candidate indexes", () => {
  let catalog: Catalog;
  beforeAll(async () => {
    await initSqlParser();
    catalog = catalogFrom(SCHEMA);
  });

  for (const c of cases) {
    it(c.name, () => {
      const analysis = analyzeWorkload([querySource(c.sql)], { catalog });
      expect(analysis.errors).toEqual([]);
      expect(
        analysis.candidates.map((x) => ({
          table: x.table,
          columns: x.columns,
          ...(x.where ? { where: x.where } : {}),
        })),
      ).toEqual(c.candidates ?? []);
      expect(analysis.covered.map((x) => ({ table: x.table, columns: x.columns, index: x.index }))).toEqual(
        c.covered ?? [],
      );
      const none = analysis.scans.filter((s) => s.outcome === "no-candidate");
      expect(none.map((s) => s.table)).toEqual((c.none ?? []).map((n) => n.table));
      none.forEach((s, i) => {
        expect(s.reason).toMatch(c.none?.[i]?.reason as RegExp);
      });
      if (c.reason) expect(analysis.candidates.map((x) => x.reason).join("\n")).toMatch(c.reason);
    });
  }

  it("reports a table the migrations do not create, and an ambiguous column, by name", () => {
    const analysis = analyzeWorkload(
      [
        querySource(
          "SELECT id FROM invoices WHERE customer_id = $1;\nSELECT k.id FROM api_keys k JOIN factories f ON f.id = k.factory_id WHERE id = $1;",
        ),
      ],
      { catalog },
    );
    expect(analysis.scans.filter((s) => s.outcome === "not-in-schema").map((s) => s.reason)).toEqual([
      "table invoices is not in the schema the migrations build",
    ]);
    expect(analysis.notes.map((n) => n.message)).toEqual([
      'column "id" could be in any of k, f; qualify it to get an index suggestion',
    ]);
  });
});
