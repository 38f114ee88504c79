/**
 * `suggest` prints the query-derived indexes as a required-indexes block; pasted into the config,
 * the existing rules enforce them (missing until a migration builds them).
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { check } from "../../src/check.js";
import { runCli } from "../cli-io.js";
import { scratchDir } from "../harness.js";

describe("pg-index-lint suggest", () => {
  it("prints the example's five needs in rank order, which the config then enforces", async () => {
    const root = scratchDir();
    cpSync("examples/factory-service", root, { recursive: true });
    const config = join(root, "queries.pg-index-lint.yml");
    const { code, stdout } = await runCli(["suggest", root, "--config", config]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^# 5 indexes the queries need, ranked/);
    const entries = parse(stdout)["required-indexes"] as {
      table: string;
      columns: string[];
      where?: string;
    }[];
    expect(entries.map((e) => [e.table, e.columns.join(","), e.where ?? ""])).toEqual([
      ["api_keys", "key_hash", ""],
      ["api_keys", "factory_id", "revoked_at IS NULL"],
      ["api_keys", "factory_id,created_at DESC", ""],
      ["batches", "product_id", ""],
      ["products", "sku", ""],
    ]);
    // Pasted into the config, each is a required index the migrations do not build yet.
    writeFileSync(config, `${readFileSync(config, "utf8")}\n${stdout}`);
    const result = await check({ paths: [root], config });
    expect(result.findings.filter((f) => f.rule === "missing-required-index")).toHaveLength(5);
  });

  it("says what it needs when the config names no queries", async () => {
    const root = scratchDir();
    writeFileSync(join(root, "001.sql"), "CREATE TABLE t (id int);");
    const { code, stderr } = await runCli(["suggest", root]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/suggest needs the service's queries: add `queries:` to the config/);
  });
});
