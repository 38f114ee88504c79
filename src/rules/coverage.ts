/**
 * When an index covers a required index or a foreign key (DESIGN.md §5). Kept apart from the
 * rules because `verify` proves the same semantics on the live catalog.
 */
import { parseSync } from "libpg-query";
import type { RequiredIndexEntry } from "../config/load.js";
import { UserError } from "../errors.js";
import { nodeAs } from "../parse/nodes.js";
import type { ForeignKeyDef, IndexDef, IndexKey } from "../schema/catalog.js";
import { canonicalPredicate, conjuncts, predicateImplied } from "../schema/expr.js";
import { indexKey } from "../schema/index-key.js";
import { parseQualifiedName, quoteIdent } from "../schema/names.js";

export interface Requirement {
  entry: RequiredIndexEntry;
  schema: string | undefined;
  table: string;
  keys: IndexKey[];
  /** Canonical form of `where:`. */
  where: string | null;
}

export function parseRequirement(entry: RequiredIndexEntry, configFile: string | null): Requirement {
  const where = `${configFile ?? "config"}:${entry.line}`;
  const name = parseQualifiedName(entry.table);
  const keys = entry.columns.map((column) => {
    try {
      const stmt = nodeAs(parseSync(`CREATE INDEX x ON t (${column})`).stmts?.[0]?.stmt, "IndexStmt");
      const elem = nodeAs(stmt?.indexParams?.[0], "IndexElem");
      if (!elem || (stmt?.indexParams?.length ?? 0) !== 1) throw new Error("not one column");
      return indexKey(elem);
    } catch {
      throw new UserError(`required-indexes: "${column}" is not a column or index expression`, where);
    }
  });
  let predicate: string | null = null;
  if (entry.where) {
    try {
      predicate = canonicalPredicate(entry.where);
    } catch {
      throw new UserError(`required-indexes: where "${entry.where}" is not a valid SQL condition`, where);
    }
  }
  return {
    entry,
    schema: name.length > 1 ? name[0] : undefined,
    table: name.at(-1) ?? entry.table,
    keys,
    where: predicate,
  };
}

/** `api_keys (factory_id, created_at DESC) WHERE revoked_at IS NULL`, as messages name a requirement. */
export function requirementLabel(req: Requirement): string {
  return `${req.entry.table} (${req.keys.map(keyLabel).join(", ")})${req.where ? ` WHERE ${req.where}` : ""}`;
}

export function keyLabel(key: IndexKey): string {
  return (key.column ?? key.expression ?? "?") + (key.desc ? " DESC" : "");
}

function sameTarget(a: IndexKey, b: IndexKey): boolean {
  return a.column !== undefined
    ? a.column === b.column
    : a.expression !== undefined && a.expression === b.expression;
}

export type Coverage = { covers: true } | { covers: false; reason: string };

/** Does `index` serve the requirement? The reason for a near miss is shown to the user. */
export function coversRequirement(index: IndexDef, req: Requirement): Coverage {
  if (index.rejected) {
    return {
      covers: false,
      reason: `PostgreSQL rejects the statement that builds it (${index.source.file}:${index.source.line})`,
    };
  }
  if (!index.valid) return { covers: false, reason: "it is not valid" };
  const single = req.keys.length === 1 && !req.keys[0]?.desc;
  const methodOk = index.method === "btree" || (index.method === "hash" && single);
  if (!methodOk) return { covers: false, reason: `a ${index.method} index cannot serve it` };
  const leading = index.keys.slice(0, req.keys.length);
  if (leading.length < req.keys.length || !req.keys.every((k, i) => leading[i] && sameTarget(k, leading[i])))
    return { covers: false, reason: `its leading keys are (${index.keys.map(keyLabel).join(", ")})` };
  // A b-tree can be scanned backwards, so all-reversed directions serve the same order.
  const same = req.keys.every((k, i) => k.desc === leading[i]?.desc);
  const reversed = req.keys.every((k, i) => k.desc !== leading[i]?.desc);
  if (index.method === "btree" && !same && !reversed)
    return { covers: false, reason: `its key directions (${leading.map(keyLabel).join(", ")}) do not match` };
  if (req.entry.unique && !index.unique) return { covers: false, reason: "it is not unique" };
  if (!predicateImplied(index.predicate, req.where))
    return { covers: false, reason: `its predicate "${index.predicate}" is not implied by the requirement` };
  return { covers: true };
}

/**
 * A foreign key is covered by a valid index whose leading columns are the FK's columns in any
 * order. A partial index `WHERE fk IS NOT NULL` counts: rows with a NULL key never match a
 * referenced row, so the lookups PostgreSQL runs on DELETE/UPDATE of the parent never need them
 * (atlas#3765). A composite primary key is just another unique index here (splinter#90).
 */
export function coversForeignKey(index: IndexDef, fk: ForeignKeyDef): boolean {
  if (!index.valid) return false;
  const n = fk.columns.length;
  if (index.method !== "btree" && !(index.method === "hash" && n === 1)) return false;
  const leading = index.keys.slice(0, n).map((k) => k.column);
  if (leading.length < n || !fk.columns.every((c) => leading.includes(c))) return false;
  if (index.predicate === null) return true;
  const notNullOfFkColumns = new Set(
    fk.columns.map((c) => canonicalPredicate(`${quoteIdent(c)} IS NOT NULL`)),
  );
  return conjuncts(index.predicate).every((part) => notNullOfFkColumns.has(part));
}
