import { fileURLToPath } from "node:url";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { check } from "../../src/check.js";
import { initSqlParser, parseSql } from "../../src/parse/sql.js";
import { supabaseRunner } from "../../src/runners/supabase.js";
import { assignTransactions } from "../../src/runners/transactions.js";
import { checkRepo } from "../harness.js";
import { serverSuite, serverUrl } from "../server.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/runners/supabase/supabase/migrations", import.meta.url));

describe("Supabase CLI check", () => {
  it("checks the fixture: its leading CONCURRENTLY statement runs outside the pipeline's transaction", async () => {
    const result = await check({ paths: [FIXTURE] });
    expect(result.sets[0]?.runner).toBe("supabase");
    expect(result.sets[0]?.migrations.map((m) => m.id)).toEqual(["20240101000000", "20240102000000"]);
    expect(result.findings.filter((f) => f.severity === "error")).toEqual([]);
    // The skipped 20211201000000_init.sql never creates its table.
    expect(result.sets[0]?.catalog.resolveRelation({ relname: "legacy" })).toBeUndefined();
  });

  it("flags CONCURRENTLY after another statement of the file, and names the CLI's way out", async () => {
    const result = await checkRepo({
      runner: "supabase",
      files: {
        "20240101000000_t.sql": "CREATE TABLE t (id int PRIMARY KEY, c int);\n",
        "20240102000000_i.sql": "ALTER TABLE t ADD d int;\nCREATE INDEX CONCURRENTLY t_d ON t (d);\n",
      },
    });
    expect(result.findings.map((f) => [f.rule, f.line, f.help])).toEqual([
      [
        "ban-concurrent-index-creation-in-transaction",
        2,
        "Move it to a migration of its own, 20240102000001_i_concurrently.sql (the Supabase CLI runs a file's statements in one implicit transaction, which a CONCURRENTLY statement may only start).",
      ],
    ]);
    expect(result.findings[0]?.message).toContain("one pipeline closed by a single Sync");
  });
});

/** The protocol-level calls of pg's Connection that its type declarations leave out. */
interface RawConnection {
  on(event: string, listener: (message: { code?: string }) => void): void;
  startup(options: { user: string; database: string }): void;
  parse(query: { text: string; types: unknown[] }): void;
  bind(config: { values: unknown[] }): void;
  describe(message: { type: "P" }): void;
  execute(config: { rows: number }): void;
  sync(): void;
  end(): void;
  connect(port: number, host: string): void;
}

/**
 * Sends statements the way pgx's ExecBatch does (Parse/Bind/Describe/Execute each, one Sync) and
 * returns, per statement, "ok" or the SQLSTATE it failed with ("skipped" after a failure).
 */
function pipeline(url: string, statements: string[]): Promise<string[]> {
  const { hostname, port, username, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const con = new pg.Connection() as unknown as RawConnection;
    const out: string[] = [];
    let ready = 0;
    con.on("connect", () => con.startup({ user: username, database: pathname.slice(1) }));
    con.on("errorMessage", (e) => out.push(e.code ?? "error"));
    con.on("commandComplete", () => out.push("ok"));
    con.on("error", reject);
    con.on("readyForQuery", () => {
      ready++;
      if (ready === 1) {
        for (const text of statements) {
          con.parse({ text, types: [] });
          con.bind({ values: [] });
          con.describe({ type: "P" });
          con.execute({ rows: 0 });
        }
        con.sync();
      } else {
        con.end();
        resolve(statements.map((_, i) => out[i] ?? "skipped"));
      }
    });
    con.connect(Number(port || 5432), hostname);
  });
}

describe.skipIf(!serverUrl)(serverSuite("the pipeline model on a real PostgreSQL"), () => {
  const files = [
    "CREATE INDEX CONCURRENTLY a ON pil_pipe.t (c);\nALTER TABLE pil_pipe.t ADD d int;",
    "ALTER TABLE pil_pipe.t ADD d int;\nCREATE INDEX CONCURRENTLY b ON pil_pipe.t (c);",
    "CREATE INDEX CONCURRENTLY c ON pil_pipe.t (c);\nCREATE INDEX CONCURRENTLY d ON pil_pipe.t (id);",
    "BEGIN;\nALTER TABLE pil_pipe.t ADD d int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY e ON pil_pipe.t (c);",
  ];
  for (const file of files) {
    it(`predicts which CONCURRENTLY statement PostgreSQL refuses: ${file.replaceAll("\n", " ")}`, async () => {
      await initSqlParser();
      const parsed = parseSql(file, "x.sql");
      const model = supabaseRunner.model(null);
      const predicted = assignTransactions(
        parsed.statements,
        model,
        { sql: file, noTransaction: false },
        "CLI",
      )
        .filter((s) => /CONCURRENTLY/.test(s.sql))
        .map((s) => (s.tx.inTransaction ? "25001" : "ok"));
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      try {
        await admin.query(
          "DROP SCHEMA IF EXISTS pil_pipe CASCADE; CREATE SCHEMA pil_pipe; CREATE TABLE pil_pipe.t (id int, c int)",
        );
        const results = await pipeline(
          serverUrl as string,
          parsed.statements.map((s) => s.sql),
        );
        const measured = parsed.statements
          .map((s, i) => ({ s, r: results[i] }))
          .filter(({ s }) => /CONCURRENTLY/.test(s.sql))
          .map(({ r }) => r);
        expect(measured).toEqual(predicted);
      } finally {
        await admin.query("DROP SCHEMA IF EXISTS pil_pipe CASCADE");
        await admin.end();
      }
    });
  }
});
