/** The models' schema as a base: tables in an order PostgreSQL accepts (each after what it references). */
import { beforeAll, describe, expect, it } from "vitest";
import type { Statement } from "../../src/model.js";
import { initSqlParser, parseSql } from "../../src/parse/sql.js";
import { inCreateOrder } from "../../src/schema/create-order.js";

beforeAll(() => initSqlParser());

const statements = (sql: string) =>
  parseSql(sql, "models.py").statements.map(
    (s): Statement => ({ ...s, tx: { inTransaction: false, reason: "autocommit", detail: "a test" } }),
  );
const order = (sql: string) => inCreateOrder(statements(sql)).map((s) => s.sql);

describe("inCreateOrder", () => {
  it("puts a table after the tables its foreign keys reference, with its indexes and comments", () => {
    expect(
      order(
        [
          "CREATE TYPE kind AS ENUM ('a', 'b')",
          "CREATE TABLE data_sources (id int PRIMARY KEY, org_id int REFERENCES organizations (id), kind kind)",
          "CREATE INDEX data_sources_org ON data_sources (org_id)",
          "CREATE TABLE queries (id int PRIMARY KEY, source_id int, FOREIGN KEY (source_id) REFERENCES data_sources (id))",
          "CREATE TABLE organizations (id int PRIMARY KEY, parent_id int REFERENCES organizations (id))",
          "COMMENT ON TABLE organizations IS 'tenants'",
        ].join(";\n"),
      ),
    ).toEqual([
      "CREATE TYPE kind AS ENUM ('a', 'b')",
      "CREATE TABLE organizations (id int PRIMARY KEY, parent_id int REFERENCES organizations (id))",
      "COMMENT ON TABLE organizations IS 'tenants'",
      "CREATE TABLE data_sources (id int PRIMARY KEY, org_id int REFERENCES organizations (id), kind kind)",
      "CREATE INDEX data_sources_org ON data_sources (org_id)",
      "CREATE TABLE queries (id int PRIMARY KEY, source_id int, FOREIGN KEY (source_id) REFERENCES data_sources (id))",
    ]);
  });

  it("keeps the declared order when it already works", () => {
    const sql = [
      "CREATE TABLE x (id int PRIMARY KEY)",
      "CREATE TABLE y (id int PRIMARY KEY, x_id int REFERENCES x (id))",
      "CREATE TABLE z (id int PRIMARY KEY)",
    ];
    expect(order(sql.join(";\n"))).toEqual(sql);
  });

  it("places what it can first, then a cycle in its own order", () => {
    const a = "CREATE TABLE a (id int PRIMARY KEY, b_id int REFERENCES b (id))";
    const b = "CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id))";
    const c = "CREATE TABLE c (id int PRIMARY KEY, ext_id int REFERENCES elsewhere (id))";
    expect(order([a, b, c].join(";\n"))).toEqual([c, a, b]);
  });
});
