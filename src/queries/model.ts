/**
 * The shapes every query source yields (DESIGN.md §3, `queries/`): located queries, located
 * input errors, and located skips. A source never throws for bad input and never drops a query
 * without saying why.
 */
import type { InputError, SourceRange } from "../model.js";

export type QueryOrigin = "pg-stat-statements" | "query-file";

/** What pg_stat_statements measured for one statement. Times are milliseconds. */
export interface QueryFigures {
  calls: number;
  totalMs: number;
  meanMs: number;
  rows?: number;
}

export interface SourceQuery {
  origin: QueryOrigin;
  /** The text as exported or written (sqlc placeholders kept). */
  text: string;
  /** Text the PostgreSQL parser accepts: sqlc placeholders rewritten to `$n`. */
  sql: string;
  /** The export row (its first line) or the statement in the query file. */
  range: SourceRange;
  /** sqlc's `-- name:` of the query. */
  name?: string;
  queryid?: string;
  /** Absent for query files: they carry no figures. */
  figures?: QueryFigures;
}

export type SkipKind =
  /** The text was cut short (track_activity_query_size, an exporter's limit). */
  | "truncated"
  /** The text is not valid SQL for PostgreSQL's parser. */
  | "syntax-error"
  /** The exporting role could not see the text. */
  | "hidden"
  /** A statement that reads no table rows: BEGIN, SET, SHOW, DDL… */
  | "not-a-query"
  /** A statement form this analysis does not model (MERGE, COPY …). */
  | "unsupported"
  /** Under the calls or mean-time threshold. */
  | "below-threshold";

export interface SkippedQuery {
  kind: SkipKind;
  reason: string;
  range: SourceRange;
  query?: SourceQuery;
}

/** What one source yields. */
export interface QuerySource {
  origin: QueryOrigin;
  /** Display path (or glob) of the source. */
  path: string;
  queries: SourceQuery[];
  errors: InputError[];
  skipped: SkippedQuery[];
  /**
   * For an export: the execution time of every statement in it (top-level ones, when the export
   * says which), the denominator of a candidate's share.
   */
  totalMs?: number;
}
