/**
 * A config comes from the repository under review: verify.rows is capped (per table and in all),
 * lower on PGlite, whose data lives in this process's memory. The cap is applied with a note.
 */
import { describe, expect, it } from "vitest";
import { capRows, ROW_LIMITS } from "../../src/verify/synthetic.js";
import { runVerify as verify } from "../verify-run.js";
import { engines, failOnUnhandledRejections, repo, sayWhyServerTestsSkip } from "./server.js";

sayWhyServerTestsSkip("the row limits");
failOnUnhandledRejections();

describe("capRows", () => {
  it("leaves counts within the limits alone, with no note", () => {
    expect(capRows({ a: 10, b: 20 }, { perTable: 100, total: 1000 })).toEqual({ rows: { a: 10, b: 20 } });
  });

  it("caps each table, then scales all of them down together to the total, keeping their ratios", () => {
    const { rows, note } = capRows({ a: 5_000, b: 1_000, c: 500 }, { perTable: 2_000, total: 1_750 });
    // a is capped to 2,000 first; 2,000 + 1,000 + 500 = 3,500 is then halved.
    expect(rows).toEqual({ a: 1_000, b: 500, c: 250 });
    expect(note).toBe(
      "verify.rows asks for more rows than verify fills here (at most 2,000 per table and 1,750 in all): a 5,000 → 1,000, b 1,000 → 500, c 500 → 250",
    );
  });

  it("keeps PGlite's caps under the server's", () => {
    expect(ROW_LIMITS.pglite.perTable).toBeLessThan(ROW_LIMITS.server.perTable);
    expect(ROW_LIMITS.pglite.total).toBeLessThan(ROW_LIMITS.server.total);
  });
});

describe.each(engines)("verify.rows beyond the cap on $name", ({ name, url }) => {
  const limits = ROW_LIMITS[url ? "server" : "pglite"];
  it("fills the capped count, records what was asked, and says so", async () => {
    const asked = limits.perTable * 3;
    const notes: string[] = [];
    const result = await verify({
      paths: [
        repo(
          {
            "001.sql": "CREATE TABLE t (id bigint PRIMARY KEY, label text NOT NULL);\n",
            "002.sql": "CREATE INDEX t_label ON t (label);\n",
          },
          `verify:\n  rows: { t: ${asked} }\n`,
        ),
      ],
      env: {},
      ...(url ? { databaseUrl: url } : {}),
      onNote: (line) => notes.push(line),
    });
    const fill = result.report.impact?.fills.find((f) => f.table === "t");
    console.log(
      `${name}: verify.rows t: ${asked} filled ${fill?.rows} rows in ${((fill?.ms ?? 0) / 1000).toFixed(1)} s`,
    );
    expect(fill).toMatchObject({ table: "t", rows: limits.perTable, requested: asked });
    expect(notes).toContain(
      `verify.rows asks for more rows than verify fills here (at most ${limits.perTable.toLocaleString("en-US")} per table and ${limits.total.toLocaleString("en-US")} in all): t ${asked.toLocaleString("en-US")} → ${limits.perTable.toLocaleString("en-US")}`,
    );
  });
});
