/**
 * A repository with 10,000 findings: every one of them is in check's JSON, and the text output
 * lists every one. The times are printed for the record, not asserted.
 */
import { describe, expect, it } from "vitest";
import { cli, hostileRepo } from "./cli.js";

const COLUMNS = 100;

/** A table of 100 columns and an index on each ordered pair of distinct columns plus each column twice. */
function manyIndexes(): { root: string; count: number } {
  const columns = Array.from({ length: COLUMNS }, (_, i) => `c${i}`);
  const indexes: string[] = [];
  for (const a of columns)
    for (const b of columns) indexes.push(`CREATE INDEX i_${a}_${b} ON t (${a}, ${b});`);
  const { root } = hostileRepo({
    "migrations/001_table.sql": `CREATE TABLE t (${columns.map((c) => `${c} int`).join(", ")});\n`,
    "migrations/002_indexes.sql": `${indexes.join("\n")}\n`,
  });
  return { root, count: indexes.length };
}

describe("10,000 findings", () => {
  it("are all in check's JSON, and all in the text output", () => {
    const { root, count } = manyIndexes();
    expect(count).toBe(10_000);
    let started = performance.now();
    const json = cli(root, ["check", "migrations", "--format", "json"]);
    const jsonMs = performance.now() - started;
    const findings = (JSON.parse(json.stdout) as { findings: { rule: string; file: string; line: number }[] })
      .findings;
    // Each index on an existing table is built without CONCURRENTLY: one finding per line.
    const perLine = findings.filter((f) => f.rule === "require-concurrent-index-creation");
    expect(perLine).toHaveLength(count);
    expect(new Set(perLine.map((f) => f.line)).size).toBe(count);
    expect(json.status).toBe(1);
    started = performance.now();
    const text = cli(root, ["check", "migrations"]);
    const textMs = performance.now() - started;
    expect(text.stdout.match(/^(?:error|warning)\[/gm)).toHaveLength(findings.length);
    console.log(
      `10,000 findings: check --format json ${Math.round(jsonMs)} ms (${findings.length} findings, ${json.stdout.length} bytes); text ${Math.round(textMs)} ms (${text.stdout.length} bytes)`,
    );
  });
});
