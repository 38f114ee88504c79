/**
 * Where a SQL text's statements end, found by scanning its tokens lightly, without the parser:
 * for texts too large to give libpg-query at once. Its WASM heap is bounded, and a parse tree that
 * outgrows it ends the module for good (it prints "Terminating process due to FATAL error" on
 * stdout and every later parse fails), so a large file is parsed a part at a time.
 *
 * The scan knows what can hide a semicolon: quoted strings ('…', E'…' with backslash escapes),
 * quoted identifiers, dollar-quoted bodies and comments (`--`, nested `/* … *\/`). It does not
 * know SQL-standard function bodies (BEGIN ATOMIC … END), whose inner semicolons it takes for
 * statement ends; a part cut there reads as a syntax error at the cut.
 */

/** [start, end) of each statement, with the whitespace and comments before it; ends after its `;`. */
export interface Span {
  start: number;
  end: number;
}

export function statementSpans(sql: string): Span[] {
  const spans: Span[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 0x3b /* ; */) {
      spans.push({ start, end: i + 1 });
      start = i + 1;
      i++;
    } else if (c === 0x27 /* ' */) {
      i = quotedEnd(sql, i, 0x27, escapesBackslash(sql, i));
    } else if (c === 0x22 /* " */) {
      i = quotedEnd(sql, i, 0x22, false);
    } else if (c === 0x2d /* - */ && sql.charCodeAt(i + 1) === 0x2d) {
      const nl = sql.indexOf("\n", i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === 0x2f /* / */ && sql.charCodeAt(i + 1) === 0x2a /* * */) {
      i = blockCommentEnd(sql, i);
    } else if (c === 0x24 /* $ */) {
      i = dollarQuotedEnd(sql, i);
    } else i++;
  }
  if (sql.slice(start).trim() !== "") spans.push({ start, end: n });
  return spans;
}

/** Is the quote at `at` an E'…' string, where a backslash escapes the next character? */
function escapesBackslash(sql: string, at: number): boolean {
  const before = sql[at - 1];
  if (before !== "E" && before !== "e") return false;
  // E'…' only when the E is not the end of a longer word (`name'…'` is not an escape string).
  return !/[A-Za-z0-9_$]/.test(sql[at - 2] ?? "");
}

/** The index after the quoted text that opens at `at`; a doubled quote stands for itself. */
function quotedEnd(sql: string, at: number, quote: number, backslash: boolean): number {
  let i = at + 1;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (backslash && c === 0x5c /* \ */) i += 2;
    else if (c === quote) {
      if (sql.charCodeAt(i + 1) === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

/** PostgreSQL block comments nest. */
function blockCommentEnd(sql: string, at: number): number {
  let depth = 1;
  let i = at + 2;
  while (i < sql.length && depth > 0) {
    if (sql.charCodeAt(i) === 0x2f && sql.charCodeAt(i + 1) === 0x2a) {
      depth++;
      i += 2;
    } else if (sql.charCodeAt(i) === 0x2a && sql.charCodeAt(i + 1) === 0x2f) {
      depth--;
      i += 2;
    } else i++;
  }
  return i;
}

const DOLLAR_TAG = /\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/** A `$tag$ … $tag$` body; a `$` that opens none (`$1`, or inside a word) is just a character. */
function dollarQuotedEnd(sql: string, at: number): number {
  if (/[A-Za-z0-9_]/.test(sql[at - 1] ?? "")) return at + 1;
  DOLLAR_TAG.lastIndex = at;
  const open = DOLLAR_TAG.exec(sql);
  if (!open) return at + 1;
  const close = sql.indexOf(open[0], at + open[0].length);
  return close === -1 ? sql.length : close + open[0].length;
}
