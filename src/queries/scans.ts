/**
 * One parsed statement → the scans it makes of each table: which columns it compares to a value
 * (equality, IN, = ANY), to a range, to another table (join keys), which constant and NULL tests
 * it applies, and how it orders and limits rows. This is the "query → per-table scans" breakdown of
 * pganalyze's Indexing Engine, done on the syntax tree: tables are resolved through aliases, CTEs,
 * subqueries in FROM, IN and EXISTS subqueries, joins, UPDATE … FROM and DELETE … USING.
 */
import type {
  A_Const,
  A_Expr,
  BoolExpr,
  BooleanTest,
  CommonTableExpr,
  DeleteStmt,
  InsertStmt,
  JoinExpr,
  Node,
  NullTest,
  RangeFunction,
  RangeSubselect,
  RangeVar,
  ResTarget,
  SelectStmt,
  SortBy,
  SubLink,
  TypeCast,
  UpdateStmt,
  WithClause,
} from "@pgsql/types";
import type { Catalog, TableDef } from "../schema/catalog.js";
import { deparseExpr } from "../schema/expr.js";

/** A key of a scan: a plain column, or an expression over the table's columns (canonical text). */
export interface ScanKey {
  column?: string;
  expression?: string;
}

export interface JoinKey extends ScanKey {
  /**
   * Whether a table on the other side of the join has a condition of its own (or is an outer
   * query, a CTE or a subquery), so that it can drive the join and probe this table by the key.
   */
  otherSideFiltered: boolean;
}

export interface OrderKey extends ScanKey {
  desc: boolean;
  /** As PostgreSQL resolves it: NULLS FIRST is the default for DESC, NULLS LAST for ASC. */
  nullsFirst: boolean;
}

export interface TableScan {
  /** As written in the query, or the catalog's schema when it resolved the table. */
  schema?: string;
  table: string;
  /** The catalog's table, when a catalog was given and has it. */
  def?: TableDef;
  /** `pg_catalog`, `information_schema`, or a `pg_…` relation the schema does not define. */
  system: boolean;
  equality: ScanKey[];
  ranges: ScanKey[];
  joinKeys: JoinKey[];
  /** Canonical text of each constant or NULL test on the table (`revoked_at IS NULL`, `active = true`). */
  predicates: string[];
  /** ORDER BY keys, only when every key of the ORDER BY is on this table. */
  orderBy: OrderKey[];
  limit: boolean;
  forUpdate: boolean;
  /** Why no index serves the scan as a whole (its WHERE is an OR). */
  unusable?: string;
  /** Conditions left out, and why. */
  notes: string[];
}

export type ScanResult =
  | { kind: "query"; scans: TableScan[]; notes: string[] }
  | { kind: "not-a-query" | "unsupported"; reason: string };

interface Rel {
  alias: string;
  kind: "table" | "derived";
  schema?: string;
  name: string;
  def?: TableDef;
  scan?: TableScan;
}

interface Scope {
  rels: Rel[];
  parent: Scope | undefined;
  ctes: Set<string>;
}

type Operand =
  | { kind: "column"; rel: Rel; column: string }
  | { kind: "expr"; rel: Rel; expression: string }
  /** A column of another relation: the current scope's (a join) or an outer query's (correlation). */
  | { kind: "other"; rel: Rel; column: string; outer: boolean }
  | { kind: "literal"; text?: string }
  | { kind: "value" }
  | { kind: "unknown"; note: string };

const RANGE_OPS = new Set(["<", "<=", ">", ">="]);
const FLIP: Record<string, string> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=" };

/** Row-reading statements this analysis does not model yet, by node name, with what to say. */
const UNSUPPORTED: Record<string, string> = {
  MergeStmt: "MERGE is not analyzed yet",
};

export function extractScans(node: Node, catalog?: Catalog): ScanResult {
  return new Extractor(catalog).statement(node);
}

class Extractor {
  private readonly scans: TableScan[] = [];
  private readonly notes: string[] = [];
  /** The other side of each join key: a table's scan, or null for an outer query, a CTE or a subquery. */
  private readonly partners = new Map<JoinKey, (TableScan | null)[]>();

  constructor(private readonly catalog: Catalog | undefined) {}

  private join(scan: TableScan | undefined, key: ScanKey, partners: (TableScan | undefined)[]): void {
    if (!scan) return;
    let entry = scan.joinKeys.find((k) => k.column === key.column && k.expression === key.expression);
    if (!entry) {
      entry = { ...key, otherSideFiltered: false };
      scan.joinKeys.push(entry);
    }
    const list = this.partners.get(entry) ?? [];
    list.push(...partners.map((p) => p ?? null));
    this.partners.set(entry, list);
  }

  statement(node: Node): ScanResult {
    const n = node as Record<string, unknown>;
    const name = Object.keys(n)[0] ?? "";
    if (UNSUPPORTED[name]) return { kind: "unsupported", reason: UNSUPPORTED[name] };
    const inner = this.queryNode(node);
    if (!inner)
      return { kind: "not-a-query", reason: `${describe(name)} reads no table rows an index could serve` };
    this.any(inner, undefined, new Set());
    for (const [key, partners] of this.partners)
      key.otherSideFiltered = partners.some(
        (p) =>
          p === null ||
          p.equality.length > 0 ||
          p.ranges.length > 0 ||
          p.predicates.length > 0 ||
          (p.orderBy.length > 0 && p.limit),
      );
    return { kind: "query", scans: this.scans, notes: this.notes };
  }

  /** The row-reading statement inside a wrapper (EXPLAIN, COPY (…) TO, DECLARE CURSOR, CREATE TABLE AS). */
  private queryNode(node: Node): Node | undefined {
    const n = node as Record<string, { query?: Node } | undefined>;
    if (n.SelectStmt || n.InsertStmt || n.UpdateStmt || n.DeleteStmt) return node;
    const wrapped =
      n.ExplainStmt?.query ?? n.CopyStmt?.query ?? n.DeclareCursorStmt?.query ?? n.CreateTableAsStmt?.query;
    return wrapped ? this.queryNode(wrapped) : undefined;
  }

  /** Any row-reading statement, as a top-level statement, a CTE or a subquery. */
  private any(node: Node | undefined, parent: Scope | undefined, ctes: Set<string>): void {
    if (!node) return;
    const n = node as {
      SelectStmt?: SelectStmt;
      InsertStmt?: InsertStmt;
      UpdateStmt?: UpdateStmt;
      DeleteStmt?: DeleteStmt;
    };
    if (n.SelectStmt) this.select(n.SelectStmt, parent, ctes);
    else if (n.InsertStmt) this.insert(n.InsertStmt, parent, ctes);
    else if (n.UpdateStmt) this.update(n.UpdateStmt, parent, ctes);
    else if (n.DeleteStmt) this.delete(n.DeleteStmt, parent, ctes);
  }

  private with(clause: WithClause | undefined, parent: Scope | undefined, outer: Set<string>): Set<string> {
    if (!clause?.ctes?.length) return outer;
    const ctes = new Set(outer);
    for (const item of clause.ctes) {
      const cte = (item as { CommonTableExpr?: CommonTableExpr }).CommonTableExpr;
      if (!cte?.ctename) continue;
      // A recursive CTE refers to itself; a plain one only sees the CTEs before it.
      if (clause.recursive) ctes.add(cte.ctename);
      this.any(cte.ctequery, parent, new Set(ctes));
      ctes.add(cte.ctename);
    }
    return ctes;
  }

  private select(stmt: SelectStmt, parent: Scope | undefined, outerCtes: Set<string>): void {
    const ctes = this.with(stmt.withClause, parent, outerCtes);
    if (stmt.op && stmt.op !== "SETOP_NONE") {
      // UNION/INTERSECT/EXCEPT: each branch scans on its own; the ORDER BY sorts the combined rows.
      if (stmt.larg) this.select(stmt.larg, parent, ctes);
      if (stmt.rarg) this.select(stmt.rarg, parent, ctes);
      return;
    }
    const scope: Scope = { rels: [], parent, ctes };
    if (stmt.valuesLists) {
      for (const row of stmt.valuesLists) this.sublinks(row, scope);
      return;
    }
    const conditions: Node[] = [];
    for (const item of stmt.fromClause ?? []) this.from(item, scope, conditions);
    this.where(stmt.whereClause, conditions, scope);
    for (const target of stmt.targetList ?? []) this.sublinks(target, scope);
    this.sublinks(stmt.havingClause, scope);
    const limit = stmt.limitCount !== undefined && !isNullConst(stmt.limitCount);
    for (const rel of scope.rels) if (rel.scan) rel.scan.limit = limit;
    this.orderBy(stmt, scope);
    if (stmt.lockingClause?.length) for (const rel of scope.rels) if (rel.scan) rel.scan.forUpdate = true;
  }

  private insert(stmt: InsertStmt, parent: Scope | undefined, outer: Set<string>): void {
    const ctes = this.with(stmt.withClause, parent, outer);
    // INSERT … VALUES reads no table; INSERT … SELECT reads what its SELECT reads. ON CONFLICT
    // probes the arbiter (unique) index, which exists by definition.
    this.any(stmt.selectStmt, parent, ctes);
  }

  private update(stmt: UpdateStmt, parent: Scope | undefined, outer: Set<string>): void {
    const ctes = this.with(stmt.withClause, parent, outer);
    const scope: Scope = { rels: [], parent, ctes };
    const conditions: Node[] = [];
    if (stmt.relation) this.addRel(stmt.relation, scope);
    for (const item of stmt.fromClause ?? []) this.from(item, scope, conditions);
    this.where(stmt.whereClause, conditions, scope);
    for (const target of stmt.targetList ?? []) this.sublinks(target, scope);
  }

  private delete(stmt: DeleteStmt, parent: Scope | undefined, outer: Set<string>): void {
    const ctes = this.with(stmt.withClause, parent, outer);
    const scope: Scope = { rels: [], parent, ctes };
    const conditions: Node[] = [];
    if (stmt.relation) this.addRel(stmt.relation, scope);
    for (const item of stmt.usingClause ?? []) this.from(item, scope, conditions);
    this.where(stmt.whereClause, conditions, scope);
  }

  private addRel(rv: RangeVar, scope: Scope): Rel {
    const name = rv.relname ?? "";
    const alias = rv.alias?.aliasname ?? name;
    if (!rv.schemaname && scope.ctes.has(name)) {
      const rel: Rel = { alias, kind: "derived", name };
      scope.rels.push(rel);
      return rel;
    }
    const def = this.catalog?.resolveTable(rv.schemaname, name);
    const rel: Rel = { alias, kind: "table", name };
    const schema = def?.schema ?? rv.schemaname;
    if (schema) rel.schema = schema;
    if (def) rel.def = def;
    const system =
      rv.schemaname === "pg_catalog" ||
      rv.schemaname === "information_schema" ||
      (!def && !rv.schemaname && name.startsWith("pg_"));
    const scan: TableScan = {
      table: name,
      system,
      equality: [],
      ranges: [],
      joinKeys: [],
      predicates: [],
      orderBy: [],
      limit: false,
      forUpdate: false,
      notes: [],
    };
    if (schema) scan.schema = schema;
    if (def) scan.def = def;
    rel.scan = scan;
    this.scans.push(scan);
    scope.rels.push(rel);
    return rel;
  }

  /** One FROM item: adds its relations to the scope and its join conditions to `conditions`. */
  private from(item: Node, scope: Scope, conditions: Node[]): Rel[] {
    const n = item as {
      RangeVar?: RangeVar;
      RangeSubselect?: RangeSubselect;
      JoinExpr?: JoinExpr;
      RangeFunction?: RangeFunction;
    };
    if (n.RangeVar) return [this.addRel(n.RangeVar, scope)];
    if (n.RangeSubselect) {
      const sub = n.RangeSubselect;
      // A LATERAL subquery sees the FROM items before it; a plain one only the outer query's.
      const visible = sub.lateral
        ? { rels: [...scope.rels], parent: scope.parent, ctes: scope.ctes }
        : scope.parent;
      this.any(sub.subquery, visible, scope.ctes);
      const rel: Rel = {
        alias: sub.alias?.aliasname ?? "",
        kind: "derived",
        name: sub.alias?.aliasname ?? "",
      };
      scope.rels.push(rel);
      return [rel];
    }
    if (n.JoinExpr) {
      const join = n.JoinExpr;
      const left = join.larg ? this.from(join.larg, scope, conditions) : [];
      const right = join.rarg ? this.from(join.rarg, scope, conditions) : [];
      if (join.quals) conditions.push(join.quals);
      const using = (join.usingClause ?? []).map(stringOf);
      if (join.isNatural) using.push(...this.commonColumns(left, right));
      for (const column of using) {
        const l = this.withColumn(left, column);
        const r = this.withColumn(right, column);
        const scans = (rels: Rel[], all: Rel[]) => (rels.length ? rels : all).map((x) => x.scan);
        for (const rel of l) this.join(rel.scan, { column }, scans(r, right));
        for (const rel of r) this.join(rel.scan, { column }, scans(l, left));
      }
      return [...left, ...right];
    }
    // Set-returning functions, VALUES in FROM, XMLTABLE…: rows that no index of ours serves.
    const alias =
      (n.RangeFunction?.alias?.aliasname ??
        (item as { RangeTableFunc?: { alias?: { aliasname?: string } } }).RangeTableFunc?.alias?.aliasname) ||
      "";
    const rel: Rel = { alias, kind: "derived", name: alias };
    scope.rels.push(rel);
    return [rel];
  }

  /** The table relations among `rels` that have `column` (with no catalog, a lone table is assumed to). */
  private withColumn(rels: Rel[], column: string): Rel[] {
    const known = rels.filter((r) => r.kind === "table" && r.def?.columns.has(column));
    if (known.length > 0) return known;
    const tables = rels.filter((r) => r.kind === "table");
    return rels.length === 1 && tables.length === 1 && !tables[0]?.def ? tables : [];
  }

  private commonColumns(left: Rel[], right: Rel[]): string[] {
    const names = (rels: Rel[]) => new Set(rels.flatMap((r) => [...(r.def?.columns.keys() ?? [])]));
    const l = names(left);
    return [...names(right)].filter((c) => l.has(c));
  }

  private where(clause: Node | undefined, joinConditions: Node[], scope: Scope): void {
    const whereParts = clause ? conjuncts(clause) : [];
    // An OR that is the whole WHERE leaves no condition that one b-tree index can use for all
    // rows: PostgreSQL can only combine one index per branch (BitmapOr).
    if (whereParts.length === 1 && isOr(whereParts[0])) {
      const rels = new Set(this.relsIn(whereParts[0] as Node, scope));
      for (const rel of rels) {
        if (rel.scan)
          rel.scan.unusable = `its WHERE is an OR of conditions (${short(whereParts[0] as Node)}): one b-tree index cannot serve every branch; PostgreSQL would need one index per branch (a BitmapOr), or a rewrite as UNION`;
      }
    }
    for (const part of [...joinConditions.flatMap(conjuncts), ...whereParts]) {
      this.condition(part, scope);
      this.sublinks(part, scope);
    }
  }

  /** Classifies one AND-ed condition. Sub-queries inside it are walked separately. */
  private condition(node: Node, scope: Scope): void {
    const n = node as {
      A_Expr?: A_Expr;
      NullTest?: NullTest;
      BooleanTest?: BooleanTest;
      BoolExpr?: BoolExpr;
      SubLink?: SubLink;
      ColumnRef?: unknown;
    };
    if (n.A_Expr) {
      this.expression(node, n.A_Expr, scope);
      return;
    }
    if (n.NullTest || n.BooleanTest) {
      const arg = this.operand(n.NullTest?.arg ?? n.BooleanTest?.arg, scope);
      if (arg.kind === "column" || arg.kind === "expr") this.predicate(arg.rel, node);
      return;
    }
    if (n.ColumnRef) {
      // A boolean column used as the condition: `WHERE active`.
      const arg = this.operand(node, scope);
      if (arg.kind === "column") this.predicate(arg.rel, node);
      return;
    }
    if (n.BoolExpr?.boolop === "NOT_EXPR") {
      const inner = n.BoolExpr.args?.[0];
      const arg =
        inner && (inner as { ColumnRef?: unknown }).ColumnRef ? this.operand(inner, scope) : undefined;
      if (arg?.kind === "column") this.predicate(arg.rel, node);
      return;
    }
    if (n.BoolExpr?.boolop === "OR_EXPR") {
      for (const rel of new Set(this.relsIn(node, scope))) {
        if (rel.scan && !rel.scan.unusable)
          rel.scan.notes.push(`the OR condition (${short(node)}) is left to a filter`);
      }
      return;
    }
    if (n.SubLink?.subLinkType === "ANY_SUBLINK" && n.SubLink.testexpr) {
      // `col IN (SELECT …)`: a semi-join; the column is this table's side of the join.
      const arg = this.operand(n.SubLink.testexpr, scope);
      if (arg.kind === "column") this.join(arg.rel.scan, { column: arg.column }, [undefined]);
    }
  }

  private expression(node: Node, expr: A_Expr, scope: Scope): void {
    const op = operatorName(expr);
    const kind = expr.kind;
    const like = kind === "AEXPR_LIKE" && op === "~~";
    if (like || (kind === "AEXPR_OP" && (op === "=" || RANGE_OPS.has(op)))) {
      let left = this.operand(expr.lexpr, scope);
      let right = this.operand(expr.rexpr, scope);
      let operator = like ? "~~" : op;
      if (!like && !isKeyed(left) && isKeyed(right)) {
        [left, right] = [right, left];
        operator = FLIP[op] ?? op;
      }
      if (!isKeyed(left)) return;
      const key = keyOf(left);
      const scan = left.rel.scan;
      if (operator === "=") {
        if (right.kind === "literal") this.predicate(left.rel, node);
        else if (right.kind === "value") addKey(scan?.equality, key);
        else if (right.kind === "column" && right.rel === left.rel)
          scan?.notes.push(`${short(node)} compares two columns of the same row; no key comes from it`);
        else if (right.kind === "column" || right.kind === "other") {
          // A join (or a correlation with an outer query): this table's side of it.
          this.join(scan, key, [right.kind === "column" ? right.rel.scan : undefined]);
          if (right.kind === "column") this.join(right.rel.scan, { column: right.column }, [scan]);
        }
        return;
      }
      if (RANGE_OPS.has(operator)) {
        if (right.kind === "literal" || right.kind === "value") addKey(scan?.ranges, key);
        else
          scan?.notes.push(
            `${short(node)} compares with another table's column by range; no key comes from it`,
          );
        return;
      }
      // LIKE 'abc%' reads the range ['abc', 'abd'): a b-tree serves it under the C collation or
      // with text_pattern_ops (PostgreSQL docs, "Operator Classes and Operator Families").
      if (right.kind === "literal" && right.text !== undefined && /^[^%_]/.test(right.text)) {
        addKey(scan?.ranges, key);
        scan?.notes.push(
          `${short(node)} is a prefix range: the index needs text_pattern_ops unless the column's collation is C`,
        );
      } else scan?.notes.push(`${short(node)} is not a constant prefix match; a b-tree cannot serve it`);
      return;
    }
    if ((kind === "AEXPR_OP_ANY" && op === "=") || (kind === "AEXPR_IN" && op === "=")) {
      const left = this.operand(expr.lexpr, scope);
      const items = kind === "AEXPR_IN" ? listItems(expr.rexpr) : [expr.rexpr];
      const values = items.map((item) => this.operand(item, scope));
      if (isKeyed(left) && values.every((v) => v.kind === "value" || v.kind === "literal"))
        addKey(left.rel.scan?.equality, keyOf(left));
      return;
    }
    if (kind === "AEXPR_BETWEEN" || kind === "AEXPR_BETWEEN_SYM") {
      const left = this.operand(expr.lexpr, scope);
      const bounds = listItems(expr.rexpr).map((item) => this.operand(item, scope));
      if (isKeyed(left) && bounds.every((v) => v.kind === "value" || v.kind === "literal"))
        addKey(left.rel.scan?.ranges, keyOf(left));
      return;
    }
    const left = this.operand(expr.lexpr, scope);
    if (isKeyed(left)) left.rel.scan?.notes.push(`${short(node)} cannot use a b-tree index`);
  }

  private predicate(rel: Rel, node: Node): void {
    if (!rel.scan) return;
    const text = deparseExpr(node);
    if (!rel.scan.predicates.includes(text)) rel.scan.predicates.push(text);
  }

  /** ORDER BY keys, when all of them are on one table. */
  private orderBy(stmt: SelectStmt, scope: Scope): void {
    const sorts = (stmt.sortClause ?? [])
      .map((s) => (s as { SortBy?: SortBy }).SortBy)
      .filter((s): s is SortBy => !!s);
    if (sorts.length === 0) return;
    const keys: OrderKey[] = [];
    let rel: Rel | undefined;
    for (const sort of sorts) {
      const target = outputColumn(sort.node, stmt.targetList);
      const operand = this.operand(target, scope);
      if (!isKeyed(operand) || (rel && operand.rel !== rel)) {
        const scans = scope.rels.filter((r) => r.scan).map((r) => r.scan as TableScan);
        for (const scan of scans)
          scan.notes.push("its ORDER BY is not on this table alone, so no index order serves it");
        return;
      }
      rel = operand.rel;
      const desc = sort.sortby_dir === "SORTBY_DESC";
      const nullsFirst =
        sort.sortby_nulls === "SORTBY_NULLS_FIRST"
          ? true
          : sort.sortby_nulls === "SORTBY_NULLS_LAST"
            ? false
            : desc;
      if (sort.useOp) return; // ORDER BY … USING <op>: an operator order we do not map to directions.
      keys.push({ ...keyOf(operand), desc, nullsFirst });
    }
    if (rel?.scan) rel.scan.orderBy = keys;
  }

  /** Walks a condition or expression for sub-queries and analyzes each with `scope` as its outer query. */
  private sublinks(node: unknown, scope: Scope): void {
    if (Array.isArray(node)) {
      for (const item of node) this.sublinks(item, scope);
      return;
    }
    if (typeof node !== "object" || node === null) return;
    const sub = (node as { SubLink?: SubLink }).SubLink;
    if (sub) {
      this.sublinks(sub.testexpr, scope);
      this.any(sub.subselect, scope, scope.ctes);
      return;
    }
    for (const value of Object.values(node)) if (typeof value === "object") this.sublinks(value, scope);
  }

  /** What one side of a comparison is. */
  private operand(node: Node | undefined, scope: Scope): Operand {
    if (!node) return { kind: "value" };
    const n = node as {
      ColumnRef?: { fields?: Node[] };
      A_Const?: A_Const;
      TypeCast?: TypeCast;
      ParamRef?: unknown;
    };
    if (n.A_Const) {
      if (n.A_Const.isnull) return { kind: "value" };
      const text = n.A_Const.sval?.sval;
      return text === undefined ? { kind: "literal" } : { kind: "literal", text };
    }
    if (n.ParamRef) return { kind: "value" };
    if (n.TypeCast) {
      const inner = this.operand(n.TypeCast.arg, scope);
      // `created_at::date = $1` needs an expression index on the cast; the cast-free canonical
      // form the catalog uses cannot tell it from the column itself, so no key comes from it.
      if (inner.kind === "column" || inner.kind === "expr") {
        inner.rel.scan?.notes.push(
          `${short(node)} casts the column; only an expression index on the cast could serve it`,
        );
        return { kind: "unknown", note: "" };
      }
      return inner;
    }
    if (n.ColumnRef) return this.column(n.ColumnRef.fields ?? [], scope);
    const refs = columnRefs(node);
    if (refs.length === 0) return { kind: "value" };
    const resolved = refs.map((fields) => this.column(fields, scope));
    const rels = new Set(
      resolved.map((r) => (r.kind === "column" ? r.rel : r.kind === "other" && r.outer ? "outer" : null)),
    );
    if (resolved.every((r) => r.kind === "other" && r.outer)) return { kind: "value" };
    const only = [...rels][0];
    if (rels.size === 1 && only && only !== "outer" && only.kind === "table")
      return { kind: "expr", rel: only, expression: deparseExpr(node) };
    return { kind: "unknown", note: "" };
  }

  /** Resolves a column reference through the scope chain, as PostgreSQL's name lookup would. */
  private column(fields: Node[], scope: Scope): Operand {
    if (fields.some((f) => (f as { A_Star?: unknown }).A_Star)) return { kind: "unknown", note: "" };
    const names = fields.map(stringOf);
    const column = names.at(-1) ?? "";
    let outer = false;
    for (let s: Scope | undefined = scope; s; s = s.parent, outer = true) {
      let rel: Rel | undefined;
      if (names.length >= 2) {
        const qualifier = names.at(-2);
        const schema = names.length >= 3 ? names.at(-3) : undefined;
        rel = s.rels.find((r) => r.alias === qualifier && (!schema || r.schema === schema));
        if (!rel) continue;
      } else {
        const known = s.rels.filter((r) => r.def?.columns.has(column));
        const opaque = s.rels.filter((r) => !r.def);
        if (known.length === 1) rel = known[0];
        else if (known.length === 0 && s.rels.length === 1) rel = opaque[0];
        else if (known.length > 1 || opaque.length > 1) {
          const where = s.rels.map((r) => r.alias || "(subquery)").join(", ");
          return this.unresolved(
            `column "${column}" could be in any of ${where}; qualify it to get an index suggestion`,
          );
        } else continue;
      }
      if (!rel) continue;
      if (outer) return { kind: "other", rel, column, outer: true };
      if (rel.kind !== "table") return { kind: "other", rel, column, outer: false };
      return { kind: "column", rel, column };
    }
    return this.unresolved(`column "${names.join(".")}" is in no table of the query`);
  }

  private unresolved(note: string): Operand {
    if (!this.notes.includes(note)) this.notes.push(note);
    return { kind: "unknown", note };
  }

  /** The relations of the current scope that a condition reads. */
  private relsIn(node: Node, scope: Scope): Rel[] {
    return columnRefs(node)
      .map((fields) => this.column(fields, scope))
      .flatMap((o) => (o.kind === "column" ? [o.rel] : []));
  }
}

function isKeyed(o: Operand): o is Operand & { kind: "column" | "expr" } {
  return o.kind === "column" || o.kind === "expr";
}

function keyOf(o: Operand & { kind: "column" | "expr" }): ScanKey {
  return o.kind === "column" ? { column: o.column } : { expression: o.expression };
}

function addKey(list: ScanKey[] | undefined, key: ScanKey): void {
  if (!list) return;
  if (!list.some((k) => k.column === key.column && k.expression === key.expression)) list.push(key);
}

function conjuncts(node: Node): Node[] {
  const bool = (node as { BoolExpr?: BoolExpr }).BoolExpr;
  if (bool?.boolop === "AND_EXPR") return (bool.args ?? []).flatMap(conjuncts);
  return [node];
}

function isOr(node: Node | undefined): boolean {
  return (node as { BoolExpr?: BoolExpr } | undefined)?.BoolExpr?.boolop === "OR_EXPR";
}

function isNullConst(node: Node): boolean {
  return (node as { A_Const?: A_Const }).A_Const?.isnull === true;
}

function operatorName(expr: A_Expr): string {
  return stringOf(expr.name?.at(-1));
}

function stringOf(node: Node | undefined): string {
  return (node as { String?: { sval?: string } } | undefined)?.String?.sval ?? "";
}

function listItems(node: Node | undefined): Node[] {
  const list = (node as { List?: { items?: Node[] } } | undefined)?.List?.items;
  return list ?? (node ? [node] : []);
}

/** Column references in an expression, not descending into sub-queries (they have their own scope). */
function columnRefs(node: unknown, out: Node[][] = []): Node[][] {
  if (Array.isArray(node)) {
    for (const item of node) columnRefs(item, out);
    return out;
  }
  if (typeof node !== "object" || node === null) return out;
  if ((node as { SubLink?: unknown }).SubLink) return out;
  const ref = (node as { ColumnRef?: { fields?: Node[] } }).ColumnRef;
  if (ref) {
    out.push(ref.fields ?? []);
    return out;
  }
  for (const value of Object.values(node)) if (typeof value === "object") columnRefs(value, out);
  return out;
}

/** ORDER BY 2 or ORDER BY an output alias refers to the select list (PostgreSQL resolves output names first). */
function outputColumn(node: Node | undefined, targets: Node[] | undefined): Node | undefined {
  const list = (targets ?? []).map((t) => (t as { ResTarget?: ResTarget }).ResTarget);
  const position = (node as { A_Const?: A_Const } | undefined)?.A_Const?.ival?.ival;
  if (position !== undefined) return list[position - 1]?.val;
  const fields = (node as { ColumnRef?: { fields?: Node[] } } | undefined)?.ColumnRef?.fields;
  if (fields?.length === 1) {
    const name = stringOf(fields[0]);
    const target = list.find((t) => t?.name === name);
    if (target?.val) return target.val;
  }
  return node;
}

function short(node: Node): string {
  const text = deparseExpr(node);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function describe(nodeName: string): string {
  const words: Record<string, string> = {
    TransactionStmt: "a transaction statement (BEGIN, COMMIT…)",
    VariableSetStmt: "SET",
    VariableShowStmt: "SHOW",
  };
  return words[nodeName] ?? `a utility statement (${nodeName})`;
}
