/** Shared by the query-analysis tests: a catalog replayed from DDL, and one-file sources. */
import { parseSql } from "../../src/parse/sql.js";
import { readQueryFile } from "../../src/queries/query-files.js";
import { Catalog } from "../../src/schema/catalog.js";
import { applyStatement } from "../../src/schema/replay.js";

/** The schema the DDL builds, replayed as `check` replays migrations. */
export function catalogFrom(sql: string): Catalog {
  const catalog = new Catalog();
  const parsed = parseSql(sql, "schema.sql");
  if (parsed.errors.length) throw new Error(parsed.errors[0]?.message);
  for (const statement of parsed.statements)
    applyStatement(catalog, statement.node, { migration: 0, range: statement.range });
  return catalog;
}

/** One query file holding `sql`. */
export function querySource(sql: string, file = "queries.sql") {
  return readQueryFile(sql, file);
}

export const SCHEMA = `
CREATE TABLE factories (id bigint PRIMARY KEY, name text NOT NULL, region text);
CREATE TABLE api_keys (
  id uuid PRIMARY KEY, key_hash text NOT NULL, factory_id bigint NOT NULL REFERENCES factories,
  email text, created_at timestamptz, revoked_at timestamptz, active boolean, status text, "keyPrefix" text
);
CREATE TABLE products (id uuid PRIMARY KEY, sku text, name text, category text, price numeric, created_at timestamptz);
CREATE TABLE batches (
  id uuid PRIMARY KEY, product_id uuid REFERENCES products, factory_id bigint, name text, size int,
  created_at timestamptz, status text
);
CREATE INDEX batches_created_at_idx ON batches (created_at);
CREATE INDEX api_keys_status_idx ON api_keys (status) WHERE status IS NOT NULL;
`;
