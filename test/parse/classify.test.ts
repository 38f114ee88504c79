import { parseSync } from "libpg-query";
import { beforeAll, describe, expect, it } from "vitest";
import {
  cannotRunInTransaction,
  endsBlock,
  opensBlock,
  statementShape,
  transactionControl,
} from "../../src/parse/classify.js";
import { initSqlParser } from "../../src/parse/sql.js";

beforeAll(async () => {
  await initSqlParser();
});

const node = (sql: string) => {
  const stmt = parseSync(sql).stmts?.[0]?.stmt;
  if (!stmt) throw new Error(`no statement in ${sql}`);
  return stmt;
};

describe("transaction control", () => {
  it.each([
    ["BEGIN", "begin", true, false],
    ["START TRANSACTION ISOLATION LEVEL SERIALIZABLE", "begin", true, false],
    ["COMMIT", "commit", false, true],
    ["END", "commit", false, true],
    ["ROLLBACK", "rollback", false, true],
    ["ABORT", "rollback", false, true],
    // AND CHAIN opens a new transaction block at once: the session never leaves one.
    ["COMMIT AND CHAIN", "commit-and-chain", false, false],
    ["ROLLBACK AND CHAIN", "rollback-and-chain", false, false],
    // PREPARE TRANSACTION dissociates the transaction from the session.
    ["PREPARE TRANSACTION 'x'", "prepare", false, true],
    ["COMMIT PREPARED 'x'", "finish-prepared", false, false],
    ["ROLLBACK PREPARED 'x'", "finish-prepared", false, false],
    ["SAVEPOINT s", "savepoint", false, false],
    ["RELEASE SAVEPOINT s", "savepoint", false, false],
    ["ROLLBACK TO SAVEPOINT s", "savepoint", false, false],
    ["SELECT 1", null, false, false],
  ])("%s is %s", (sql, control, opens, ends) => {
    const c = transactionControl(node(sql));
    expect(c).toBe(control);
    expect(opensBlock(c)).toBe(opens);
    expect(endsBlock(c)).toBe(ends);
  });
});

describe("statements that cannot run in a transaction block", () => {
  it.each([
    ["CREATE INDEX CONCURRENTLY i ON t (c)", "create-index-concurrently"],
    ["CREATE INDEX i ON t (c)", null],
    ["DROP INDEX CONCURRENTLY i", "drop-index-concurrently"],
    ["DROP INDEX i", null],
    ["REINDEX INDEX CONCURRENTLY i", "reindex-concurrently"],
    ["REINDEX (CONCURRENTLY) TABLE t", "reindex-concurrently"],
    ["REINDEX (CONCURRENTLY false) TABLE t", null],
    ["REINDEX SCHEMA s", "reindex-schema-database-system"],
    ["VACUUM t", "vacuum"],
    ["ANALYZE t", null],
    ["CREATE DATABASE d", "create-or-drop-database"],
    ["ALTER SYSTEM SET work_mem = '1MB'", "alter-system"],
    ["DISCARD ALL", "discard-all"],
    ["DISCARD PLANS", null],
  ])("%s", (sql, shape) => {
    expect(statementShape(node(sql))).toBe(shape);
    expect(cannotRunInTransaction(node(sql))).toBe(shape !== null);
  });

  it("counts COMMIT PREPARED, which is not a shape a runner detects", () => {
    expect(statementShape(node("COMMIT PREPARED 'x'"))).toBeNull();
    expect(cannotRunInTransaction(node("COMMIT PREPARED 'x'"))).toBe(true);
  });
});
