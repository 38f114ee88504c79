/**
 * Query files: `.sql` files that hold the queries a service runs, one after another, as sqlc keeps
 * them (https://docs.sqlc.dev/en/latest/reference/query-annotations.html): a `-- name: GetAuthor
 * :one` comment before each query, and named parameters `sqlc.arg(name)`, `sqlc.narg(name)`,
 * `sqlc.slice(name)` or `@name`, which PostgreSQL's parser does not know. They are rewritten to
 * `$n` for parsing; locations still point into the file as written.
 *
 * Call `initSqlParser()` first.
 */
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { parseSync, scanSync } from "libpg-query";
import { globSync } from "tinyglobby";
import type { InputError } from "../model.js";
import { SourceText } from "../parse/source-text.js";
import { displayPath } from "../paths.js";
import type { QuerySource, SourceQuery } from "./model.js";

/** sqlc's query annotation, as a line comment or a block comment. */
const NAME_RE = /^[ \t]*(?:--|\/\*)[ \t]*name:[ \t]*([A-Za-z_][A-Za-z0-9_]*)(?:[ \t]+:([A-Za-z]+))?/;

interface Block {
  start: number;
  end: number;
  name?: string;
  /** The annotation's own range, for a block that holds no query. */
  nameLine?: number;
}

/** The queries of one file. */
export function readQueryFile(input: string, file: string): QuerySource {
  const text = input.replace(/^\uFEFF/, "");
  const source = new SourceText(text, file);
  const result: QuerySource = { origin: "query-file", path: file, queries: [], errors: [], skipped: [] };
  for (const block of splitBlocks(text)) {
    const body = text.slice(block.start, block.end);
    const rewritten = rewritePlaceholders(body);
    const local = new SourceText(rewritten.sql, file);
    const toFile = (byteOffset: number) => block.start + rewritten.toOriginal(local.charOffset(byteOffset));
    let stmts: { stmt_location?: number; stmt_len?: number }[];
    try {
      stmts = parseSync(rewritten.sql).stmts ?? [];
    } catch (error) {
      const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
      const message = error instanceof Error ? error.message : String(error);
      const cursor = details?.cursorPosition;
      const at =
        cursor !== undefined
          ? block.start + rewritten.toOriginal(utf16Index(rewritten.sql, cursor))
          : firstToken(text, block.start, block.end);
      const range = source.range(at, at);
      range.endColumn = range.column + 1;
      const error_: InputError = { message: `SQL syntax error: ${message}`, range };
      result.errors.push(error_);
      const start = firstToken(text, block.start, block.end);
      result.skipped.push({
        kind: "syntax-error",
        reason: `${block.name ? `query ${block.name}` : "the file"} is not valid SQL: ${message} (line ${range.line})`,
        range: source.range(start, lastToken(text, start, block.end)),
      });
      continue;
    }
    let found = 0;
    for (const stmt of stmts) {
      const startByte = stmt.stmt_location ?? 0;
      const endByte = stmt.stmt_len ? startByte + stmt.stmt_len : Buffer.byteLength(rewritten.sql);
      const start = firstToken(text, toFile(startByte), block.end);
      const end = lastToken(text, start, toFile(endByte));
      if (end <= start) continue;
      const localStart = firstToken(rewritten.sql, local.charOffset(startByte), rewritten.sql.length);
      const localEnd = lastToken(rewritten.sql, localStart, local.charOffset(endByte));
      const query: SourceQuery = {
        origin: "query-file",
        text: text.slice(start, end),
        sql: rewritten.sql.slice(localStart, localEnd),
        range: source.range(start, end),
      };
      if (block.name) query.name = block.name;
      result.queries.push(query);
      found++;
    }
    if (found === 0 && block.name) {
      const line = block.nameLine ?? source.position(block.start).line;
      result.errors.push({
        message: `sqlc query ${block.name} has no SQL after its annotation`,
        range: { file, line, column: 1, endLine: line, endColumn: 2 },
      });
    }
  }
  return result;
}

/**
 * The queries of every `.sql` file under a folder (recursively, in path order), or of the files a
 * glob matches. `where` resolves relative paths (the config's folder).
 */
export function loadQueryFiles(pathOrGlob: string, where: string): QuerySource {
  const absolute = isAbsolute(pathOrGlob) ? pathOrGlob : resolve(where, pathOrGlob);
  const result: QuerySource = {
    origin: "query-file",
    path: displayPath(absolute),
    queries: [],
    errors: [],
    skipped: [],
  };
  let files: string[];
  let isDir = false;
  try {
    isDir = statSync(absolute).isDirectory();
  } catch {
    isDir = false;
  }
  if (isDir) files = globSync("**/*.sql", { cwd: absolute, absolute: true });
  else files = globSync(pathOrGlob, { cwd: where, absolute: true });
  files.sort();
  if (files.length === 0) {
    result.errors.push({
      message: isDir ? "no .sql files in this folder" : "no query files match this path",
      range: { file: displayPath(absolute), line: 1, column: 1, endLine: 1, endColumn: 1 },
    });
    return result;
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (const path of files) {
    const file = displayPath(isAbsolute(path) ? path : join(where, path));
    const bytes = readFileSync(path);
    let text: string;
    try {
      if (bytes.includes(0)) throw new Error("binary");
      text = decoder.decode(bytes);
    } catch {
      result.errors.push({
        message: "this file is not UTF-8 text; its queries were not read",
        range: { file, line: 1, column: 1, endLine: 1, endColumn: 1 },
      });
      continue;
    }
    const one = readQueryFile(text, file);
    result.queries.push(...one.queries);
    result.errors.push(...one.errors);
    result.skipped.push(...one.skipped);
  }
  return result;
}

/** sqlc blocks (annotation to the next annotation), or the whole file when it has none. */
function splitBlocks(text: string): Block[] {
  const starts: { offset: number; name: string; line: number }[] = [];
  let offset = 0;
  let line = 1;
  for (const raw of text.split("\n")) {
    const match = NAME_RE.exec(raw);
    if (match?.[1]) starts.push({ offset, name: match[1], line });
    offset += raw.length + 1;
    line++;
  }
  if (starts.length === 0) return [{ start: 0, end: text.length }];
  const blocks: Block[] = [];
  const first = starts[0];
  // SQL before the first annotation is still a query, only unnamed.
  if (first && /\S/.test(stripComments(text.slice(0, first.offset))))
    blocks.push({ start: 0, end: first.offset });
  starts.forEach((s, k) => {
    const lineEnd = text.indexOf("\n", s.offset);
    blocks.push({
      start: lineEnd === -1 ? text.length : lineEnd + 1,
      end: starts[k + 1]?.offset ?? text.length,
      name: s.name,
      nameLine: s.line,
    });
  });
  return blocks;
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "");
}

/** Skips whitespace, comments and semicolons from `from`. */
function firstToken(text: string, from: number, limit: number): number {
  let i = from;
  while (i < limit) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === ";") i++;
    else if (c === "-" && text[i + 1] === "-") {
      const nl = text.indexOf("\n", i);
      i = nl === -1 ? limit : nl;
    } else if (c === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      i = close === -1 ? limit : close + 2;
    } else break;
  }
  return Math.min(i, limit);
}

/** The end of the statement's text, without trailing whitespace and semicolon. */
function lastToken(text: string, start: number, end: number): number {
  let i = end;
  while (i > start && /[\s;]/.test(text[i - 1] ?? "")) i--;
  return i;
}

function utf16Index(text: string, codePoints: number): number {
  let index = 0;
  for (let n = 0; n < codePoints && index < text.length; n++)
    index += (text.codePointAt(index) ?? 0) > 0xffff ? 2 : 1;
  return index;
}

export interface RewrittenSql {
  sql: string;
  /** Maps a character offset in `sql` back to the text as written. */
  toOriginal: (offset: number) => number;
  /** Parameter names in number order ($1 is names[0]); null for a `$n` written as such. */
  names: (string | null)[];
}

interface Edit {
  start: number;
  end: number;
  replacement: string;
}

/**
 * Rewrites sqlc's named parameters to `$n` (one number per name, after any `$n` the text already
 * uses), and `sqlc.embed(t)` to `t.*`. PostgreSQL's own scanner finds them, so nothing inside a
 * string, a quoted identifier or a comment is touched, and `@>`/`@@` stay operators.
 */
export function rewritePlaceholders(text: string): RewrittenSql {
  let tokens: { start: number; end: number; text: string; tokenName: string }[];
  try {
    tokens = scanSync(text).tokens;
  } catch {
    return { sql: text, toOriginal: (o) => o, names: [] };
  }
  const source = new SourceText(text, "");
  const at = (byte: number) => source.charOffset(byte);
  let highest = 0;
  for (const t of tokens)
    if (t.tokenName === "PARAM") highest = Math.max(highest, Number(t.text.slice(1)) || 0);
  const names: (string | null)[] = Array.from({ length: highest }, () => null);
  const numbers = new Map<string, number>();
  const number = (name: string) => {
    let n = numbers.get(name);
    if (n === undefined) {
      names.push(name);
      n = names.length;
      numbers.set(name, n);
    }
    return n;
  };
  const edits: Edit[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (!t) continue;
    const next = tokens[k + 1];
    if (t.text === "@" && next && next.start === t.end && isWord(next)) {
      edits.push({ start: at(t.start), end: at(next.end), replacement: `$${number(unquote(next.text))}` });
      k++;
      continue;
    }
    // sqlc.arg(name), sqlc.narg('name'), sqlc.slice("name"), sqlc.embed(table)
    if (t.text.toLowerCase() === "sqlc" && tokens[k + 1]?.text === "." && tokens[k + 3]?.text === "(") {
      const func = tokens[k + 2]?.text.toLowerCase();
      const arg = tokens[k + 4];
      const close = tokens[k + 5];
      if (!arg || close?.text !== ")") continue;
      const name = unquote(arg.text);
      if (func === "arg" || func === "narg" || func === "slice") {
        edits.push({ start: at(t.start), end: at(close.end), replacement: `$${number(name)}` });
        k += 5;
      } else if (func === "embed") {
        edits.push({ start: at(t.start), end: at(close.end), replacement: `${arg.text}.*` });
        k += 5;
      }
    }
  }
  if (edits.length === 0) return { sql: text, toOriginal: (o) => o, names };
  let sql = "";
  let from = 0;
  const marks: { newStart: number; newEnd: number; origStart: number; origEnd: number }[] = [];
  for (const edit of edits) {
    sql += text.slice(from, edit.start);
    marks.push({
      newStart: sql.length,
      newEnd: sql.length + edit.replacement.length,
      origStart: edit.start,
      origEnd: edit.end,
    });
    sql += edit.replacement;
    from = edit.end;
  }
  sql += text.slice(from);
  const toOriginal = (offset: number): number => {
    let shift = 0;
    for (const m of marks) {
      if (offset < m.newStart) break;
      if (offset < m.newEnd) return m.origStart;
      shift = m.origEnd - m.newEnd;
    }
    return offset + shift;
  };
  return { sql, toOriginal, names };
}

function isWord(token: { tokenName: string; text: string }): boolean {
  return token.tokenName === "IDENT" || /^[A-Za-z_][A-Za-z0-9_]*$/.test(token.text);
}

function unquote(name: string): string {
  if ((name.startsWith("'") && name.endsWith("'")) || (name.startsWith('"') && name.endsWith('"')))
    return name.slice(1, -1);
  return name;
}
