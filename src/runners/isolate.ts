/**
 * The pieces every runner's `isolate` shares: asking the runner (or answering for one that has no
 * `isolate`), removing a statement from its file, creating a migration file next to it, and
 * choosing versions that sort right after the file's own.
 *
 * A runner answers "how does this statement run outside a transaction here": a migration of its
 * own in the runner's naming convention (the statement leaves the file it was in), or the
 * runner's opt-out for the file. The fix-application test (test/fix/apply-all.test.ts) applies
 * every answer, checks the result again and runs it on PGlite.
 */
import { readFileSync } from "node:fs";
import { posix } from "node:path";
import type { FileEdit } from "../finding.js";
import type { SourceRange } from "../model.js";
import { statementShape } from "../parse/classify.js";
import { parseSql } from "../parse/sql.js";
import type { IsolateRequest, Isolation, Runner } from "./runner.js";

/** What a request carries before the file is read: the text is read only when a rule asks. */
export type PendingIsolateRequest = Omit<IsolateRequest, "text">;

/**
 * The runner's answer to `request`. Answered here without the runner: a statement that can stay
 * where it is (it runs outside a transaction and the runner sends it on its own), a runner
 * without `isolate`, and SQL that is not the file's text (the static DDL of a DO block).
 */
export function isolateWith(runner: Runner, pending: PendingIsolateRequest): Isolation {
  const { statement, model } = pending;
  if (statement.generated && !runner.load) return defaultIsolation(pending);
  if (!statement.tx.inTransaction && !statement.generated) {
    // One statement for one keeps the file's statement count, so it runs as the original did,
    // unless the new statement is one the runner's splitter cannot parse (Prisma's DROP INDEX
    // CONCURRENTLY): then a file of several statements goes as one string, in one transaction.
    const whole =
      pending.migration.statements.length > 1 &&
      pending.sql.some((sql) => fallsBackToOneString(sql, pending.model.splitFallbackOn));
    if (pending.sql.length === 1 && !whole) return { help: "", fix: { replacement: pending.sql[0] ?? "" } };
    const separate =
      !model.fileSentAsOneString &&
      !model.detectsNonTransactional &&
      !pending.sql.some((sql) => fallsBackToOneString(sql, pending.model.splitFallbackOn));
    if (separate) return { help: "", fix: { replacement: pending.sql.join(";\n") } };
  }
  if (!runner.isolate) return defaultIsolation(pending);
  let text: string;
  try {
    text = readFileSync(pending.ref.absPath, "utf8");
  } catch {
    return defaultIsolation(pending);
  }
  return runner.isolate({ ...pending, text });
}

function fallsBackToOneString(sql: string, shapes: IsolateRequest["model"]["splitFallbackOn"]): boolean {
  if (!shapes?.length) return false;
  const parsed = parseSql(sql, "(fix)").statements[0];
  const shape = parsed ? statementShape(parsed.node) : null;
  return shape !== null && shapes.includes(shape);
}

/** The help of a runner that has no `isolate`: its model's opt-out, in words, and no fix. */
export function defaultIsolation(request: PendingIsolateRequest): Isolation {
  const { tx } = request.statement;
  return {
    help:
      tx.optOut ??
      (tx.reason === "explicit"
        ? "move it out of the BEGIN … COMMIT block"
        : "run it outside the migration runner"),
  };
}

/** Offset of a 1-based (line, column) in `text`. */
export function offsetAt(text: string, line: number, column: number): number {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) return text.length;
    start = nl + 1;
  }
  return Math.min(start + column - 1, text.length);
}

/** 1-based (line, column) of an offset in `text`. */
function positionAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - (before.lastIndexOf("\n") + 1) + 1 };
}

/**
 * The range that removes the statement from its file: the statement, its semicolon, and the rest
 * of its last line when that holds only whitespace.
 */
export function removalRange(request: IsolateRequest): SourceRange {
  const { text, statement } = request;
  const start = offsetAt(text, statement.range.line, statement.range.column);
  let end = offsetAt(text, statement.range.endLine, statement.range.endColumn);
  const semicolon = /^\s*;/.exec(text.slice(end));
  if (semicolon) end += semicolon[0].length;
  const rest = /^[ \t]*\r?\n/.exec(text.slice(end));
  if (rest) end += rest[0].length;
  const a = positionAt(text, start);
  const b = positionAt(text, end);
  return { file: statement.range.file, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
}

/** An edit that writes a new file. */
export function createFile(file: string, text: string): FileEdit {
  return { file, line: 1, column: 1, endLine: 1, endColumn: 1, text, create: true };
}

/** A path next to `file` (display paths use forward slashes). */
export function besides(file: string, ...parts: string[]): string {
  return posix.join(posix.dirname(file), ...parts);
}

/** Statements as a migration file holds them, one a line. */
export function statementsText(sql: readonly string[]): string {
  return sql.map((s) => `${s};\n`).join("");
}

/** The fix that takes the statement out of its file and writes `files` in its place. */
export function moveToNewFiles(
  request: IsolateRequest,
  files: { path: string; text: string }[],
  help: string,
): Isolation {
  return {
    help,
    fix: {
      replacement: "",
      range: removalRange(request),
      edits: files.map((f) => createFile(f.path, f.text)),
    },
  };
}

/**
 * `moveToNewFiles` with the help that names the new migrations and says why they run outside a
 * transaction. `names`: what to call them, when that is not each file (a folder of several files).
 */
export function moveToNewMigrations(
  request: IsolateRequest,
  files: { path: string; text: string }[],
  why: string,
  names: readonly string[] = files.map((f) => f.path),
): Isolation {
  return moveToNewFiles(request, files, moveHelp(names, why));
}

/**
 * `count` integer versions right after `current`, with its zero padding, that no other migration
 * has and that stay below the next one; null when there is no room (1, 2, 3 …).
 */
export function versionsAfter(current: string, taken: readonly string[], count: number): string[] | null {
  const cur = BigInt(current);
  const others = asNumbers(taken);
  let next: bigint | undefined;
  for (const v of others) if (v > cur && (next === undefined || v < next)) next = v;
  const out: string[] = [];
  for (let i = 1; i <= count; i++) {
    const v = cur + BigInt(i);
    if (next !== undefined && v >= next) return null;
    out.push(v.toString().padStart(current.length, "0"));
  }
  return out;
}

const numbers = new WeakMap<readonly string[], readonly bigint[]>();

/** `taken` as numbers, converted once per listing (a runner asks with the same one for each statement). */
function asNumbers(taken: readonly string[]): readonly bigint[] {
  let out = numbers.get(taken);
  if (!out) {
    out = taken.map((v) => BigInt(v));
    numbers.set(taken, out);
  }
  return out;
}

/**
 * Does every name in `added` sort right after `current` in `order`, before any other file?
 * `order` filters names and sorts the rest by a comparison that never finds two different names
 * equal. Asked once per statement to isolate, with the same listing (src/runners/files.ts), so
 * the listing is sorted once, and then only `current`, `added` and the name after `current` are.
 */
export function sortsRightAfter(
  order: (names: readonly string[]) => string[],
  names: readonly string[],
  current: string,
  added: readonly string[],
): boolean {
  if (added.some((name) => names.includes(name))) return false;
  const sorted = sortedOnce(order, names);
  const at = sorted.indexOf(current);
  if (at < 0) return false;
  // Only the names between `current` and the next one can come right after it.
  const next = sorted[at + 1];
  const expected = [current, ...added, ...(next === undefined ? [] : [next])];
  const small = order(expected);
  return small.length === expected.length && small.every((name, i) => name === expected[i]);
}

const sortedListings = new WeakMap<readonly string[], Map<unknown, readonly string[]>>();

function sortedOnce(order: (names: readonly string[]) => string[], names: readonly string[]) {
  let byOrder = sortedListings.get(names);
  if (!byOrder) {
    byOrder = new Map();
    sortedListings.set(names, byOrder);
  }
  let sorted = byOrder.get(order);
  if (!sorted) {
    sorted = order(names);
    byOrder.set(order, sorted);
  }
  return sorted;
}

/** The help for a move: which files it writes, and why they run outside a transaction. */
export function moveHelp(paths: readonly string[], why: string): string {
  const names = paths.map((p) => posix.basename(p.endsWith("/migration.sql") ? posix.dirname(p) : p));
  return `move it to a migration of its own, ${names.join(" then ")} (${why})`;
}

/**
 * The fix for a statement that is alone where it runs (its file or section) and becomes runnable
 * there by an opt-out (`extra`): the first statement stays in its place, and the statements that
 * must follow it go to `files`, which run after this one.
 */
export function keepFirstInPlace(
  request: IsolateRequest,
  files: { path: string; text: string }[],
  extra: FileEdit[],
  help: string,
): Isolation {
  return {
    help,
    fix: {
      replacement: request.sql[0] ?? "",
      range: request.statement.range,
      edits: [...extra, ...files.map((f) => createFile(f.path, f.text))],
    },
  };
}

/**
 * For runners where one statement alone in a file runs outside any transaction: a statement alone
 * in its file stays and what follows it goes to `files`; otherwise all of it does.
 */
export function oneStatementFiles(
  request: IsolateRequest,
  files: { path: string; text: string }[],
  why: string,
): Isolation {
  const help = moveHelp(
    files.map((f) => f.path),
    why,
  );
  return request.migration.statements.length === 1
    ? keepFirstInPlace(
        request,
        files,
        [],
        `keep it alone in this file and ${help.replace(/^move it/, "move what follows it")}`,
      )
    : moveToNewFiles(request, files, help);
}
