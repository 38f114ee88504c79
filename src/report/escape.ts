/**
 * Text from the repository under check (identifiers, file names, SQL, PostgreSQL's messages) is
 * data in every output. These helpers make it inert where it lands: Markdown and HTML (the PR
 * comment, review comments, the job summary), terminal text, and GitHub workflow command lines.
 */

/** A zero-width joiner: invisible, but it breaks `@mention`, `#123` and autolink detection. */
const ZWJ = "\u200D";

/**
 * Control bytes (C0 but tab, line feed and carriage return, DEL, C1) as visible escapes: ESC
 * would colour the terminal or move its cursor, NUL can end the text early. Line breaks are for
 * the caller: each output has its own way with them.
 */
export function visibleControls(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control bytes is the point
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g, (ch) => {
    return `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

/** One line of terminal text: control bytes made visible, line breaks as spaces. */
export function terminalLine(text: string): string {
  return visibleControls(text.replace(/\r\n|\r|\n/g, " "));
}

/**
 * A plain log line that a GitHub runner must not take for a workflow command: the runner reads
 * a line that starts (after spaces) with `::`, and the legacy `##[` anywhere. Line breaks become
 * spaces, so text cannot start a line of its own.
 */
export function inertLogLine(text: string): string {
  return terminalLine(text).replace(/::/g, `:${ZWJ}:`).replace(/##\[/g, `#${ZWJ}#[`);
}

/**
 * Plain text inside Markdown (a table cell, a line of a review comment): HTML-significant
 * characters as entities, Markdown punctuation escaped with a backslash, `|` escaped for tables,
 * line breaks as spaces, and mentions, issue references and autolinks broken with a zero-width
 * joiner. Long text is cut at `max` characters.
 */
export function markdownText(text: string, max = 2000): string {
  const capped = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return (
    visibleControls(capped.replace(/\r\n|\r|\n/g, " "))
      .replaceAll("&", "&amp;")
      .replaceAll("<", "&lt;")
      .replaceAll(">", "&gt;")
      .replace(/[\\`*[\]~|]/g, (ch) => `\\${ch}`)
      // `_` inside a word never starts emphasis (idx_api_keys stays readable); at its edges it may.
      .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, "\\_")
      .replace(/([@#])(?=[\p{L}\p{N}_-])/gu, `$1${ZWJ}`)
      .replace(/:\/\//g, `:${ZWJ}//`)
      .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWJ}.`)
      // At the start of a line: no heading, quote, list, or indented code block.
      .trimStart()
      .replace(/^([#>+=-])/, "\\$1")
      .replace(/^(\d+)([.)])(?=\s|$)/, "$1\\$2")
  );
}

/**
 * A code span, for an identifier or a line of SQL: fenced with more backticks than the longest
 * run inside, so no backtick in the text can close it. In a table cell `|` still splits the row
 * (GFM reads cells before code spans), so it is escaped. Line breaks become spaces.
 */
export function codeSpan(text: string, options: { table?: boolean; max?: number } = {}): string {
  const max = options.max ?? 200;
  let body = visibleControls(text.replace(/\r\n|\r|\n/g, " "));
  if (body.length > max) body = `${body.slice(0, max - 1)}…`;
  if (options.table) body = body.replaceAll("|", "\\|");
  const ticks = "`".repeat(longestRun(body, "`") + 1);
  const pad = body.startsWith("`") || body.endsWith("`") || body === "" ? " " : "";
  return `${ticks}${pad}${body}${pad}${ticks}`;
}

/**
 * A fenced block of quoted text (a PostgreSQL message, SQL): its fence is longer than any run of
 * backticks or tildes inside, so the text cannot end it and turn into Markdown. Cut at `max`.
 */
export function fencedBlock(text: string, info = "", max = 1000): string {
  let body = visibleControls(text.replace(/\r\n|\r/g, "\n"));
  if (body.length > max) body = `${body.slice(0, max - 1)}…`;
  const fence = "`".repeat(Math.max(3, longestRun(body, "`") + 1));
  return `${fence}${info}\n${body}\n${fence}`;
}

/** A value inside an HTML comment: `--` and `>` cannot end it. */
export function commentSafe(text: string): string {
  return encodeURIComponent(text);
}

export function longestRun(text: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === ch ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

/**
 * A path shortened to at most `max` characters from its start, since its end names the migration
 * the way its runner does: the file with as many of its folders as fit (`…/migrations/000123_add.up.sql:4`),
 * else the beginning of its folder, where a Prisma or Diesel migration keeps its timestamp, and the
 * file (`20240101123456_add_a_long_na…/migration.sql:12`), else the file cut in the middle.
 */
export function shortenPath(path: string, max = 60): string {
  if (path.length <= max) return path;
  const parts = path.split("/");
  const file = parts.pop() ?? path;
  let tail = file;
  let i = parts.length - 1;
  while (i >= 0 && `…/${parts[i]}/${tail}`.length <= max) {
    tail = `${parts[i]}/${tail}`;
    i--;
  }
  if (tail !== file) return `…/${tail}`;
  const parent = parts[i];
  const room = max - file.length - 2;
  if (parent !== undefined && room >= 8) return `${parent.slice(0, room)}…/${file}`;
  const half = Math.floor((max - 1) / 2);
  return `${file.slice(0, max - 1 - half)}…${file.slice(file.length - half)}`;
}

/**
 * A migration-failed message in its parts, so that PostgreSQL's own words can be quoted apart
 * from ours: `PostgreSQL rejected this statement: <message> (SQLSTATE <code>). <what follows>.`
 */
export function splitPostgresMessage(
  message: string,
): { postgres: string; code: string; after: string } | undefined {
  const m = /^PostgreSQL rejected this statement: ([\s\S]*) \(SQLSTATE ([0-9A-Z]{5})\)\. ([\s\S]*)$/.exec(
    message,
  );
  return m ? { postgres: m[1] as string, code: m[2] as string, after: m[3] as string } : undefined;
}
