/**
 * SQL → located statements, with the real PostgreSQL parser (libpg-query, WASM).
 */
import type { Node, ParseResult } from "@pgsql/types";
import { loadModule, parseSync } from "libpg-query";
import type { InlineIgnore, InputError, SourceRange } from "../model.js";
import { SourceText } from "./source-text.js";

let loaded: Promise<void> | null = null;

/** Loads the WASM parser once per process. Every entry point awaits this before parsing. */
export function initSqlParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

/** A statement as the parser sees it, before the runner gives it a transaction context. */
export interface ParsedStatement {
  node: Node;
  sql: string;
  range: SourceRange;
  offset: number;
}

export interface ParsedSql {
  statements: ParsedStatement[];
  errors: InputError[];
  /** Inline ignores found anywhere, used or not, so that unused ones can be reported. */
  ignores: InlineIgnore[];
  source: SourceText;
}

const IGNORE_RE = /^--\s*pg-index-lint-ignore\s+([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s*(?::\s*(.*))?$/;

/**
 * Parses one file's SQL. `sql` must keep the file's layout (masked sections are spaces), so that
 * the ranges point into the original file.
 */
export function parseSql(sql: string, file: string): ParsedSql {
  const source = new SourceText(sql, file);
  let result: ParseResult;
  try {
    result = parseSync(sql);
  } catch (error) {
    return { statements: [], errors: [syntaxError(error, source)], ignores: [], source };
  }
  const statements: ParsedStatement[] = [];
  const ignores: InlineIgnore[] = [];
  let previousEnd = 0;
  let previous: ParsedStatement | null = null;
  for (const raw of result.stmts ?? []) {
    if (!raw.stmt) continue;
    const rawStart = source.charOffset(raw.stmt_location ?? 0);
    const rawEnd = raw.stmt_len ? source.charOffset((raw.stmt_location ?? 0) + raw.stmt_len) : sql.length;
    const leading = scanLeading(sql, Math.min(rawStart, previousEnd), rawEnd);
    let end = rawEnd;
    while (end > leading.start && /\s/.test(sql[end - 1] ?? "")) end--;
    previousEnd = rawEnd;
    const statement: ParsedStatement = {
      node: raw.stmt,
      sql: sql.slice(leading.start, end),
      range: source.range(leading.start, end),
      offset: leading.start,
    };
    for (const comment of leading.comments) {
      // A directive at the end of a statement's own line belongs to that statement, not the next.
      const trailing = previous !== null && source.position(comment.start).line === previous.range.endLine;
      const ignore = directive(comment, source, trailing && previous ? previous.range : statement.range);
      if (ignore) ignores.push(ignore);
    }
    statements.push(statement);
    previous = statement;
  }
  // Directives after the last statement have no statement to apply to; they still count as unused.
  if (previous) {
    for (const comment of scanLeading(sql, previousEnd, sql.length).comments) {
      const trailing = source.position(comment.start).line === previous.range.endLine;
      const ignore = directive(
        comment,
        source,
        trailing ? previous.range : source.range(sql.length, sql.length),
      );
      if (ignore) ignores.push(ignore);
    }
  }
  return { statements, errors: [], ignores, source };
}

interface Comment {
  start: number;
  end: number;
}

/** Skips whitespace and comments before a statement; returns where it really starts. */
function scanLeading(sql: string, from: number, limit: number): { start: number; comments: Comment[] } {
  const comments: Comment[] = [];
  let i = from;
  while (i < limit) {
    const c = sql[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === ";") {
      i++;
    } else if (c === "-" && sql[i + 1] === "-") {
      const nl = sql.indexOf("\n", i);
      const end = nl === -1 ? sql.length : nl;
      comments.push({ start: i, end });
      i = end;
    } else if (c === "/" && sql[i + 1] === "*") {
      // PostgreSQL block comments nest.
      let depth = 1;
      let j = i + 2;
      while (j < sql.length && depth > 0) {
        if (sql[j] === "/" && sql[j + 1] === "*") {
          depth++;
          j += 2;
        } else if (sql[j] === "*" && sql[j + 1] === "/") {
          depth--;
          j += 2;
        } else j++;
      }
      comments.push({ start: i, end: j });
      i = j;
    } else break;
  }
  return { start: i, comments };
}

/** `-- pg-index-lint-ignore rule-a, rule-b: reason`, applying to `statement`. */
function directive(comment: Comment, source: SourceText, statement: SourceRange): InlineIgnore | undefined {
  const match = IGNORE_RE.exec(source.text.slice(comment.start, comment.end).trim());
  if (!match) return undefined;
  return {
    rules: (match[1] ?? "").split(",").map((r) => r.trim()),
    reason: (match[2] ?? "").trim(),
    range: source.range(comment.start, comment.end),
    statement,
  };
}

function syntaxError(error: unknown, source: SourceText): InputError {
  const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
  const message = error instanceof Error ? error.message : String(error);
  // Unlike statement locations, the error cursor counts characters (PostgreSQL converts it with
  // pg_mbstrlen), 0-based here; JS strings count UTF-16 units, so astral characters count twice.
  const at = details?.cursorPosition !== undefined ? utf16Index(source.text, details.cursorPosition) : 0;
  const range = source.range(at, at);
  range.endColumn = range.column + 1;
  return { message: `SQL syntax error: ${message}`, range };
}

function utf16Index(text: string, codePoints: number): number {
  let index = 0;
  for (let n = 0; n < codePoints && index < text.length; n++)
    index += (text.codePointAt(index) ?? 0) > 0xffff ? 2 : 1;
  return index;
}
