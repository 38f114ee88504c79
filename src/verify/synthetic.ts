/**
 * Synthetic rows for the impact report (`verify.rows` in the config): type-correct values that
 * respect NOT NULL, UNIQUE and foreign keys, inserted with one INSERT … SELECT over
 * generate_series per table. Row g of every table derives its values from g alone, so a foreign
 * key can name an existing parent row by computing the parent's key for some g.
 */
import { UserError } from "../errors.js";
import type { Connection } from "./engine.js";

interface ColumnInfo {
  name: string;
  type: string;
  typtype: string;
  notnull: boolean;
  hasDefault: boolean;
  identity: string;
  generated: string;
  enumFirst: string | null;
  /** Length limit of varchar(n)/char(n), else null. */
  maxLength: number | null;
}

interface ForeignKeyInfo {
  columns: string[];
  parent: string;
  parentColumns: string[];
}

export interface FillResult {
  table: string;
  rows: number;
  /** What the config asked for, when a cap (RowLimits) lowered it to `rows`. */
  requested?: number;
  ms: number;
  /** Added because a filled table references it with a NOT NULL foreign key. */
  implied: boolean;
}

/** The most rows a config may ask for, per table and in all. */
export interface RowLimits {
  perTable: number;
  total: number;
}

/**
 * The config comes from the repository under review, so it may ask for anything. On a server the
 * cost is disk and time; PGlite keeps its whole data directory in this process's memory, where a
 * million narrow rows with an index took about 1 GB and 30 s on our machine, hence the lower cap.
 */
export const ROW_LIMITS: Record<"server" | "pglite", RowLimits> = {
  server: { perTable: 1_000_000, total: 5_000_000 },
  pglite: { perTable: 250_000, total: 1_000_000 },
};

/**
 * The row counts within the limits: each table at most `perTable`, then all of them scaled down
 * together (keeping their ratios, which foreign keys spread rows by) to at most `total`.
 */
export function capRows(
  wanted: Record<string, number>,
  limits: RowLimits,
): { rows: Record<string, number>; note?: string } {
  const capped = Object.entries(wanted).map(([table, n]) => [table, Math.min(n, limits.perTable)] as const);
  const sum = capped.reduce((total, [, n]) => total + n, 0);
  const scale = sum > limits.total ? limits.total / sum : 1;
  const rows = Object.fromEntries(capped.map(([table, n]) => [table, Math.floor(n * scale)]));
  const lowered = Object.entries(wanted).filter(([table, n]) => rows[table] !== n);
  if (lowered.length === 0) return { rows };
  const fmt = (n: number) => n.toLocaleString("en-US");
  const list = lowered.map(([table, n]) => `${table} ${fmt(n)} → ${fmt(rows[table] ?? 0)}`).join(", ");
  return {
    rows,
    note: `verify.rows asks for more rows than verify fills here (at most ${fmt(limits.perTable)} per table and ${fmt(limits.total)} in all): ${list}`,
  };
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Fills the tables, parents first; a NOT NULL foreign key pulls its parent in with 1,000 rows.
 * With `limits`, asks beyond them are lowered, and `onNote` says so.
 */
export async function fillTables(
  db: Connection,
  wanted: Record<string, number>,
  options: { limits?: RowLimits; onNote?: (line: string) => void } = {},
): Promise<FillResult[]> {
  const capped = options.limits ? capRows(wanted, options.limits) : { rows: wanted };
  if (capped.note) options.onNote?.(capped.note);
  const counts = new Map(Object.entries(capped.rows));
  const fks = new Map<string, ForeignKeyInfo[]>();
  const columns = new Map<string, ColumnInfo[]>();
  const implied = new Set<string>();
  const queue = [...counts.keys()];
  while (queue.length > 0) {
    const table = queue.shift() as string;
    if (columns.has(table)) continue;
    columns.set(table, await columnsOf(db, table));
    const keys = await foreignKeysOf(db, table);
    fks.set(table, keys);
    for (const fk of keys) {
      const required = fk.columns.some((c) => columns.get(table)?.find((col) => col.name === c)?.notnull);
      if (required && !counts.has(fk.parent)) {
        counts.set(fk.parent, 1000);
        implied.add(fk.parent);
        queue.push(fk.parent);
      }
    }
  }
  const order = parentsFirst([...counts.keys()], fks);
  const results: FillResult[] = [];
  for (const table of order) {
    const n = counts.get(table) ?? 0;
    const started = performance.now();
    const cols = (columns.get(table) ?? []).filter((c) => c.generated === "" && c.identity !== "a");
    const exprs = cols.map((c) => {
      const fk = (fks.get(table) ?? []).find((k) => k.columns.includes(c.name) && counts.has(k.parent));
      if (fk) {
        const parentN = counts.get(fk.parent) ?? 1;
        const parentColumn = fk.parentColumns[fk.columns.indexOf(c.name)] ?? "";
        const parentInfo = columns.get(fk.parent)?.find((p) => p.name === parentColumn);
        // The parent row number this child row points at: spread evenly over the parent's rows.
        return parentInfo ? valueFor(parentInfo, `(((g - 1) % ${parentN}) + 1)`) : "NULL";
      }
      return valueFor(c, "g");
    });
    const sql = `INSERT INTO ${table} (${cols.map((c) => quote(c.name)).join(", ")}) SELECT ${exprs.join(", ")} FROM generate_series(1, ${n}) AS g`;
    try {
      await db.query(sql);
      await db.query(`ANALYZE ${table}`);
    } catch (error) {
      throw new UserError(`verify.rows: could not fill ${table}: ${(error as Error).message}`);
    }
    const requested = wanted[table];
    results.push({
      table,
      rows: n,
      ...(requested !== undefined && requested !== n ? { requested } : {}),
      ms: performance.now() - started,
      implied: implied.has(table),
    });
  }
  return results;
}

/** A deterministic, unique-per-row value of the column's type for row expression `g`. */
function valueFor(c: ColumnInfo, g: string): string {
  const t = c.type;
  if (c.enumFirst !== null) return `'${c.enumFirst.replace(/'/g, "''")}'`;
  if (/^(smallint)/.test(t)) return `(${g} % 32000)::smallint`;
  if (/^(integer|bigint|numeric|real|double precision)/.test(t)) return `(${g})::${t}`;
  if (t === "uuid") return `md5((${g})::text)::uuid`;
  if (/^(character varying|character|text|citext)/.test(t)) {
    // md5 keeps values unique and spread out; cut to the column's length.
    const text = `md5((${g})::text)`;
    return c.maxLength ? `left(${text}, ${c.maxLength})` : text;
  }
  if (/^timestamp/.test(t)) return `(timestamp '2024-01-01' + (${g}) * interval '1 minute')::${t}`;
  if (t === "date") return `(date '2024-01-01' + ((${g}) % 3650))`;
  if (t === "boolean") return `((${g}) % 2 = 0)`;
  if (/^jsonb?$/.test(t)) return `'{}'::${t}`;
  if (t === "bytea") return `decode(md5((${g})::text), 'hex')`;
  if (t === "inet") return `('10.0.0.0'::inet + (${g}))`;
  if (c.hasDefault || !c.notnull) return c.hasDefault ? "DEFAULT" : "NULL";
  throw new UserError(`verify.rows: cannot make values of type ${t} for column ${c.name}`);
}

async function columnsOf(db: Connection, table: string): Promise<ColumnInfo[]> {
  const rows = await db
    .query<{
      name: string;
      type: string;
      typtype: string;
      notnull: boolean;
      hasdefault: boolean;
      identity: string;
      generated: string;
      enumfirst: string | null;
      maxlength: number | null;
    }>(
      `SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type, t.typtype::text AS typtype,
            a.attnotnull AS notnull, a.atthasdef AS hasdefault, a.attidentity::text AS identity,
            a.attgenerated::text AS generated,
            (SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = a.atttypid ORDER BY e.enumsortorder LIMIT 1) AS enumfirst,
            CASE WHEN a.atttypmod > 4 AND a.atttypid IN (1043, 1042) THEN a.atttypmod - 4 END AS maxlength
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [table],
    )
    .catch((error: Error) => {
      throw new UserError(
        `verify.rows: no table ${table} after the migrations before review (${error.message})`,
      );
    });
  return rows.rows.map((r) => ({
    name: r.name,
    type: r.type,
    typtype: r.typtype,
    notnull: r.notnull,
    hasDefault: r.hasdefault,
    identity: r.identity,
    generated: r.generated,
    enumFirst: r.enumfirst,
    maxLength: r.maxlength === null ? null : Number(r.maxlength),
  }));
}

async function foreignKeysOf(db: Connection, table: string): Promise<ForeignKeyInfo[]> {
  const rows = await db.query<{
    columns: string[] | string;
    parent: string;
    parentcolumns: string[] | string;
  }>(
    `SELECT ARRAY(SELECT attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i)::text[] AS columns,
            c.confrelid::regclass::text AS parent,
            ARRAY(SELECT attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)::text[] AS parentcolumns
       FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = $1::regclass`,
    [table],
  );
  const list = (v: string[] | string) =>
    Array.isArray(v) ? v : v.replace(/[{}]/g, "").split(",").filter(Boolean);
  return rows.rows.map((r) => ({
    columns: list(r.columns),
    parent: r.parent,
    parentColumns: list(r.parentcolumns),
  }));
}

function parentsFirst(tables: string[], fks: Map<string, ForeignKeyInfo[]>): string[] {
  const out: string[] = [];
  const visiting = new Set<string>();
  const visit = (t: string) => {
    if (out.includes(t) || visiting.has(t)) return;
    visiting.add(t);
    for (const fk of fks.get(t) ?? []) if (tables.includes(fk.parent) && fk.parent !== t) visit(fk.parent);
    out.push(t);
  };
  for (const t of tables) visit(t);
  return out;
}
