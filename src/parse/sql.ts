/**
 * SQL → located statements, with the real PostgreSQL parser (libpg-query, WASM).
 */
import type { Node, ParseResult } from "@pgsql/types";
import { loadModule, parseSync } from "libpg-query";
import type { InlineIgnore, InputError, SourceRange } from "../model.js";
import { SourceText } from "./source-text.js";
import { type Span, statementSpans } from "./split.js";

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
  /** Statements that were skipped, not parsed (one too large to parse): notes, not errors. */
  warnings: InputError[];
  /** Inline ignores found anywhere, used or not, so that unused ones can be reported. */
  ignores: InlineIgnore[];
  source: SourceText;
}

const IGNORE_RE = /^--\s*pg-index-lint-ignore\s+([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s*(?::\s*(.*))?$/;

/**
 * Above this many characters a text is parsed in parts of about this size, one statement or more
 * each (src/parse/split.ts says why). A 1 MB part of the densest INSERT builds a tree of a few
 * hundred thousand nodes, far below what ends the parser (a 25 MB one did).
 */
export const PARSE_PART_CHARS = 1 << 20;
/**
 * In a file above PARSE_PART_CHARS, a statement longer than this is not parsed at all, and neither
 * is any INSERT: located notes say so.
 */
export const LARGEST_STATEMENT_CHARS = 4 << 20;

/**
 * Parses one file's SQL. `sql` must keep the file's layout (masked sections are spaces), so that
 * the ranges point into the original file. An empty file has no statements, and no error.
 */
export function parseSql(sql: string, file: string): ParsedSql {
  const source = new SourceText(sql, file);
  const out: ParsedSql = { statements: [], errors: [], ignores: [], warnings: [], source };
  if (sql.length <= PARSE_PART_CHARS) {
    parsePart(source, 0, sql.length, out);
    return out;
  }
  let part: Span | null = null;
  const flush = () => {
    if (part) parsePart(source, part.start, part.end, out);
    part = null;
  };
  // The parser reads about 150 KB of small statements a second: the rows of a large seed file
  // would take minutes, and an INSERT never changes the schema, so they are left out, with a note.
  let inserts: { count: number; at: number } | null = null;
  for (const span of statementSpans(sql)) {
    const at = firstToken(sql, span.start);
    if (/^insert\b/i.test(sql.slice(at, at + 7))) {
      flush();
      inserts = inserts ? { count: inserts.count + 1, at: inserts.at } : { count: 1, at };
      continue;
    }
    if (span.end - span.start > LARGEST_STATEMENT_CHARS) {
      flush();
      out.warnings.push({
        message: `This statement is ${megabytes(span.end - span.start)} long, more than the ${megabytes(LARGEST_STATEMENT_CHARS)} pg-index-lint parses in one statement, so it was skipped and not checked.`,
        range: source.range(at, at),
      });
      continue;
    }
    if (part && span.end - part.start > PARSE_PART_CHARS) flush();
    part = part ? { start: part.start, end: span.end } : { ...span };
  }
  flush();
  if (inserts) {
    out.warnings.push({
      message: `This file is ${megabytes(sql.length)} long; its ${inserts.count} INSERT statement${inserts.count === 1 ? "" : "s"} (data, from here on) ${inserts.count === 1 ? "was" : "were"} not parsed, to keep the parser within its memory and the run within minutes. They change no schema; the other statements were checked.`,
      range: source.range(inserts.at, inserts.at),
    });
  }
  return out;
}

/**
 * The deepest syntax tree the later stages take. They walk trees recursively, and a chain of
 * 2,000 `+` terms (4,000 levels) overflows the stack; PostgreSQL's own parser takes it.
 */
export const DEEPEST_TREE = 1000;

/**
 * Is `tree` more than `limit` objects deep? Walked with a stack of its own, never recursively,
 * and without building arrays of each object's values: it runs on every statement.
 */
function nestsDeeperThan(tree: unknown, limit: number): boolean {
  if (limit < 1) return true;
  if (typeof tree !== "object" || tree === null) return false;
  const objects: object[] = [tree];
  const depths: number[] = [1];
  while (objects.length > 0) {
    const value = objects.pop() as Record<string, unknown>;
    const depth = (depths.pop() as number) + 1;
    if (Array.isArray(value)) {
      for (const child of value) {
        if (typeof child !== "object" || child === null) continue;
        if (depth > limit) return true;
        objects.push(child);
        depths.push(depth);
      }
    } else {
      for (const key in value) {
        const child = value[key];
        if (typeof child !== "object" || child === null) continue;
        if (depth > limit) return true;
        objects.push(child);
        depths.push(depth);
      }
    }
  }
  return false;
}

function megabytes(chars: number): string {
  return `${(chars / (1 << 20)).toFixed(1)} MB`;
}

/**
 * Parses `source.text` from `from` to `to` and adds what it holds to `out`: statements, ignore
 * directives, or the syntax error that stops it. Offsets and ranges are the whole text's.
 */
function parsePart(source: SourceText, from: number, to: number, out: ParsedSql): void {
  const sql = source.text;
  const text = from === 0 && to === sql.length ? sql : sql.slice(from, to);
  // libpg-query refuses an empty string ("Query cannot be empty"); an empty file is no error.
  if (text === "") return;
  // Its locations count UTF-8 bytes of the text it was given.
  const part = text === sql ? source : new SourceText(text, source.file);
  const at = (byteLocation: number) => from + part.charOffset(byteLocation);
  let result: ParseResult;
  try {
    result = parseSync(text);
  } catch (error) {
    out.errors.push(parseError(error, source, from));
    return;
  }
  const statements: ParsedStatement[] = [];
  let previousEnd = from;
  let previous: ParsedStatement | null = null;
  for (const raw of result.stmts ?? []) {
    if (!raw.stmt) continue;
    const rawStart = at(raw.stmt_location ?? 0);
    const rawEnd = raw.stmt_len ? at((raw.stmt_location ?? 0) + raw.stmt_len) : to;
    const leading = scanLeading(sql, Math.min(rawStart, previousEnd), rawEnd);
    let end = rawEnd;
    while (end > leading.start && /\s/.test(sql[end - 1] ?? "")) end--;
    previousEnd = rawEnd;
    if (nestsDeeperThan(raw.stmt, DEEPEST_TREE)) {
      const range = source.range(leading.start, leading.start);
      range.endColumn = range.column + 1;
      out.errors.push({
        message: `SQL too deeply nested to read: this statement's syntax tree is more than ${DEEPEST_TREE} levels deep (a long chain such as a + b + c + … nests one level per term), so it was not checked.`,
        range,
      });
      continue;
    }
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
      if (ignore) out.ignores.push(ignore);
    }
    statements.push(statement);
    previous = statement;
  }
  // Directives after the last statement have no statement to apply to; they still count as unused.
  if (previous) {
    for (const comment of scanLeading(sql, previousEnd, to).comments) {
      const trailing = source.position(comment.start).line === previous.range.endLine;
      const ignore = directive(comment, source, trailing ? previous.range : source.range(to, to));
      if (ignore) out.ignores.push(ignore);
    }
  }
  for (const statement of statements) out.statements.push(statement);
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

/**
 * The located error a failed parse reports. libpg-query throws an Error for a syntax error, a
 * RangeError when the tree it returns is nested too deeply for JSON.parse, and something that is
 * no Error at all when the module itself stops: each gets a sentence, never "[object Object]".
 */
function parseError(error: unknown, source: SourceText, from: number): InputError {
  const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
  // Unlike statement locations, the error cursor counts characters (PostgreSQL converts it with
  // pg_mbstrlen), 0-based here; JS strings count UTF-16 units, so astral characters count twice.
  const at =
    details?.cursorPosition !== undefined
      ? from + utf16Index(source.text.slice(from), details.cursorPosition)
      : firstToken(source.text, from);
  const range = source.range(at, at);
  range.endColumn = range.column + 1;
  if (error instanceof RangeError)
    return {
      message: `SQL too deeply nested to read: a statement here nests further than pg-index-lint can follow (${error.message}), so it was not checked.`,
      range,
    };
  if (error instanceof Error) return { message: `SQL syntax error: ${error.message}`, range };
  const said = (error as { message?: unknown } | null)?.message;
  return {
    message: `The SQL parser failed on this file${typeof said === "string" ? ` (${said})` : ""}, so it was not checked.`,
    range,
  };
}

/** Where the first statement after `from` starts, past whitespace and comments. */
function firstToken(sql: string, from: number): number {
  return Math.min(scanLeading(sql, from, sql.length).start, sql.length);
}

function utf16Index(text: string, codePoints: number): number {
  let index = 0;
  for (let n = 0; n < codePoints && index < text.length; n++)
    index += (text.codePointAt(index) ?? 0) > 0xffff ? 2 : 1;
  return index;
}
