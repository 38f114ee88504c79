import { parseSync } from "libpg-query";
import type { SourceRange } from "../model.js";
import { nodeAs, nodesAs } from "../parse/nodes.js";
import { Catalog, type IndexDef, qualify, type TableDef } from "../schema/catalog.js";
import { deparseExpr } from "../schema/expr.js";
import { indexKey } from "../schema/index-key.js";
import type { Connection } from "./engine.js";

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'`;
// Tables an extension created (pg_depend deptype 'e') are not the migrations' business.
const NOT_EXTENSION = `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`;

const nowhere: SourceRange = { file: "", line: 0, column: 0, endLine: 0, endColumn: 0 };

export async function readLiveCatalog(db: Connection): Promise<Catalog> {
  const catalog = new Catalog();
  const tables = await db.query<{ oid: string; schema: string; name: string; relkind: string }>(
    `SELECT c.oid::bigint::text AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'm') AND ${USER_SCHEMAS} AND ${NOT_EXTENSION}`,
  );
  const byOid = new Map<string, TableDef>();
  for (const row of tables.rows) {
    const table: TableDef = {
      schema: row.schema,
      name: row.name,
      columns: new Map(),
      indexes: new Map(),
      foreignKeys: new Map(),
      createdIn: -1,
      source: nowhere,
      partitioned: row.relkind === "p",
    };
    catalog.tables.set(qualify(row.schema, row.name), table);
    byOid.set(row.oid, table);
  }

  // A partition's parent, so that partitions made at run time can be told from unknown tables.
  const parents = await db.query<{ child: string; parent: string }>(
    `SELECT i.inhrelid::bigint::text AS child, i.inhparent::bigint::text AS parent
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relispartition`,
  );
  for (const row of parents.rows) {
    const child = byOid.get(row.child);
    const parent = byOid.get(row.parent);
    if (child && parent) child.partitionOf = qualify(parent.schema, parent.name);
  }

  const columns = await db.query<{
    rel: string;
    attnum: number;
    name: string;
    type: string;
    notnull: boolean;
  }>(
    `SELECT a.attrelid::bigint::text AS rel, a.attnum::int AS attnum, a.attname AS name,
            format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull
       FROM pg_attribute a WHERE a.attnum > 0 AND NOT a.attisdropped
        AND a.attrelid IN (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE c.relkind IN ('r', 'p', 'm') AND ${USER_SCHEMAS})`,
  );
  const attnames = new Map<string, string>();
  for (const row of columns.rows) {
    attnames.set(`${row.rel}:${row.attnum}`, row.name);
    byOid.get(row.rel)?.columns.set(row.name, { name: row.name, type: row.type, notNull: row.notnull });
  }

  const indexes = await db.query<{
    rel: string;
    name: string;
    def: string;
    unique: boolean;
    primary: boolean;
    valid: boolean;
    conname: string | null;
  }>(
    `SELECT i.indrelid::bigint::text AS rel, ic.relname AS name, pg_get_indexdef(i.indexrelid) AS def,
            i.indisunique AS unique, i.indisprimary AS primary, i.indisvalid AS valid, con.conname
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')`,
  );
  for (const row of indexes.rows) {
    const table = byOid.get(row.rel);
    if (!table) continue;
    const index = indexFromDefinition(row.def, table);
    if (!index) continue;
    index.name = row.name;
    index.unique = row.unique;
    index.primary = row.primary;
    index.valid = row.valid;
    if (row.conname) index.constraint = row.conname;
    catalog.addIndex(table, index);
  }

  const fks = await db.query<{
    rel: string;
    name: string;
    conkey: number[] | string;
    ref: string;
    confkey: number[] | string;
    validated: boolean;
  }>(
    `SELECT con.conrelid::bigint::text AS rel, con.conname AS name, con.conkey::int[] AS conkey,
            con.confrelid::bigint::text AS ref, con.confkey::int[] AS confkey, con.convalidated AS validated
       FROM pg_constraint con WHERE con.contype = 'f'`,
  );
  for (const row of fks.rows) {
    const table = byOid.get(row.rel);
    const ref = byOid.get(row.ref);
    if (!table || !ref) continue;
    table.foreignKeys.set(row.name, {
      name: row.name,
      columns: intArray(row.conkey).map((n) => attnames.get(`${row.rel}:${n}`) ?? `#${n}`),
      refTable: qualify(ref.schema, ref.name),
      refColumns: intArray(row.confkey).map((n) => attnames.get(`${row.ref}:${n}`) ?? `#${n}`),
      validated: row.validated,
      source: nowhere,
      migration: -1,
    });
  }
  return catalog;
}

/** pg's driver returns int[] as an array; PGlite may return the text form "{1,2}". */
function intArray(value: number[] | string): number[] {
  if (Array.isArray(value)) return value.map(Number);
  return value.replace(/[{}]/g, "").split(",").filter(Boolean).map(Number);
}

function indexFromDefinition(def: string, table: TableDef): IndexDef | null {
  const stmt = nodeAs(parseSync(def).stmts?.[0]?.stmt, "IndexStmt");
  if (!stmt) return null;
  const elems = nodesAs(stmt.indexParams, "IndexElem");
  return {
    name: stmt.idxname ?? "",
    schema: table.schema,
    table: qualify(table.schema, table.name),
    method: stmt.accessMethod ?? "btree",
    keys: elems.map(indexKey),
    include: (stmt.indexIncludingParams ?? []).map((p) => nodeAs(p, "IndexElem")?.name ?? "expr"),
    predicate: stmt.whereClause ? deparseExpr(stmt.whereClause) : null,
    unique: Boolean(stmt.unique),
    primary: false,
    valid: true,
    source: nowhere,
    migration: -1,
  };
}
