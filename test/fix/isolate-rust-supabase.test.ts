/**
 * The way out of a transaction for Diesel, sqlx and the Supabase CLI: each fix is written in the
 * runner's own layout, applies, and leaves the repository clean of the finding and of any
 * statement PostgreSQL would reject.
 */
import { describe, expect, it } from "vitest";
import { fixOnce } from "./fix-once.js";

const TABLE = "CREATE TABLE t (id bigint PRIMARY KEY, a int, b int);\n";
const rejected = ["ban-concurrent-index-creation-in-transaction", "syntax-error", "invalid-migration"];

const clean = (after: { rule: string }[], rule: string) =>
  after.filter((f) => rejected.includes(f.rule) || f.rule === rule);

describe("a CONCURRENTLY fix in Diesel's, sqlx's and Supabase's layouts", () => {
  it("Diesel: the index moves to a new folder a second later, with run_in_transaction = false", async () => {
    const { after, created, read } = await fixOnce(
      {
        runner: "diesel",
        files: {
          "2024-01-01-000000_init/up.sql": TABLE,
          "2024-01-02-000000_idx/up.sql": "CREATE TABLE u (id int);\nCREATE INDEX t_a ON t (a);\n",
        },
      },
      "require-concurrent-index-creation",
      { "Cargo.toml": '[dependencies]\ndiesel = "2.2.4"\n' },
    );
    expect(created).toEqual([
      "2024-01-02-000001_idx_concurrently/up.sql",
      "2024-01-02-000001_idx_concurrently/metadata.toml",
      "2024-01-02-000001_idx_concurrently/down.sql",
    ]);
    expect(read("2024-01-02-000001_idx_concurrently/metadata.toml")).toBe("run_in_transaction = false\n");
    expect(read("2024-01-02-000001_idx_concurrently/up.sql")).toBe(
      "CREATE INDEX CONCURRENTLY t_a ON t (a);\n",
    );
    expect(clean(after, "require-concurrent-index-creation")).toEqual([]);
  });

  it("sqlx: an index alone in its file gets -- no-transaction as its first line", async () => {
    const { after, created, read } = await fixOnce(
      {
        runner: "sqlx",
        files: { "20240101000000_init.sql": TABLE, "20240102000000_idx.sql": "CREATE INDEX t_a ON t (a);\n" },
      },
      "require-concurrent-index-creation",
      { "Cargo.toml": '[dependencies]\nsqlx = "0.8.2"\n' },
    );
    expect(created).toEqual([]);
    expect(read("20240102000000_idx.sql")).toBe(
      "-- no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n",
    );
    expect(clean(after, "require-concurrent-index-creation")).toEqual([]);
  });

  it("sqlx: an index among other statements moves to a new -- no-transaction migration", async () => {
    const { after, created, read } = await fixOnce(
      {
        runner: "sqlx",
        files: {
          "20240101000000_init.sql": TABLE,
          "20240102000000_idx.sql": "CREATE TABLE u (id int);\nCREATE INDEX t_a ON t (a);\n",
        },
      },
      "require-concurrent-index-creation",
      { "Cargo.toml": '[dependencies]\nsqlx = "0.8.2"\n' },
    );
    expect(created).toEqual(["migrations/20240102000001_idx_concurrently.sql"]);
    expect(read("20240102000001_idx_concurrently.sql")).toBe(
      "-- no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n",
    );
    expect(clean(after, "require-concurrent-index-creation")).toEqual([]);
  });

  it("Supabase: the index moves first and alone into a new migration", async () => {
    const { after, created } = await fixOnce(
      {
        runner: "supabase",
        files: {
          "20240101000000_init.sql": TABLE,
          "20240102000000_idx.sql": "CREATE TABLE u (id int);\nCREATE INDEX t_a ON t (a);\n",
        },
      },
      "require-concurrent-index-creation",
    );
    expect(created).toEqual(["migrations/20240102000001_idx_concurrently.sql"]);
    expect(clean(after, "require-concurrent-index-creation")).toEqual([]);
  });
});
