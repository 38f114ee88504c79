/**
 * A candidate as the user takes it: a ready `required-indexes` entry, and the CREATE INDEX
 * CONCURRENTLY statement with a generated name.
 */
import type { Catalog } from "../schema/catalog.js";
import { quoteIdent } from "../schema/names.js";
import { type Candidate, keyText } from "./candidates.js";

/** NAMEDATALEN - 1: PostgreSQL truncates identifiers to 63 bytes (not characters). */
const MAX_IDENTIFIER_BYTES = 63;

/** The table as a config entry or a statement names it: schema-qualified unless in public. */
export function tableText(schema: string | undefined, table: string): string {
  return schema && schema !== "public" ? `${quoteIdent(schema)}.${quoteIdent(table)}` : quoteIdent(table);
}

/**
 * `idx_<table>_<columns>` (the convention of the index review), an expression key named by its
 * function; cut to 63 bytes on a character boundary, and numbered when the name is taken.
 */
export function indexName(c: Candidate, taken: (name: string) => boolean): string {
  const parts = c.keys.map(
    (k) => k.column ?? /^([A-Za-z_][A-Za-z0-9_]*)\(/.exec(k.expression ?? "")?.[1] ?? "expr",
  );
  const base = `idx_${c.table}_${parts.join("_")}`;
  let name = clipBytes(base, MAX_IDENTIFIER_BYTES);
  for (let n = 1; taken(name); n++) {
    const suffix = String(n);
    name = clipBytes(base, MAX_IDENTIFIER_BYTES - suffix.length) + suffix;
  }
  return name;
}

/** The longest prefix of `text` that fits in `bytes` UTF-8 bytes without splitting a character. */
export function clipBytes(text: string, bytes: number): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  let out = "";
  let used = 0;
  for (const char of text) {
    const width = Buffer.byteLength(char);
    if (used + width > bytes) break;
    out += char;
    used += width;
  }
  return out;
}

export function createIndexStatement(c: Candidate, name: string): string {
  const where = c.where ? ` WHERE ${c.where}` : "";
  return `CREATE INDEX CONCURRENTLY ${quoteIdent(name)} ON ${tableText(c.schema, c.table)} (${c.keys.map(keyText).join(", ")})${where};`;
}

/**
 * Is a relation name taken in the schema? An index whose statement PostgreSQL rejects never
 * exists, so its name is free.
 */
export function nameTaken(catalog: Catalog | undefined, schema: string, name: string): boolean {
  if (!catalog) return false;
  const index = catalog.resolveIndex(schema, name);
  if (index) return !index.index.rejected;
  return catalog.relationExists(schema, name);
}

/** 52000 → "52,000". */
export function count(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Milliseconds as people read them: 850 ms, 46.8 s, 12.5 min, 3.2 h. */
export function duration(ms: number): string {
  if (ms < 1) return `${Number(ms.toPrecision(2))} ms`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** A share of the export's time: 61%, 0.4%, under 0.1%. */
export function percent(share: number): string {
  const p = share * 100;
  if (p >= 1 || p === 0) return `${Math.round(p)}%`;
  return p < 0.1 ? "under 0.1%" : `${p.toFixed(1)}%`;
}
