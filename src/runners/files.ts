/**
 * The small amount of file-system reading that the runner modules share: directory listings that
 * tolerate a missing folder, and masking of text the runner does not execute.
 */
import { closeSync, type Dirent, lstatSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";

/** While `readingOnce` runs: what was read of the file system, by what and where. */
let readOnce: Map<string, unknown> | undefined;

/**
 * Runs `fn`, in which the listings of this module, and what a runner derives from them with
 * `onceWhileReading`, are read once per folder. A check lists a migrations folder for each
 * statement it asks a runner to isolate, which made the cost of a history grow with the square of
 * its length. `fn` must not write where it reads, and must be synchronous: the memory ends with it.
 */
export function readingOnce<T>(fn: () => T): T {
  if (readOnce) return fn();
  readOnce = new Map();
  try {
    return fn();
  } finally {
    readOnce = undefined;
  }
}

/** `compute()`, or inside `readingOnce` what it returned the first time for this key. */
export function onceWhileReading<T>(key: string, compute: () => T): T {
  if (!readOnce) return compute();
  if (readOnce.has(key)) return readOnce.get(key) as T;
  const value = compute();
  readOnce.set(key, value);
  return value;
}

/** Entries of `dir`, or none when it is missing or not a directory. Callers must not change the array. */
export function entries(dir: string): readonly Dirent[] {
  return onceWhileReading(`entries\0${dir}`, () => {
    try {
      return readdirSync(dir, { withFileTypes: true });
    } catch {
      return [];
    }
  });
}

/**
 * Names of the entries directly in `dir` that are not folders. Links, FIFOs and devices are
 * listed too, not skipped in silence: reading one (src/sources/read.ts) refuses it with a reason,
 * at the file, unless it is a link to a regular file inside the repository.
 */
export function fileNames(dir: string): readonly string[] {
  return onceWhileReading(`fileNames\0${dir}`, () =>
    entries(dir)
      .filter((e) => !e.isDirectory())
      .map((e) => e.name),
  );
}

/**
 * Paths (relative to `dir`, with forward slashes) of every entry under `dir` that is not a folder,
 * recursively, as `fileNames` lists them. A link to a folder is listed, not followed: it is no
 * file, so reading it is refused, and following it could leave the repository or loop.
 */
export function filesRecursive(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of entries(dir)) {
    if (entry.isDirectory()) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      out.push(...filesRecursive(join(dir, entry.name), `${prefix}${entry.name}/`));
    } else {
      out.push(`${prefix}${entry.name}`);
    }
  }
  return out;
}

/** Does `path` name anything at all (a file, a folder, a link even to nowhere, a FIFO)? Nothing is opened. */
export function exists(path: string): boolean {
  return onceWhileReading(`exists\0${path}`, () => {
    try {
      lstatSync(path);
      return true;
    } catch {
      return false;
    }
  });
}

export function isFile(path: string): boolean {
  return onceWhileReading(`isFile\0${path}`, () => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * `text` with every character outside `[start, end)` ranges replaced by a space, except line
 * breaks, so that offsets, lines and columns still point into the original file.
 */
export function keepOnly(text: string, ranges: ReadonlyArray<{ start: number; end: number }>): string {
  let out = "";
  let at = 0;
  for (const range of [...ranges].sort((a, b) => a.start - b.start)) {
    out += blank(text.slice(at, range.start));
    out += text.slice(range.start, range.end);
    at = range.end;
  }
  return out + blank(text.slice(at));
}

function blank(text: string): string {
  return text.replace(/[^\r\n]/g, " ");
}

/**
 * Orders migrations by version, then by name: plain `<` comparison, which for strings is the byte
 * order Rust and Go sort by, and for bigints numeric order.
 */
export function byVersionThenName<T extends { version: string | bigint; name: string }>(a: T, b: T): number {
  if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Compares version strings made of numeric parts ("4.18.1", "2_1", "1.1"); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = numericParts(a);
  const pb = numericParts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0n;
    const y = pb[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function numericParts(version: string): bigint[] {
  return (version.match(/\d+/g) ?? []).map((p) => BigInt(p));
}

/** Is `version` (null: the latest) at least `min`? */
export function atLeast(version: string | null, min: string): boolean {
  return version === null || compareVersions(version, min) >= 0;
}

/**
 * Does a migration file in `dir` start (in its first 8 KiB) with the runner's marker comment?
 * dbmate and goose put one in every file, so a sample of 20 files decides: reading every file of
 * a large plain-SQL folder here would cost as much as checking it.
 */
export function sampleHasMarker(dir: string, fileName: RegExp, marker: RegExp): boolean {
  return entries(dir)
    .filter((e) => e.isFile() && fileName.test(e.name))
    .slice(0, 20)
    .some((e) => headMatches(join(dir, e.name), marker));
}

function headMatches(path: string, pattern: RegExp): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const head = Buffer.alloc(8192);
    const read = readSync(fd, head, 0, head.length, 0);
    return pattern.test(head.subarray(0, read).toString("utf8"));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
