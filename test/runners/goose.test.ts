import { describe, expect, it } from "vitest";
import { detectRunner } from "../../src/sources/index.js";
import { checkRepo, writeRepo } from "../harness.js";

const up = (sql: string, header = "") =>
  `${header}-- +goose Up\n${sql}\n-- +goose Down\nDROP INDEX IF EXISTS i;\nDROP TABLE IF EXISTS t;\n`;
const table = up("CREATE TABLE t (id int PRIMARY KEY, c int);");

describe("goose", () => {
  it("is detected by its -- +goose Up annotation", () => {
    const root = writeRepo({ runner: "sql", files: { "00001_t.sql": table } });
    expect(detectRunner(`${root}/migrations`)?.id).toBe("goose");
  });

  it("replays only the Up part, in version order (2 before 10), and never the Down part", async () => {
    const result = await checkRepo({
      runner: "goose",
      files: {
        "10_index.sql": up("CREATE INDEX CONCURRENTLY i ON t (c);", "-- +goose NO TRANSACTION\n"),
        "2_table.sql": table,
      },
    });
    expect(result.sets[0]?.migrations.map((m) => m.id)).toEqual(["2", "10"]);
    // The Down part's DROP INDEX would be a require-concurrent-index-deletion finding if it were replayed.
    expect(result.findings).toEqual([]);
    expect(result.sets[0]?.catalog.resolveIndex(undefined, "i")).toBeDefined();
  });

  it("runs each file in a transaction unless it says NO TRANSACTION", async () => {
    const result = await checkRepo({
      runner: "goose",
      files: { "00001_t.sql": table, "00002_i.sql": up("CREATE INDEX CONCURRENTLY i ON t (c);") },
    });
    expect(result.findings.map((f) => [f.rule, f.line, f.help])).toEqual([
      [
        "ban-concurrent-index-creation-in-transaction",
        2,
        "Put `-- +goose NO TRANSACTION` at the top of this file, which holds only this statement.",
      ],
    ]);
  });
});

describe("goose annotations", () => {
  it("are read without regard to case, as goose reads them", async () => {
    const result = await checkRepo({
      runner: "goose",
      files: {
        "1_t.sql":
          "-- +goose up\nCREATE TABLE t (id int PRIMARY KEY, c int);\n-- +goose down\nDROP TABLE t;\n",
        "2_i.sql": "-- +goose no transaction\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (c);\n",
      },
    });
    expect(result.findings).toEqual([]);
    expect(result.sets[0]?.catalog.resolveIndex(undefined, "i")).toBeDefined();
  });
});
