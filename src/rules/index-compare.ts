/** Comparing index definitions, for the duplicate and redundant index rules. */

import type { SourceRange } from "../model.js";
import type { IndexDef, IndexKey } from "../schema/catalog.js";

export function sameKey(a: IndexKey, b: IndexKey, reversed = false): boolean {
  return (
    a.column === b.column &&
    a.expression === b.expression &&
    (reversed
      ? a.desc !== b.desc && a.nullsFirst !== b.nullsFirst
      : a.desc === b.desc && a.nullsFirst === b.nullsFirst) &&
    (a.opclass ?? "") === (b.opclass ?? "") &&
    (a.collation ?? "") === (b.collation ?? "")
  );
}

/** Same method, keys, predicate and INCLUDE list: PostgreSQL would maintain two copies of one index. */
export function sameDefinition(a: IndexDef, b: IndexDef): boolean {
  return (
    a.method === b.method &&
    a.keys.length === b.keys.length &&
    a.keys.every((k, i) => b.keys[i] !== undefined && sameKey(k, b.keys[i] as IndexKey)) &&
    a.predicate === b.predicate &&
    a.include.length === b.include.length &&
    a.include.every((c) => b.include.includes(c))
  );
}

/** Does index `b` serve every scan that `a` serves, so that `a` only costs writes? */
export function servedBy(a: IndexDef, b: IndexDef): boolean {
  if (a.method !== "btree" || b.method !== "btree") return false;
  if (a.predicate !== b.predicate || a.keys.length > b.keys.length) return false;
  const prefix = b.keys.slice(0, a.keys.length);
  // A b-tree scans backwards as well, so an all-reversed prefix serves the same orderings.
  const forward = a.keys.every((k, i) => sameKey(k, prefix[i] as IndexKey));
  const backward = a.keys.every((k, i) => sameKey(k, prefix[i] as IndexKey, true));
  if (!forward && !backward) return false;
  // An index-only scan on `a` needs its INCLUDE columns to be in `b` too.
  const bColumns = new Set([...b.keys.map((k) => k.column), ...b.include]);
  return a.include.every((c) => bColumns.has(c));
}

/** Orders two indexes by where they were declared: the later one is the one to drop. */
export function declaredBefore(
  a: { source: SourceRange; migration: number },
  b: { source: SourceRange; migration: number },
): boolean {
  if (a.migration !== b.migration) return a.migration < b.migration;
  if (a.source.line !== b.source.line) return a.source.line < b.source.line;
  return a.source.column < b.source.column;
}

export function describeIndex(index: IndexDef): string {
  // A function call needs no extra parentheses as an index key; other expressions do.
  const expr = (e: string) => (/^[\w.]+\(.*\)$/.test(e) ? e : `(${e})`);
  const keys = index.keys
    .map((k) => (k.column ?? expr(k.expression ?? "")) + (k.desc ? " DESC" : ""))
    .join(", ");
  const using = index.method === "btree" ? "" : ` USING ${index.method}`;
  const include = index.include.length ? ` INCLUDE (${index.include.join(", ")})` : "";
  const where = index.predicate ? ` WHERE ${index.predicate}` : "";
  return `${index.unique ? "UNIQUE " : ""}${using.trim() ? `${using.trim()} ` : ""}(${keys})${include}${where}`;
}

export function locatedAt(index: IndexDef): string {
  return `${index.source.file}:${index.source.line}`;
}
