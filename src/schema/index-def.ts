/** When two index definitions are the same index, as PostgreSQL would see it. */
import type { IndexDef, IndexKey } from "./catalog.js";

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

/** The index's column names as PostgreSQL names its columns: a function key by the function. */
export function indexColumnNames(index: Pick<IndexDef, "keys">): string[] {
  return index.keys.map((k) => k.column ?? /^(?:\w+\.)?(\w+)\(/.exec(k.expression ?? "")?.[1] ?? "expr");
}
