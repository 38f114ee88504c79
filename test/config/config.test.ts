import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findConfig, parseConfig } from "../../src/config/load.js";
import { configJsonSchema } from "../../src/config/schema.js";
import { UserError } from "../../src/errors.js";
import { scratchDir } from "../harness.js";

function errorOf(text: string): string {
  try {
    parseConfig(text, "/repo/.pg-index-lint.yml");
  } catch (error) {
    if (error instanceof UserError) return error.format();
    throw error;
  }
  throw new Error("no error");
}

describe("config", () => {
  it("loads the documented keys, with each required index's line", () => {
    const config = parseConfig(
      "migrations:\n  - path: db\n    runner: golang-migrate\n    version: 4.18\nrequired-indexes:\n  - table: api_keys\n    columns: [key_hash]\n  - { table: batches, columns: [product_id] }\nrules: { redundant-index: off }\n",
      "/repo/.pg-index-lint.yml",
    );
    expect(config.data.migrations?.[0]).toEqual({ path: "db", runner: "golang-migrate", version: "4.18" });
    expect(config.requiredIndexes.map((r) => [r.table, r.line])).toEqual([
      ["api_keys", 6],
      ["batches", 8],
    ]);
  });

  it.each([
    ["an unknown key", "migrations: []\nrequire-indexes: []\n", /:2: unknown key "require-indexes"/],
    [
      "an unknown key deep inside",
      "required-indexes:\n  - table: t\n    columns: [a]\n    colums: [b]\n",
      /:4: required-indexes\[0\]: unknown key "colums"/,
    ],
    [
      "a wrong type",
      "required-indexes:\n  - table: t\n    columns: a\n",
      /:3: required-indexes\[0\]\.columns: .*array/,
    ],
    [
      "an entry with no columns",
      "required-indexes:\n  - table: t\n    columns: []\n",
      /:3: .*at least one column/,
    ],
    [
      "an entry without columns",
      "required-indexes:\n  - table: t\n",
      /:2: required-indexes\[0\]\.columns: is required/,
    ],
    [
      "an unknown runner",
      "migrations:\n  - path: m\n    runner: liquibase\n",
      /:3: migrations\[0\]\.runner: must be one of .*"sql"/,
    ],
    ["broken YAML", "migrations:\n  - path: [m\n", /:\d+: invalid YAML/],
    ["a duplicated key", "rules: {}\nrules: {}\n", /:2: invalid YAML: .*[Mm]ap keys must be unique/],
  ])("rejects %s with file and line", (_, text, expected) => {
    const message = errorOf(text);
    expect(message).toMatch(/^\/repo\/\.pg-index-lint\.yml:|^\.\.\/.*\.pg-index-lint\.yml:/);
    expect(message).toMatch(expected);
    expect(message.split("\n")).toHaveLength(1);
  });

  it("is found by walking up from the target directory", () => {
    const root = scratchDir("pil-config-");
    mkdirSync(join(root, "a/b/c"), { recursive: true });
    writeFileSync(join(root, "a/.pg-index-lint.yml"), "migrations: []\n");
    expect(findConfig(join(root, "a/b/c"))).toBe(join(root, "a/.pg-index-lint.yml"));
    expect(findConfig(join(root))).toBeNull();
  });

  it("publishes a JSON Schema that matches the code (run `npm run schema` after changing it)", () => {
    const published = JSON.parse(readFileSync("schema/config.schema.json", "utf8"));
    expect(published).toEqual(configJsonSchema());
  });
});
