/**
 * Migrations that are code (Flyway's Java classes, goose's Go files) run in version order with
 * the SQL ones. pg-index-lint cannot read them, so each is a located note, never silence.
 */
import { describe, expect, it } from "vitest";
import { checkRepo } from "../harness.js";

describe("code migrations beside the SQL ones", () => {
  it("Flyway: a V2__….java between two SQL migrations is an unsupported-construct note at the file", async () => {
    const result = await checkRepo({
      runner: "flyway",
      files: {
        "V1__a.sql": "CREATE TABLE a (id int);",
        "V2__backfill.java":
          "package db.migration;\npublic class V2__backfill extends BaseJavaMigration {}\n",
        "V3__c.sql": "SELECT 1;",
      },
    });
    const notes = result.findings.filter((f) => f.rule === "unsupported-construct");
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ file: expect.stringMatching(/V2__backfill\.java$/), line: 1 });
    expect(notes[0]?.message).toMatch(/Java-based migration, which Flyway runs in version order/);
    expect(result.summary.files).toBe(2);
  });

  it("goose: a Go migration is a note; its _test.go file is not", async () => {
    const result = await checkRepo({
      runner: "goose",
      files: {
        "00001_a.sql": "-- +goose Up\nCREATE TABLE a (id int);\n",
        "00002_backfill.go": "package migrations\n",
        "00002_backfill_test.go": "package migrations\n",
      },
    });
    const notes = result.findings.filter((f) => f.rule === "unsupported-construct");
    expect(notes.map((f) => f.file.split("/").pop())).toEqual(["00002_backfill.go"]);
    expect(notes[0]?.message).toMatch(/a Go migration, which goose runs/);
  });

  it("a plain SQL folder with a .java file beside it says nothing about it", async () => {
    const result = await checkRepo({
      files: { "001.sql": "CREATE TABLE a (id int);", "Helper.java": "class Helper {}\n" },
    });
    expect(result.findings).toEqual([]);
  });
});
