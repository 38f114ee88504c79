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
  ignore?: InlineIgnore;
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
    const ignore = ignoreFrom(leading.comments, source, statement.range);
    if (ignore) {
      statement.ignore = ignore;
      ignores.push(ignore);
    }
    statements.push(statement);
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

/** `-- pg-index-lint-ignore rule-a, rule-b: reason` in the comments right above a statement. */
function ignoreFrom(
  comments: Comment[],
  source: SourceText,
  statement: SourceRange,
): InlineIgnore | undefined {
  for (let k = comments.length - 1; k >= 0; k--) {
    const comment = comments[k];
    if (!comment) continue;
    const text = source.text.slice(comment.start, comment.end).trim();
    const match = IGNORE_RE.exec(text);
    if (match) {
      return {
        rules: (match[1] ?? "").split(",").map((r) => r.trim()),
        reason: (match[2] ?? "").trim(),
        range: source.range(comment.start, comment.end),
        statement,
      };
    }
  }
  return undefined;
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
