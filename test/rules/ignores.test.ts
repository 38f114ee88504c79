import { describe, expect, it } from "vitest";
import { checkRepo } from "../harness.js";

const rulesAt = async (files: Record<string, string>, runner?: "golang-migrate") => {
  const result = await checkRepo({ files, ...(runner ? { runner } : {}) });
  return result.findings.map((f) => `${f.file.replace(/^.*\/migrations\//, "")}:${f.line} ${f.rule}`);
};

const tables =
  "CREATE TABLE currencies (code text PRIMARY KEY);\nCREATE TABLE invoices (id bigint PRIMARY KEY, currency text);\n";

describe("inline ignores", () => {
  it("cover a finding that starts inside the statement (a foreign key clause)", async () => {
    expect(
      await rulesAt({
        "001.sql": tables,
        "002.sql":
          "-- pg-index-lint-ignore unindexed-foreign-key: currencies are never deleted\nALTER TABLE invoices ADD CONSTRAINT invoices_currency_fkey\n  FOREIGN KEY (currency) REFERENCES currencies (code);",
      }),
    ).toEqual([]);
  });

  it("cover a missing required index located at its CREATE TABLE", async () => {
    const result = await checkRepo({
      files:
        "-- pg-index-lint-ignore missing-required-index: built by the ops team\nCREATE TABLE api_keys (id int, key_hash text);",
      config: { "required-indexes": [{ table: "api_keys", columns: ["key_hash"] }] },
    });
    expect(result.findings).toEqual([]);
  });

  it("keep an ignored rejection in the schema: the user says the statement runs", async () => {
    expect(
      await rulesAt(
        {
          "1_a.up.sql":
            "CREATE TABLE f (id bigint PRIMARY KEY);\nCREATE TABLE b (id bigint PRIMARY KEY, f_id bigint REFERENCES f (id), x int);\n",
          "2_b.up.sql":
            "-- pg-index-lint-ignore ban-concurrent-index-creation-in-transaction: x-multi-statement=true\nCREATE INDEX CONCURRENTLY b_f ON b (f_id);\n-- pg-index-lint-ignore ban-concurrent-index-creation-in-transaction: x-multi-statement=true\nCREATE INDEX CONCURRENTLY b_x ON b (x);\n",
        },
        "golang-migrate",
      ),
    ).toEqual([]);
  });

  it("stack: each of two directives above one statement counts, and the idle one is reported", async () => {
    expect(
      await rulesAt({
        "001.sql": "CREATE TABLE orders (id int, customer_id int);",
        "002.sql":
          "-- pg-index-lint-ignore require-concurrent-index-creation: a\n-- pg-index-lint-ignore constraint-builds-index: b\nCREATE INDEX i ON orders (customer_id);",
      }),
    ).toEqual(["002.sql:2 unused-ignore"]);
  });

  it("at the end of a statement's line apply to that statement only", async () => {
    expect(
      await rulesAt({
        "001.sql": "CREATE TABLE orders (id int, customer_id int);",
        "002.sql":
          "CREATE INDEX a ON orders (customer_id); -- pg-index-lint-ignore require-concurrent-index-creation: a\nCREATE INDEX b ON orders (id);",
      }),
    ).toEqual(["002.sql:2 require-concurrent-index-creation"]);
  });

  it("naming an unknown rule are reported", async () => {
    const result = await checkRepo({ files: "-- pg-index-lint-ignore no-such-rule: typo\nSELECT 1;" });
    expect(result.findings.map((f) => [f.rule, f.line, f.message])).toEqual([
      ["unused-ignore", 1, 'pg-index-lint-ignore names an unknown rule "no-such-rule".'],
    ]);
  });

  it("can be turned off as a rule", async () => {
    const result = await checkRepo({
      files: "-- pg-index-lint-ignore duplicate-index: stale\nSELECT 1;",
      config: { rules: { "unused-ignore": "off" } },
    });
    expect(result.findings).toEqual([]);
  });
});
