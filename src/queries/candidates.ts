/**
 * Per-table scans → candidate indexes: the key a b-tree needs to serve a scan, whether an index of
 * the schema already serves it, and which candidates one index can serve together.
 */
import { coversRequirement, type Requirement } from "../rules/coverage.js";
import type { IndexDef, IndexKey, TableDef } from "../schema/catalog.js";
import { canonicalPredicate } from "../schema/expr.js";
import { quoteIdent } from "../schema/names.js";
import type { ScanKey, TableScan } from "./scans.js";
import type { TableStats } from "./table-stats.js";

export type KeyRole = "equality" | "join" | "range" | "order";

export interface CandidateKey extends IndexKey {
  role: KeyRole;
}

/** A candidate before ranking: the index one scan (or several identical scans) needs. */
export interface Candidate {
  schema: string | undefined;
  table: string;
  def?: TableDef;
  keys: CandidateKey[];
  /** The partial-index predicate: the scan's constant and NULL tests, AND-ed in query order. */
  where: string | null;
  /** Why the key is what it is, in a few words per part. */
  explanation: string[];
}

export type CandidateOutcome = { candidate: Candidate } | { none: string };

/**
 * The key a b-tree needs: equality columns first (most selective first when column statistics
 * say so, else in query order), then the join key, then one range column or the ORDER BY keys
 * (with their directions). A b-tree can only use the columns after the equality prefix for one
 * range or one order, so only one of them goes last. Constant and NULL tests become the partial
 * index's predicate.
 */
export function candidateFor(scan: TableScan, stats?: TableStats): CandidateOutcome {
  const schema = scan.def?.schema ?? scan.schema ?? "public";
  if (scan.unusable) return { none: scan.unusable };
  const same = (a: ScanKey, b: ScanKey) => a.column === b.column && a.expression === b.expression;
  const label = (k: ScanKey) => k.column ?? k.expression ?? "?";

  let equality = [...scan.equality];
  if (stats) {
    const selectivity = (k: ScanKey) =>
      k.column
        ? (stats.equalitySelectivity(schema, scan.table, k.column) ?? Number.POSITIVE_INFINITY)
        : Number.POSITIVE_INFINITY;
    // A stable sort: columns without statistics keep their query order, after the measured ones.
    equality = equality
      .map((key, i) => ({ key, i, s: selectivity(key) }))
      .sort((a, b) => a.s - b.s || a.i - b.i)
      .map((e) => e.key);
  }
  const explanation: string[] = [];
  if (equality.length) explanation.push(`equality on ${equality.map(label).join(", ")}`);

  // A join key is this table's side of a nested loop that another table drives, probing this one
  // by the key. A table with no condition of its own (or an ORDER BY … LIMIT) cannot drive one:
  // then this table drives, or, with no condition on either side, PostgreSQL reads both whole and
  // hash- or merge-joins them; either way no index on the key is used. A key that alone is the
  // table's primary or a unique key is reached through that index already.
  const uniqueSingles = new Set(
    [...(scan.def?.indexes.values() ?? [])]
      .filter((i) => i.unique && i.valid && !i.rejected && i.predicate === null && i.keys.length === 1)
      .map((i) => i.keys[0]?.column),
  );
  const usefulJoins = scan.joinKeys
    .filter((k) => !equality.some((e) => same(e, k)))
    .filter((k) => k.otherSideFiltered)
    .filter((k) => !(equality.length > 0 && k.column && uniqueSingles.has(k.column)));
  if (usefulJoins.length) explanation.push(`join key ${usefulJoins.map(label).join(", ")}`);
  const prefix = [...equality, ...usefulJoins];

  // ORDER BY keys fixed by an equality are constant within the result and need no place in the key.
  const order = scan.orderBy.filter((o) => !equality.some((e) => same(e, o)));
  const ranges = scan.ranges.filter((r) => !prefix.some((p) => same(p, r)));
  let suffix: CandidateKey[] = [];
  const firstRange = ranges[0];
  if (order.length > 0 && (scan.limit || !firstRange || same(firstRange, order[0] as ScanKey))) {
    if (prefix.length > 0 || scan.limit || firstRange) {
      suffix = order.map((o) => candidateKey(o, "order", o.desc, o.nullsFirst));
      explanation.push(
        `then ${suffix.map(keyText).join(", ")} for the ORDER BY${scan.limit ? " … LIMIT: rows come in index order and the scan stops at the limit" : ": rows come in index order, no sort"}`,
      );
    }
  } else if (firstRange) {
    suffix = [candidateKey(firstRange, "range")];
    explanation.push(`then the range on ${label(firstRange)}`);
    if (order.length) explanation.push("the ORDER BY is left to a sort (the range column comes first)");
  }
  if (ranges.length > 1)
    explanation.push(
      `${ranges.slice(1).map(label).join(", ")} ${ranges.length > 2 ? "are" : "is"} left to a filter`,
    );

  const keys: CandidateKey[] = [
    ...equality.map((k) => candidateKey(k, "equality")),
    ...usefulJoins.map((k) => candidateKey(k, "join")),
    ...suffix,
  ];
  if (keys.length === 0) {
    if (scan.orderBy.length > 0 && !scan.limit)
      return {
        none: `it reads all of ${scan.table} in ORDER BY order without a LIMIT: a sort is cheaper than an index scan of the whole table`,
      };
    if (scan.predicates.length > 0)
      return {
        none: `it only tests constants or NULLs (${scan.predicates.join(" AND ")}) on ${scan.table}: there is no key column to index`,
      };
    if (scan.joinKeys.length > 0)
      return {
        none: `its only condition on ${scan.table} is the join on ${scan.joinKeys.map(label).join(", ")}, and the other side has no condition of its own to drive a nested loop: PostgreSQL reads both whole (a hash or merge join)`,
      };
    const notes = scan.notes.length ? ` (${scan.notes.join("; ")})` : "";
    return { none: `it has no condition on ${scan.table} that a b-tree index can use${notes}` };
  }
  const where = scan.predicates.length ? scan.predicates.join(" AND ") : null;
  if (where) explanation.push(`only rows where ${where} (a partial index)`);
  for (const note of scan.notes) explanation.push(note);
  const candidate: Candidate = { schema, table: scan.table, keys, where, explanation };
  if (scan.def) candidate.def = scan.def;
  return { candidate };
}

function candidateKey(k: ScanKey, role: KeyRole, desc = false, nullsFirst = false): CandidateKey {
  const key: CandidateKey = { desc, nullsFirst, role };
  if (k.column !== undefined) key.column = k.column;
  else key.expression = k.expression as string;
  return key;
}

/** A key as CREATE INDEX and `required-indexes` write it: `created_at DESC`, `lower(email)`. */
export function keyText(key: IndexKey): string {
  const target = key.column !== undefined ? quoteIdent(key.column) : expressionElement(key.expression ?? "");
  const defaultNulls = key.desc;
  const nulls = key.nullsFirst === defaultNulls ? "" : key.nullsFirst ? " NULLS FIRST" : " NULLS LAST";
  return `${target}${key.desc ? " DESC" : ""}${nulls}`;
}

/** An index element: a function call stands alone, any other expression needs parentheses. */
function expressionElement(expression: string): string {
  const call = /^[A-Za-z_][A-Za-z0-9_.]*\(/.exec(expression);
  if (call) {
    let depth = 0;
    for (let i = call[0].length - 1; i < expression.length; i++) {
      if (expression[i] === "(") depth++;
      else if (expression[i] === ")" && --depth === 0) {
        if (i === expression.length - 1) return expression;
        break;
      }
    }
  }
  return `(${expression})`;
}

/** The identity of a candidate: table, key and predicate. */
export function candidateId(c: Candidate): string {
  return `${c.schema}.${c.table}|${c.keys.map(keyText).join(",")}|${c.where ?? ""}`;
}

/**
 * A strict operator never matches NULL, so a condition on a column implies `column IS NOT NULL`:
 * PostgreSQL uses a partial index `WHERE sku IS NOT NULL` for `WHERE sku = $1`
 * (predicate_implied_by, optimizer/util/predtest.c). The ORDER BY keys imply nothing.
 */
function impliedWhere(c: Candidate, extra: boolean): string | null {
  if (!extra) return c.where;
  let where = implied.get(c);
  if (where === undefined) {
    const parts = c.where ? [c.where] : [];
    for (const k of c.keys)
      if (k.role !== "order" && k.column !== undefined) parts.push(`${quoteIdent(k.column)} IS NOT NULL`);
    where = parts.length === 0 ? null : canonicalPredicate(parts.join(" AND "));
    implied.set(c, where);
  }
  return where;
}

const implied = new WeakMap<Candidate, string | null>();

/**
 * The candidate as a `required-indexes` requirement whose equality part follows the index's own
 * order when the index leads with the same columns in another order: equalities can come in any
 * order (and any direction) in a b-tree key.
 */
function requirementFor(c: Candidate, index: IndexDef, where: string | null): Requirement {
  const prefixLength = c.keys.filter((k) => k.role === "equality" || k.role === "join").length;
  const prefix = c.keys.slice(0, prefixLength);
  const suffix = c.keys.slice(prefixLength);
  const target = (k: IndexKey) => k.column ?? `(${k.expression})`;
  const leading = index.keys.slice(0, prefixLength);
  let keys: IndexKey[] = c.keys;
  const wanted = new Set(prefix.map(target));
  if (leading.length === prefixLength && leading.every((k) => wanted.has(target(k)))) {
    // Directions of equality keys do not matter, but coversRequirement compares all directions as
    // one (same, or all reversed for a backward scan): align them with the suffix's verdict.
    const next = index.keys[prefixLength];
    const first = suffix[0];
    const flip = first && next ? first.desc !== next.desc : false;
    keys = [
      ...leading.map((k) => {
        const key: IndexKey = { desc: flip ? !k.desc : k.desc, nullsFirst: false };
        if (k.column !== undefined) key.column = k.column;
        else if (k.expression !== undefined) key.expression = k.expression;
        return key;
      }),
      ...suffix,
    ];
  }
  return {
    // Only for messages; coversRequirement reads the keys.
    entry: { table: c.table, columns: keys.map((k) => k.column ?? k.expression ?? "?"), line: 0 },
    schema: c.schema,
    table: c.table,
    keys,
    where,
  };
}

export type CoverVerdict = { covers: true; reason: string } | { covers: false; reason: string };

/** Does an existing (or another candidate's) index serve the candidate? */
export function coveredBy(
  index: IndexDef,
  c: Candidate,
  options: { impliedNotNull?: boolean } = {},
): CoverVerdict {
  // Only a partial index's predicate has to be implied; the implied form costs a parse.
  const where = index.predicate === null ? c.where : impliedWhere(c, options.impliedNotNull ?? true);
  const equalityColumns = new Set(
    c.keys
      .filter((k) => (k.role === "equality" || k.role === "join") && k.column !== undefined)
      .map((k) => k.column),
  );
  // Equalities on every column of a unique index find at most one row, whatever the rest of the key.
  if (
    index.unique &&
    index.valid &&
    !index.rejected &&
    index.method === "btree" &&
    index.keys.every((k) => k.column !== undefined && equalityColumns.has(k.column)) &&
    coversRequirement(index, { ...requirementFor(c, index, where), keys: [] }).covers
  ) {
    return {
      covers: true,
      reason: `${index.primary ? "the primary key" : "the unique index"} "${index.name}" finds at most one row for these equalities`,
    };
  }
  const verdict = coversRequirement(index, requirementFor(c, index, where));
  return verdict.covers
    ? {
        covers: true,
        reason: `index "${index.name}" (${index.source.file}:${index.source.line}) already serves it`,
      }
    : { covers: false, reason: `"${index.name}" does not count: ${verdict.reason}` };
}

/** A candidate as an index, so that another candidate can be checked against it. */
export function asIndex(c: Candidate): IndexDef {
  let index = asIndexCache.get(c);
  if (!index) {
    index = toIndex(c);
    asIndexCache.set(c, index);
  }
  return index;
}

const asIndexCache = new WeakMap<Candidate, IndexDef>();

function toIndex(c: Candidate): IndexDef {
  return {
    name: candidateId(c),
    schema: c.schema ?? "public",
    table: `${c.schema}.${c.table}`,
    method: "btree",
    keys: c.keys.map(({ role: _role, ...key }) => key),
    include: [],
    predicate: c.where,
    unique: false,
    primary: false,
    valid: true,
    source: { file: "", line: 0, column: 0, endLine: 0, endColumn: 0 },
    migration: -1,
  };
}

/**
 * Can `into`'s index serve `c` too? Its key must lead with `c`'s key (equalities in any order),
 * and both must have the same predicate: a partial candidate is kept apart from a full one, as
 * the index review itself keeps `(factory_id) WHERE revoked_at IS NULL` beside
 * `(factory_id, created_at DESC)` — the partial index is smaller and skips the rows the query
 * never wants.
 */
export function mergeable(into: Candidate, c: Candidate): boolean {
  if (into.where !== c.where || into.keys.length < c.keys.length) return false;
  if (into.schema !== c.schema || into.table !== c.table) return false;
  // Cheap first: every key of `c` must be among the same number of leading keys of `into`.
  const leading = new Set(into.keys.slice(0, c.keys.length).map((k) => k.column ?? `(${k.expression})`));
  if (!c.keys.every((k) => leading.has(k.column ?? `(${k.expression})`))) return false;
  return coveredBy(asIndex(into), c, { impliedNotNull: false }).covers;
}
