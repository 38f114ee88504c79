/**
 * Expressions and predicates in one canonical text form, so that two indexes written differently
 * compare equal when PostgreSQL would store the same definition.
 */
import type { Node } from "@pgsql/types";
import { parseSync } from "libpg-query";
import { deparseSync } from "pgsql-deparser";
import { nodeAs } from "../parse/nodes.js";

/**
 * Canonical text of an expression. Column references lose their table qualifier. Type casts are dropped: PostgreSQL stores `status = 'active'`
 * as `((status)::text = 'active'::text)`, and the replay, which knows no types, must agree with
 * what `verify` reads back from pg_get_indexdef.
 */
export function deparseExpr(node: Node): string {
  return normalizeSql(deparseSync(withoutCasts(node) as never));
}

function withoutCasts(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutCasts);
  if (typeof value !== "object" || value === null) return value;
  const cast = (value as { TypeCast?: { arg?: unknown } }).TypeCast;
  if (cast?.arg) return withoutCasts(cast.arg);
  // In an index expression or predicate every column is the indexed table's, so `child.parent_id`
  // and `parent_id` are the same column.
  // PostgreSQL stores `x IN ('a', 'b')` as `x = ANY (ARRAY['a', 'b'])` (and NOT IN as `<> ALL`),
  // and a one-element list as a plain `x = 'a'` (transformAExprIn in parse_expr.c).
  const expr = (value as { A_Expr?: { kind?: string; name?: unknown; lexpr?: unknown; rexpr?: unknown } })
    .A_Expr;
  const list = (expr?.rexpr as { List?: { items?: unknown[] } } | undefined)?.List?.items;
  if (expr?.kind === "AEXPR_IN" && list?.length === 1) {
    return withoutCasts({ A_Expr: { kind: "AEXPR_OP", name: expr.name, lexpr: expr.lexpr, rexpr: list[0] } });
  }
  if (expr?.kind === "AEXPR_IN" && list) {
    const op =
      ((expr.name as { String?: { sval?: string } }[] | undefined)?.[0]?.String?.sval ?? "=") === "=";
    return withoutCasts({
      A_Expr: {
        kind: op ? "AEXPR_OP_ANY" : "AEXPR_OP_ALL",
        name: expr.name,
        lexpr: expr.lexpr,
        rexpr: { A_ArrayExpr: { elements: list } },
      },
    });
  }
  // pg_get_indexdef qualifies a function only when search_path does not find it: a function of
  // public or pg_catalog is shown bare, so `public.f(x)` and `f(x)` are one key.
  const call = (value as { FuncCall?: { funcname?: { String?: { sval?: string } }[] } }).FuncCall;
  const schema = call?.funcname?.length === 2 ? call.funcname[0]?.String?.sval : undefined;
  if (call && (schema === "public" || schema === "pg_catalog"))
    return withoutCasts({ FuncCall: { ...call, funcname: call.funcname?.slice(1) } });
  const ref = (value as { ColumnRef?: { fields?: unknown[] } }).ColumnRef;
  if (ref?.fields && ref.fields.length > 1) return { ColumnRef: { fields: ref.fields.slice(-1) } };
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value))
    out[key] = key === "location" ? undefined : withoutCasts(inner);
  return out;
}

/**
 * A canonical expression or predicate with a column renamed (ALTER TABLE … RENAME COLUMN): every
 * column reference to `from` now names `to`, as PostgreSQL's stored definition, which refers to
 * the column by number, shows it. The text is returned unchanged when it does not parse.
 */
export function renameColumnIn(text: string, from: string, to: string): string {
  let where: Node | undefined;
  try {
    where = nodeAs(parseSync(`SELECT 1 WHERE ${text}`).stmts?.[0]?.stmt, "SelectStmt")?.whereClause;
  } catch {
    return text;
  }
  if (!where) return text;
  let changed = false;
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value !== "object" || value === null) return value;
    const fields = (value as { ColumnRef?: { fields?: { String?: { sval?: string } }[] } }).ColumnRef?.fields;
    const last = fields?.[fields.length - 1]?.String;
    if (fields && last?.sval === from) {
      changed = true;
      return { ColumnRef: { fields: [...fields.slice(0, -1), { String: { sval: to } }] } };
    }
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = walk(inner);
    return out;
  };
  const renamed = walk(where) as Node;
  return changed ? deparseExpr(renamed) : text;
}

/** Whitespace and redundant outer parentheses do not change a predicate. */
export function normalizeSql(text: string): string {
  let s = text.replace(/\s+/g, " ").trim();
  while (s.startsWith("(") && s.endsWith(")") && balanced(s.slice(1, -1))) s = s.slice(1, -1).trim();
  return s;
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === "(") depth++;
    else if (c === ")" && --depth < 0) return false;
  }
  return depth === 0;
}

/** Parses a predicate written by a user (config `where:`) into canonical text; throws on bad SQL. */
export function canonicalPredicate(text: string): string {
  const result = parseSync(`SELECT 1 WHERE ${text}`);
  const where = nodeAs(result.stmts?.[0]?.stmt, "SelectStmt")?.whereClause;
  if (!where) throw new Error(`not a predicate: ${text}`);
  return deparseExpr(where);
}

/** The top-level AND-ed parts of a canonical predicate. */
export function conjuncts(predicate: string): string[] {
  const result = parseSync(`SELECT 1 WHERE ${predicate}`);
  const where = nodeAs(result.stmts?.[0]?.stmt, "SelectStmt")?.whereClause;
  if (!where) return [predicate];
  const parts: string[] = [];
  const walk = (node: Node) => {
    const bool = nodeAs(node, "BoolExpr");
    if (bool?.boolop === "AND_EXPR") for (const arg of bool.args ?? []) walk(arg);
    else parts.push(deparseExpr(node));
  };
  walk(where);
  return parts;
}

/**
 * Is an index predicate implied by the query's predicate? True when the index has none, when they
 * are equal, or when every conjunct of the index predicate is also a conjunct of the query's. This
 * is a subset of PostgreSQL's predicate_implied_by, which is enough for declared requirements.
 */
export function predicateImplied(indexPredicate: string | null, queryPredicate: string | null): boolean {
  if (!indexPredicate) return true;
  if (!queryPredicate) return false;
  if (indexPredicate === queryPredicate) return true;
  const have = new Set(conjuncts(queryPredicate));
  return conjuncts(indexPredicate).every((part) => have.has(part));
}
