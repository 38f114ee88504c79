/**
 * Static catalog (the replay's prediction) against the live one (what PostgreSQL built from the
 * same statements). Any difference is a bug in the replay, and is reported as one.
 */

import { describeIndex, sameDefinition } from "../rules/index-compare.js";
import { type Catalog, displayName, type IndexDef } from "../schema/catalog.js";

export interface CatalogDifference {
  /** What differs, naming both sides. */
  message: string;
  /** The object on the static side, when it has one (for the location). */
  staticIndex?: IndexDef;
  table: string;
}

/**
 * PostgreSQL stores typed constants in their output form ('2024-01-01' on a timestamptz column
 * becomes '2024-01-01 00:00:00+00'), which the replay cannot know without types; literals are
 * compared by position only.
 */
function sameIndex(a: IndexDef, b: IndexDef): boolean {
  const loose = (p: string | null) => p?.replace(/'(?:[^']|'')*'/g, "'…'") ?? null;
  // pg_get_indexdef leaves out an operator class that is the column type's default, which a
  // migration may still name (`"runTags" array_ops`): one side without an opclass matches any.
  const keys = (x: IndexDef, y: IndexDef) =>
    x.keys.map((k, i) => (y.keys[i]?.opclass === undefined ? { ...k, opclass: undefined } : k));
  return sameDefinition(
    { ...a, keys: keys(a, b), predicate: loose(a.predicate) },
    { ...b, keys: keys(b, a), predicate: loose(b.predicate) },
  );
}

/**
 * `bookkeeping`: the runner's table of applied versions (verify made it, no migration did), which
 * the database has without the replay predicting it. `onPartitions` hears of the partitions of a
 * predicted partitioned table that the migrations made at run time: they are not differences.
 */
export function compareCatalogs(
  predicted: Catalog,
  live: Catalog,
  bookkeeping?: string,
  onPartitions?: (parent: string, partitions: string[]) => void,
): CatalogDifference[] {
  const out: CatalogDifference[] = [];
  for (const [key, table] of predicted.tables) {
    const other = live.tables.get(key);
    const name = displayName(table);
    if (!other) {
      out.push({
        table: name,
        message: `The replay predicts table ${name}; the database has no such table.`,
      });
      continue;
    }
    for (const index of table.indexes.values()) {
      const real = other.indexes.get(index.name);
      if (!real) {
        const same = [...other.indexes.values()].find((i) => sameIndex(i, index));
        out.push({
          table: name,
          staticIndex: index,
          message: same
            ? `The replay names an index of ${name} "${index.name}"; the database named it "${same.name}".`
            : `The replay predicts index "${index.name}" ${describeIndex(index)} on ${name}; the database has no such index.`,
        });
      } else if (!sameIndex(index, real) || index.unique !== real.unique || index.primary !== real.primary) {
        out.push({
          table: name,
          staticIndex: index,
          message: `Index "${index.name}" on ${name}: the replay predicts ${describeIndex(index)}, the database has ${describeIndex(real)}.`,
        });
      }
    }
    for (const real of other.indexes.values()) {
      if (table.indexes.has(real.name) || [...table.indexes.values()].some((i) => sameIndex(i, real)))
        continue;
      out.push({
        table: name,
        message: `The database has index "${real.name}" ${describeIndex(real)} on ${name}; the replay does not predict it.`,
      });
    }
    for (const fk of table.foreignKeys.values()) {
      const real = other.foreignKeys.get(fk.name);
      const describe = (f: typeof fk) =>
        `(${f.columns.join(", ")}) → ${f.refTable.replace(/^public\./, "")} (${f.refColumns.join(", ")})`;
      if (!real)
        out.push({
          table: name,
          message: `The replay predicts foreign key "${fk.name}" ${describe(fk)} on ${name}; the database has none of that name.`,
        });
      else if (describe(real) !== describe(fk)) {
        out.push({
          table: name,
          message: `Foreign key "${fk.name}" on ${name}: the replay predicts ${describe(fk)}, the database has ${describe(real)}.`,
        });
      }
    }
    for (const real of other.foreignKeys.values()) {
      if (!table.foreignKeys.has(real.name)) {
        out.push({
          table: name,
          message: `The database has foreign key "${real.name}" on ${name}; the replay does not predict it.`,
        });
      }
    }
  }
  const madeAtRunTime = new Map<string, string[]>();
  for (const [key, table] of live.tables) {
    if (predicted.tables.has(key) || key === bookkeeping) continue;
    const parent = predictedAncestor(key, predicted, live);
    if (parent) {
      madeAtRunTime.set(parent, [...(madeAtRunTime.get(parent) ?? []), displayName(table)]);
      continue;
    }
    out.push({
      table: displayName(table),
      message: `The database has table ${displayName(table)}; the replay does not predict it.`,
    });
  }
  for (const [parent, names] of madeAtRunTime) onPartitions?.(parent, names);
  return out;
}

/**
 * The partitioned table the replay predicts that a live table is a partition of, directly or
 * through sub-partitions. Such a partition was made at run time (a function the migrations call
 * creates one per day); it carries its parent's indexes, so the static findings on the parent
 * hold, and it is no sign of a replay bug.
 */
function predictedAncestor(key: string, predicted: Catalog, live: Catalog): string | undefined {
  const seen = new Set<string>();
  let parent = live.tables.get(key)?.partitionOf;
  while (parent && !seen.has(parent)) {
    const known = predicted.tables.get(parent);
    if (known?.partitioned) return displayName(known);
    seen.add(parent);
    parent = live.tables.get(parent)?.partitionOf;
  }
  return undefined;
}
