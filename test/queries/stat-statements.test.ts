import { beforeAll, describe, expect, it } from "vitest";
import { initSqlParser } from "../../src/parse/sql.js";
import { analyzeWorkload } from "../../src/queries/analyze.js";
import { readStatStatements } from "../../src/queries/stat-statements.js";

const FILE = "stats/pg_stat_statements.csv";

describe("readStatStatements", () => {
  beforeAll(async () => {
    await initSqlParser();
  });

  it("reads a PostgreSQL 13+ CSV export: each query at its row's first line, with its figures", () => {
    const csv = [
      "queryid,query,calls,total_exec_time,mean_exec_time,rows",
      '42,"SELECT id\nFROM api_keys\nWHERE key_hash = $1",52000,46800.5,0.9,51870',
      "-7,BEGIN,100,0.5,0.005,0",
    ].join("\n");
    const source = readStatStatements(csv, FILE);
    expect(source.errors).toEqual([]);
    expect(
      source.queries.map((q) => ({ text: q.text, range: q.range, figures: q.figures, queryid: q.queryid })),
    ).toEqual([
      {
        text: "SELECT id\nFROM api_keys\nWHERE key_hash = $1",
        range: { file: FILE, line: 2, column: 1, endLine: 4, endColumn: 2 },
        figures: { calls: 52000, totalMs: 46800.5, meanMs: 0.9, rows: 51870 },
        queryid: "42",
      },
      {
        text: "BEGIN",
        range: { file: FILE, line: 5, column: 1, endLine: 5, endColumn: 2 },
        figures: { calls: 100, totalMs: 0.5, meanMs: 0.005, rows: 0 },
        queryid: "-7",
      },
    ]);
    expect(source.totalMs).toBe(46801);
  });

  it("reads PostgreSQL 12's total_time and mean_time, and derives a missing mean from total / calls", () => {
    const older = readStatStatements("query,calls,total_time,mean_time\nSELECT 1,4,10,2.5\n", FILE);
    expect(older.queries[0]?.figures).toEqual({ calls: 4, totalMs: 10, meanMs: 2.5 });
    const noMean = readStatStatements("query,calls,total_exec_time\nSELECT 1,4,10\n", FILE);
    expect(noMean.queries[0]?.figures).toEqual({ calls: 4, totalMs: 10, meanMs: 2.5 });
  });

  it("reads a JSON export (an array of objects), each query at its object's line", () => {
    const json = `[
  {"queryid": 1, "query": "SELECT id FROM products WHERE sku = $1", "calls": 410, "total_exec_time": 1312.0, "mean_exec_time": 3.2},
  {
    "queryid": "2",
    "query": "SELECT 1",
    "calls": "7",
    "total_exec_time": "1.5e1"
  }
]`;
    const source = readStatStatements(json, "stats/pgss.json");
    expect(source.errors).toEqual([]);
    expect(source.queries.map((q) => [q.range.line, q.range.endLine, q.queryid, q.figures])).toEqual([
      [2, 2, "1", { calls: 410, totalMs: 1312, meanMs: 3.2 }],
      [3, 8, "2", { calls: 7, totalMs: 15, meanMs: 15 / 7 }],
    ]);
  });

  it("reports missing columns once, at the header, and reads no row", () => {
    const source = readStatStatements("query,calls,mean_exec_time\nSELECT 1,1,1\nSELECT 2,1,1\n", FILE);
    expect(source.queries).toEqual([]);
    expect(source.errors).toEqual([
      {
        message:
          "pg_stat_statements export: missing column total_exec_time (PostgreSQL 13+) or total_time (older) (columns found: query, calls, mean_exec_time)",
        range: { file: FILE, line: 1, column: 1, endLine: 1, endColumn: 2 },
      },
    ]);
  });

  it("reports missing columns of a JSON export at the array's start", () => {
    const source = readStatStatements('\n\n[{"query": "SELECT 1"}]', "x.json");
    expect(source.errors.map((e) => [e.range.line, e.message])).toEqual([
      [
        3,
        "pg_stat_statements export: missing columns calls, total_exec_time (PostgreSQL 13+) or total_time (older) (columns found: query)",
      ],
    ]);
  });

  it("reports each unreadable row at its line and keeps the others", () => {
    const csv = [
      "query,calls,total_exec_time",
      "SELECT 1,1,1",
      "SELECT 2,1", // one field short
      "SELECT 3,many,1",
      "SELECT 4,1,-5",
      ",1,1",
      'SELECT "5,1,1', // an unquoted field with a quote
      "SELECT 6,2,3",
    ].join("\n");
    const source = readStatStatements(csv, FILE);
    expect(source.queries.map((q) => [q.text, q.range.line])).toEqual([
      ["SELECT 1", 2],
      ["SELECT 6", 8],
    ]);
    expect(source.errors.map((e) => [e.range.line, e.message])).toEqual([
      [3, "unreadable CSV row: it has 2 fields, the header has 3"],
      [
        7,
        "unreadable CSV row: a quote inside an unquoted field (quote the whole field and double the quote)",
      ],
      [4, 'pg_stat_statements export: calls "many" is not a count'],
      [5, 'pg_stat_statements export: total_exec_time "-5" is not a time in milliseconds'],
      [6, "pg_stat_statements export: the row has no query text"],
    ]);
  });

  it("reports invalid JSON at its position, and JSON that is not an array", () => {
    const broken = readStatStatements('[\n  {"query": "SELECT 1", "calls": 1,}\n]', "x.json");
    expect(broken.errors).toHaveLength(1);
    expect(broken.errors[0]?.message).toMatch(/^invalid JSON: /);
    expect(broken.errors[0]?.range.line).toBe(2);
    const object = readStatStatements('{"query": "SELECT 1"}', "x.json");
    expect(object.errors.map((e) => e.message)).toEqual(["expected a JSON array of objects (one per row)"]);
  });

  it("reports an empty export", () => {
    expect(readStatStatements("", FILE).errors.map((e) => e.message)).toEqual(["the export is empty"]);
  });

  it("skips a text hidden from the exporting role, and says how to see it", () => {
    const source = readStatStatements("query,calls,total_exec_time\n<insufficient privilege>,10,99\n", FILE);
    expect(source.queries).toEqual([]);
    expect(source.skipped.map((s) => [s.kind, s.range.line, s.reason])).toEqual([
      [
        "hidden",
        2,
        "the role that ran the export could not read this statement's text; export as a member of pg_read_all_stats",
      ],
    ]);
    expect(source.totalMs).toBe(99);
  });

  it("does not count nested statements (toplevel = false) twice in the export's total", () => {
    const csv = "query,calls,total_exec_time,toplevel\nSELECT f(),1,100,t\nSELECT 1 FROM t,5,60,f\n";
    const source = readStatStatements(csv, FILE);
    expect(source.queries).toHaveLength(2);
    expect(source.totalMs).toBe(100);
  });
});

describe("truncated and unparsable export texts", () => {
  beforeAll(async () => {
    await initSqlParser();
  });

  const header = "query,calls,total_exec_time\n";
  const row = (text: string) => `"${text.replace(/"/g, '""')}",100,500\n`;

  it("skips a text cut mid-statement, located at its row, with the reason", () => {
    const cut = "SELECT id, name FROM api_keys WHERE factory_id = $1 AND revoked_at IS";
    const analysis = analyzeWorkload([
      readStatStatements(header + row("SELECT 1 FROM t WHERE a = $1") + row(cut), FILE),
    ]);
    expect(analysis.skipped.map((s) => ({ kind: s.kind, line: s.range.line }))).toEqual([
      { kind: "truncated", line: 3 },
    ]);
    expect(analysis.skipped[0]?.reason).toBe(
      `the text ends mid-statement (syntax error at end of input) after ${cut.length} bytes: it was cut short, e.g. by track_activity_query_size (1024 bytes)`,
    );
  });

  it("skips a text cut inside a string literal", () => {
    const analysis = analyzeWorkload([
      readStatStatements(header + row("SELECT 1 FROM t WHERE a = 'abc"), FILE),
    ]);
    expect(analysis.skipped.map((s) => s.kind)).toEqual(["truncated"]);
    expect(analysis.skipped[0]?.reason).toMatch(/unterminated quoted string/);
  });

  it("skips a text of exactly the limit's length even when the cut left valid SQL", () => {
    const base = "SELECT id FROM api_keys WHERE key_hash = $1 AND fact";
    const padded = base.replace("SELECT id", `SELECT id${", id".repeat((1023 - base.length) / 4)}`);
    const text = padded + "x".repeat(1023 - padded.length);
    expect(Buffer.byteLength(text)).toBe(1023);
    const analysis = analyzeWorkload([readStatStatements(header + row(text), FILE)]);
    expect(analysis.skipped.map((s) => [s.kind, s.range.line, s.reason])).toEqual([
      [
        "truncated",
        2,
        "the text is 1023 bytes long, the length at which track_activity_query_size (1024) cuts texts: it is probably incomplete",
      ],
    ]);
    expect(analysis.candidates).toEqual([]);
    // With a larger limit configured, the same text is analyzed.
    const larger = analyzeWorkload([readStatStatements(header + row(text), FILE)], { queryTextLimit: 4096 });
    expect(larger.skipped).toEqual([]);
    expect(larger.candidates.map((c) => c.columns)).toEqual([["key_hash"]]);
  });

  it("skips a text with a syntax error in the middle as a syntax error, not as truncated", () => {
    const analysis = analyzeWorkload([
      readStatStatements(header + row("SELECT FROM FROM t WHERE a = $1"), FILE),
    ]);
    expect(analysis.skipped.map((s) => [s.kind, s.range.line])).toEqual([["syntax-error", 2]]);
    expect(analysis.skipped[0]?.reason).toBe('not valid SQL: syntax error at or near "FROM"');
  });

  it("counts every skipped statement by kind", () => {
    const csv =
      header +
      row("BEGIN") +
      row("SET search_path = $1") +
      row("SELECT 1 FROM t WHERE a = $1") +
      row("SELECT x FROM t WHERE") +
      "SELECT 2,3,0.1\n" +
      row("INSERT INTO t (a) VALUES ($1)") +
      row("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE");
    const analysis = analyzeWorkload([readStatStatements(csv, FILE)]);
    expect(analysis.summary).toEqual({
      queries: 7,
      analyzed: 1,
      skipped: { "not-a-query": 3, truncated: 1, "below-threshold": 1, unsupported: 1 },
      totalMs: 3000.1,
    });
    expect(analysis.skipped.map((s) => [s.range.line, s.kind, s.reason])).toEqual([
      [2, "not-a-query", "a transaction statement (BEGIN, COMMIT…) reads no table rows an index could serve"],
      [3, "not-a-query", "SET reads no table rows an index could serve"],
      [
        5,
        "truncated",
        "the text ends mid-statement (syntax error at end of input) after 21 bytes: it was cut short, e.g. by track_activity_query_size (1024 bytes)",
      ],
      [6, "below-threshold", "3 calls, 0.033 ms mean: under the thresholds (10 calls, 0.1 ms mean)"],
      [7, "not-a-query", "it reads no table (INSERT … VALUES, SELECT without FROM…)"],
      [8, "unsupported", "MERGE is not analyzed yet"],
    ]);
  });
});
