/**
 * Table statistics exports: sizes from `pg_class`, and optionally per-column statistics from
 * `pg_stats`, each CSV with a header or JSON. They weigh candidates: a small table gets none, and
 * equality columns are ordered by selectivity.
 *
 * The exports the docs ask for (psql, one line each):
 *
 *   \copy (SELECT n.nspname AS schemaname, c.relname, c.reltuples, c.relpages FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%') TO 'tables.csv' WITH (FORMAT csv, HEADER)
 *   \copy (SELECT schemaname, tablename, attname, null_frac, n_distinct FROM pg_stats WHERE schemaname NOT IN ('pg_catalog', 'information_schema')) TO 'columns.csv' WITH (FORMAT csv, HEADER)
 */
import type { InputError, SourceRange } from "../model.js";
import { numberValue, pickColumn, readExport, textValue } from "./records.js";

export interface TableSize {
  schema?: string;
  table: string;
  /** pg_class.reltuples: the planner's row estimate; -1 on PostgreSQL 14+ when never analyzed. */
  rows: number;
  pages?: number;
  range: SourceRange;
}

export interface ColumnStats {
  schema?: string;
  table: string;
  column: string;
  nullFrac: number;
  /**
   * pg_stats.n_distinct: a count when positive; when negative, minus the fraction of rows that
   * are distinct (the count grows with the table), as in the pg_stats docs.
   */
  nDistinct: number;
  range: SourceRange;
}

export interface StatsExport {
  kind: "tables" | "columns" | null;
  tables: TableSize[];
  columns: ColumnStats[];
  errors: InputError[];
}

/** Reads a pg_class export (relname, reltuples) or a pg_stats export (tablename, attname), told apart by their columns. */
export function readStatsExport(text: string, file: string): StatsExport {
  const table = readExport(text, file);
  const out: StatsExport = { kind: null, tables: [], columns: [], errors: [...table.errors] };
  if (table.records.length === 0 && table.columns.size === 0) return out;
  const schemaColumn = pickColumn(table.columns, "schemaname", "nspname", "schema");
  if (table.columns.has("attname")) {
    out.kind = "columns";
    const missing = ["tablename", "attname", "null_frac", "n_distinct"].filter((c) => !table.columns.has(c));
    if (missing.length) {
      out.errors.unshift({
        message: `pg_stats export: missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
        range: table.header,
      });
      return out;
    }
    for (const record of table.records) {
      const tableName = textValue(record.values.get("tablename"));
      const column = textValue(record.values.get("attname"));
      const nullFrac = numberValue(record.values.get("null_frac"));
      const nDistinct = numberValue(record.values.get("n_distinct"));
      if (!tableName || !column || nullFrac === undefined || nDistinct === undefined) {
        out.errors.push({
          message:
            "pg_stats export: the row needs tablename, attname, and numbers for null_frac and n_distinct",
          range: record.range,
        });
        continue;
      }
      const stats: ColumnStats = { table: tableName, column, nullFrac, nDistinct, range: record.range };
      const schema = schemaColumn ? textValue(record.values.get(schemaColumn)) : undefined;
      if (schema) stats.schema = schema;
      out.columns.push(stats);
    }
    return out;
  }
  out.kind = "tables";
  const missing = ["relname", "reltuples"].filter((c) => !table.columns.has(c));
  if (missing.length) {
    out.errors.unshift({
      message: `table statistics export: missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (expected pg_class's relname, reltuples[, relpages], or pg_stats' tablename, attname, null_frac, n_distinct)`,
      range: table.header,
    });
    return out;
  }
  for (const record of table.records) {
    const name = textValue(record.values.get("relname"));
    const rows = numberValue(record.values.get("reltuples"));
    if (!name || rows === undefined) {
      out.errors.push({
        message: "table statistics export: the row needs a relname and a number for reltuples",
        range: record.range,
      });
      continue;
    }
    const size: TableSize = { table: name, rows, range: record.range };
    const pages = numberValue(record.values.get("relpages"));
    if (pages !== undefined) size.pages = pages;
    const schema = schemaColumn ? textValue(record.values.get(schemaColumn)) : undefined;
    if (schema) size.schema = schema;
    out.tables.push(size);
  }
  return out;
}

/** Lookups over one or more stats exports. Names match as PostgreSQL stores them (case-sensitive). */
export class TableStats {
  private readonly sizes = new Map<string, TableSize>();
  private readonly byName = new Map<string, TableSize[]>();
  private readonly columnStats = new Map<string, ColumnStats>();

  constructor(exports: ReadonlyArray<Pick<StatsExport, "tables" | "columns">> = []) {
    for (const e of exports) {
      for (const t of e.tables) {
        this.sizes.set(`${t.schema ?? ""}.${t.table}`, t);
        const list = this.byName.get(t.table) ?? [];
        list.push(t);
        this.byName.set(t.table, list);
      }
      for (const c of e.columns) this.columnStats.set(`${c.schema ?? ""}.${c.table}.${c.column}`, c);
    }
  }

  /** The table's size; an export without schemas matches by name. */
  size(schema: string, table: string): TableSize | undefined {
    return (
      this.sizes.get(`${schema}.${table}`) ??
      this.sizes.get(`.${table}`) ??
      // Only when the name alone is unambiguous across schemas.
      (this.byName.get(table)?.length === 1 ? this.byName.get(table)?.[0] : undefined)
    );
  }

  column(schema: string, table: string, column: string): ColumnStats | undefined {
    return (
      this.columnStats.get(`${schema}.${table}.${column}`) ?? this.columnStats.get(`.${table}.${column}`)
    );
  }

  /**
   * The fraction of the table's rows that one equality value selects, as the planner estimates it
   * for a column without a most-common-value list: (1 - null_frac) / distinct values
   * (var_eq_const in selfuncs.c). Undefined without statistics.
   */
  equalitySelectivity(schema: string, table: string, column: string): number | undefined {
    const stats = this.column(schema, table, column);
    if (!stats) return undefined;
    let distinct = stats.nDistinct;
    if (distinct < 0) {
      const rows = this.size(schema, table)?.rows;
      // Without a row count a relative n_distinct still orders columns of one table: -1 (unique)
      // is more selective than -0.5.
      distinct = rows !== undefined && rows > 0 ? -distinct * rows : -distinct * 1e6;
    }
    if (distinct <= 0) return undefined;
    return Math.min(1, (1 - stats.nullFrac) / distinct);
  }
}
