/**
 * A `pg_stat_statements` export, CSV with a header or JSON, as located queries with their figures.
 *
 * The export the docs ask for (psql, one line; PostgreSQL 13 and later):
 *
 *   \copy (SELECT queryid, query, calls, total_exec_time, mean_exec_time, rows FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())) TO 'pg_stat_statements.csv' WITH (FORMAT csv, HEADER)
 *
 * PostgreSQL 12 and older name the times `total_time` and `mean_time` (the columns were split into
 * plan and exec times in 13: pg_stat_statements docs, "F.32.1").
 */
import type { InputError } from "../model.js";
import type { QueryFigures, QuerySource, SkippedQuery, SourceQuery } from "./model.js";
import { numberValue, pickColumn, readExport, textValue } from "./records.js";

export function readStatStatements(text: string, file: string): QuerySource {
  const table = readExport(text, file);
  const source: QuerySource = {
    origin: "pg-stat-statements",
    path: file,
    queries: [],
    errors: [...table.errors],
    skipped: [],
    totalMs: 0,
  };
  if (table.records.length === 0 && table.columns.size === 0) return source;

  const total = pickColumn(table.columns, "total_exec_time", "total_time");
  const mean = pickColumn(table.columns, "mean_exec_time", "mean_time");
  const missing = [
    table.columns.has("query") ? null : "query",
    table.columns.has("calls") ? null : "calls",
    total ? null : "total_exec_time (PostgreSQL 13+) or total_time (older)",
  ].filter((m): m is string => m !== null);
  if (missing.length > 0) {
    const have = [...table.columns].join(", ") || "none";
    source.errors.unshift({
      message: `pg_stat_statements export: missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (columns found: ${have})`,
      range: table.header,
    });
    return source;
  }
  // With pg_stat_statements.track = all, a statement run inside a function is counted on its own
  // row (toplevel = false) and again inside its caller's time (PostgreSQL 14+ docs, `toplevel`);
  // only top-level rows add to the export's total.
  const hasToplevel = table.columns.has("toplevel");

  for (const record of table.records) {
    const bad = (message: string) => {
      const error: InputError = { message: `pg_stat_statements export: ${message}`, range: record.range };
      source.errors.push(error);
    };
    const query = textValue(record.values.get("query"));
    const calls = numberValue(record.values.get("calls"));
    const totalMs = numberValue(record.values.get(total as string));
    if (query === undefined || query.trim() === "") {
      bad("the row has no query text");
      continue;
    }
    if (calls === undefined || calls < 0 || !Number.isInteger(calls)) {
      bad(`calls "${String(record.values.get("calls") ?? "")}" is not a count`);
      continue;
    }
    if (totalMs === undefined || totalMs < 0) {
      bad(`${total} "${String(record.values.get(total as string) ?? "")}" is not a time in milliseconds`);
      continue;
    }
    const meanRaw = mean ? numberValue(record.values.get(mean)) : undefined;
    const figures: QueryFigures = {
      calls,
      totalMs,
      meanMs: meanRaw ?? (calls > 0 ? totalMs / calls : 0),
    };
    const rows = numberValue(record.values.get("rows"));
    if (rows !== undefined) figures.rows = rows;
    const toplevel = record.values.get("toplevel");
    if (!hasToplevel || !(toplevel === false || toplevel === "f" || toplevel === "false"))
      source.totalMs = (source.totalMs ?? 0) + totalMs;

    const item: SourceQuery = {
      origin: "pg-stat-statements",
      text: query,
      sql: query,
      range: record.range,
      figures,
    };
    const queryid = textValue(record.values.get("queryid"));
    if (queryid !== undefined) item.queryid = queryid;
    // pg_stat_statements shows this instead of the text to a role without pg_read_all_stats
    // (pg_stat_statements docs, "F.32.1": "<insufficient privilege>").
    if (query.trim() === "<insufficient privilege>") {
      const skip: SkippedQuery = {
        kind: "hidden",
        reason:
          "the role that ran the export could not read this statement's text; export as a member of pg_read_all_stats",
        range: record.range,
        query: item,
      };
      source.skipped.push(skip);
      continue;
    }
    source.queries.push(item);
  }
  return source;
}
