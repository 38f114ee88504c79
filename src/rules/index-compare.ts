/** Comparing index definitions, for the duplicate and redundant index rules. */

import type { SourceRange } from "../model.js";
import type { IndexDef, IndexKey } from "../schema/catalog.js";
import { sameDefinition, sameKey } from "../schema/index-def.js";

export { sameDefinition, sameKey };

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

/** The text of a key, as two indexes must share it to be the same index (directions matter). */
function keyText(k: IndexKey, reversed = false): string {
  const desc = reversed ? !k.desc : k.desc;
  const nullsFirst = reversed ? !k.nullsFirst : k.nullsFirst;
  return [k.column ?? "", k.expression ?? "", desc, nullsFirst, k.opclass ?? "", k.collation ?? ""].join(
    "\u0001",
  );
}

/** Two indexes with equal definition keys are `sameDefinition`. */
function definitionKey(index: IndexDef): string {
  return [
    index.method,
    index.predicate ?? "",
    [...index.include].sort().join(","),
    ...index.keys.map((k) => keyText(k)),
  ].join("\u0002");
}

/** A duplicate: `index` has the same definition as `kept`, which is the one to keep. */
export interface Duplicate {
  index: IndexDef;
  kept: IndexDef;
}

/**
 * The table's duplicate indexes, by grouping on the definition (linear in the number of indexes,
 * where comparing every pair was quadratic: a table with 87,000 indexes did not finish). In each
 * group the primary key, then a constraint's index, then a unique index, then the first declared
 * is kept; every other is a duplicate of it. Uniqueness does not separate them: a plain index with
 * the keys of a unique one serves nothing the unique one does not.
 */
export function duplicates(indexes: Iterable<IndexDef>): Duplicate[] {
  const groups = new Map<string, IndexDef[]>();
  for (const index of indexes) {
    if (!index.valid) continue;
    const key = definitionKey(index);
    const group = groups.get(key);
    if (group) group.push(index);
    else groups.set(key, [index]);
  }
  const out: Duplicate[] = [];
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const kept = group.reduce((best, candidate) => (keepRank(candidate, best) < 0 ? candidate : best));
    for (const index of group) if (index !== kept) out.push({ index, kept });
  }
  return out;
}

/** Negative when `a` is the better one to keep. */
function keepRank(a: IndexDef, b: IndexDef): number {
  const weight = (i: IndexDef) => (i.primary ? 0 : i.constraint ? 1 : i.unique ? 2 : 3);
  return weight(a) - weight(b) || (declaredBefore(a, b) ? -1 : 1);
}

/** A redundant index: its keys lead `wider`, which serves every scan it serves. */
export interface Redundancy {
  index: IndexDef;
  wider: IndexDef;
}

/**
 * The table's redundant indexes: plain b-tree indexes whose keys are a leading prefix (or an
 * all-reversed one) of a longer index with the same predicate. Each index's proper prefixes are
 * put in a map once, so the search is linear in the number of keys. An index that is a duplicate
 * is the duplicate rule's, never also redundant, and a wider index that is itself a dropped
 * duplicate is replaced by the one kept.
 */
export function redundancies(indexes: readonly IndexDef[]): Redundancy[] {
  const dropped = new Set(duplicates(indexes).map((d) => d.index));
  const prefixes = new Map<string, IndexDef>();
  const prefixKey = (index: IndexDef, keys: string[]) =>
    [index.method, index.predicate ?? "", ...keys].join("\u0002");
  for (const wider of indexes) {
    if (!wider.valid || wider.method !== "btree" || dropped.has(wider)) continue;
    const keys = wider.keys.map((k) => keyText(k));
    for (let n = 1; n < keys.length; n++) {
      const key = prefixKey(wider, keys.slice(0, n));
      const seen = prefixes.get(key);
      if (!seen || declaredBefore(wider, seen)) prefixes.set(key, wider);
    }
  }
  const out: Redundancy[] = [];
  for (const index of indexes) {
    // A unique or constraint-backed index enforces something; it is never redundant.
    if (index.unique || index.constraint || !index.valid || index.method !== "btree" || dropped.has(index))
      continue;
    const forward = prefixes.get(
      prefixKey(
        index,
        index.keys.map((k) => keyText(k)),
      ),
    );
    // A b-tree scans backwards as well, so an all-reversed prefix serves the same orderings.
    const backward = prefixes.get(
      prefixKey(
        index,
        index.keys.map((k) => keyText(k, true)),
      ),
    );
    const wider = [forward, backward].find((w) => w !== undefined && servedBy(index, w));
    if (wider) out.push({ index, wider });
  }
  return out;
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
