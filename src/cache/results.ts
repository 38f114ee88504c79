/**
 * The result cache of `check --cache [DIR]` (opt-in, as ESLint's): for each migrations entry, what
 * the static pass made of each file (its statements without syntax trees, the findings its load
 * and replay reported, its inline ignores), keyed by the file's content hash and place in the
 * order, and the replayed catalog at a few checkpoints. A later run replays only from the last
 * checkpoint at or before the first file that changed; the files before it come from the cache.
 *
 * The cache is a hint, never an input: a file that cannot be read, that is not ours, that an
 * older or newer version wrote, or that was made under another config or runner model is ignored,
 * with a note, and the run is cold. A cache file that git tracks is refused: it would come from
 * the repository under check, and a pull request could plant one that hides its findings.
 */

import { createHash } from "node:crypto";
import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writevSync,
} from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve } from "node:path";
import { deserialize, serialize } from "node:v8";
import type { InlineIgnore, InputError, Migration, SourceRange, Statement } from "../model.js";
import type { RawFinding } from "../policy/judge.js";
import type { Catalog } from "../schema/catalog.js";

const FORMAT = "pg-index-lint result cache 3";
/** How an entry's file starts: a file that does not is another program's, or an older format's. */
const MAGIC = Buffer.from(`${FORMAT}\n`);

/** The default folder of `--cache` without a folder, relative to the working directory. */
export const DEFAULT_CACHE_DIR = ".pg-index-lint-cache";

/** What one file's load and replay contributed, replayed as is when the file is unchanged. */
export interface CachedFile {
  hash: string;
  /**
   * The file as lstat saw it when it was read. A later run that sees the same regular file (path,
   * size, inode, modification time, and not modified around when that run started) takes the
   * hash as it is, without reading the file; any other file is read and hashed.
   */
  stat?: FileStat | undefined;
  /** A migration replayed in this run, or one from the cache (its statements decoded on demand). */
  migration: Migration | CachedMigration;
  raw: RawFinding[];
  ignores: InlineIgnore[];
}

/**
 * An unchanged migration from the cache. The replay does not need its statements (their findings
 * and the catalog they made are cached), and a report rarely does: `--changed` reads those of the
 * changed files. So they stay the bytes the cache holds, decoded on first use, and are written back
 * as they are. At 3,000 files this is most of the cache: decoding them all cost more than the
 * replay of the changed files did.
 */
export class CachedMigration implements Migration {
  private decoded: Pick<Migration, "statements" | "errors"> | undefined;

  constructor(
    readonly file: string,
    readonly id: string,
    readonly runner: string,
    /** How many statements it has, without decoding them. */
    readonly count: number,
    /** Its statements and errors, serialized. */
    readonly bytes: Buffer,
  ) {}

  private decode(): Pick<Migration, "statements" | "errors"> {
    this.decoded ??= deserialize(this.bytes) as Pick<Migration, "statements" | "errors">;
    return this.decoded;
  }

  get statements(): Statement[] {
    return this.decode().statements;
  }

  get errors(): InputError[] {
    return this.decode().errors;
  }

  toJSON(): Migration {
    return {
      file: this.file,
      id: this.id,
      runner: this.runner,
      statements: this.statements,
      errors: this.errors,
    };
  }
}

/** How many statements a migration has; one from the cache says so without decoding them. */
export function statementCount(migration: Migration): number {
  return migration instanceof CachedMigration ? migration.count : migration.statements.length;
}

/** One file as the entry stores it: the migration's statements are a slice of the entry's tail. */
interface StoredFile {
  hash: string;
  stat?: FileStat | undefined;
  file: string;
  id: string;
  runner: string;
  count: number;
  /** Where its serialized statements and errors are in the entry's tail: offset, length. */
  at: [number, number];
  raw: RawFinding[];
  ignores: InlineIgnore[];
}

/** The replay's state after the first `after` files of the entry. */
export interface Checkpoint {
  after: number;
  catalog: Pick<Catalog, "tables" | "indexOwners" | "searchPath">;
  unknownTables: string[];
  /** The first statement so far that builds DDL at run time (the unknown-table note names it). */
  dynamicDdlAt?: SourceRange | undefined;
}

/**
 * A checkpoint as the cache holds it: serialized when it was made (the replay goes on changing
 * the catalog), and read back only when a run resumes from it. Each is a file of its own: a
 * catalog of 1,500 tables is about 5 MB, and a run reads one at most.
 */
export interface SavedCheckpoint {
  after: number;
  bytes?: Buffer;
}

/** What lstat said of a migration file the replay read. */
export interface FileStat {
  path: string;
  size: number;
  ino: number;
  mtimeMs: number;
}

/** A file modified this close to a run's start may have changed again unseen by its stat. */
export const RACY_MS = 2000;

/** The stat of the regular file at `path`, or undefined for anything else. */
export function fileStat(path: string): FileStat | undefined {
  try {
    const s = lstatSync(path);
    return s.isFile() ? { path, size: s.size, ino: s.ino, mtimeMs: s.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Is `now` the file `then` recorded, unchanged since a run that started at `startedAt` read it?
 * A modification time that close to that start is not trusted: the file may have changed again
 * within the same tick of the file system's clock.
 */
export function sameFile(now: FileStat | undefined, then: FileStat | undefined, startedAt: number): boolean {
  return (
    now !== undefined &&
    then !== undefined &&
    now.path === then.path &&
    now.size === then.size &&
    now.ino === then.ino &&
    now.mtimeMs === then.mtimeMs &&
    then.mtimeMs < startedAt - RACY_MS
  );
}

/**
 * An entry's file: MAGIC, the header's length (4 bytes), this header (v8-serialized), then the
 * migrations' statements, each serialized on its own, one after the other.
 */
interface SetHeader {
  format: typeof FORMAT;
  key: string;
  /** When the run that wrote the entry started (ms since the epoch): see `sameFile`. */
  startedAt: number;
  files: StoredFile[];
  checkpoints: number[];
}

/** An entry as a run reads it. */
export interface SetEntry {
  key: string;
  startedAt: number;
  files: CachedFile[];
  checkpoints: number[];
}

interface CheckpointFile {
  format: typeof FORMAT;
  key: string;
  checkpoint: Checkpoint;
}

/** The hash that names a file's content in its place: its path, its id and its text. */
export function fileHash(file: string, id: string, text: string): string {
  return createHash("sha256").update(file).update("\0").update(id).update("\0").update(text).digest("hex");
}

/** Everything besides the files that decides what the replay makes of them. */
export function setKey(parts: Record<string, unknown>): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

/**
 * Where the checkpoints go for an entry of `count` files: every 500 files, and near the end,
 * where a new migration or an edit of the newest one starts the replay.
 */
export function checkpointPositions(count: number): Set<number> {
  const at = new Set<number>([count]);
  for (let n = 1000; n < count; n += 1000) at.add(n);
  for (const back of [8, 64]) if (back < count) at.add(count - back);
  return at;
}

/** Serializes the replay's state now, before it changes. */
export function saveCheckpoint(after: number, key: string, state: Checkpoint): SavedCheckpoint {
  const file: CheckpointFile = { format: FORMAT, key, checkpoint: { ...state, after } };
  return { after, bytes: serialize(file) };
}

export class ResultCache {
  readonly dir: string;
  private refused: string | undefined;

  constructor(
    dir: string,
    private readonly note: (line: string) => void,
  ) {
    this.dir = resolve(dir);
  }

  /** The cache file of one migrations entry (named by where it is, not by its key). */
  private pathOf(slot: string, checkpoint?: number): string {
    const name = createHash("sha256").update(slot).digest("hex").slice(0, 32);
    return join(this.dir, checkpoint === undefined ? `${name}.v8` : `${name}-${checkpoint}.v8`);
  }

  /** The checkpoint after `after` files, or undefined (with a note) when it cannot be used. */
  checkpoint(slot: string, key: string, after: number): Checkpoint | undefined {
    const path = this.pathOf(slot, after);
    const where = relative(process.cwd(), path) || path;
    let file: unknown;
    try {
      file = deserialize(readFileSync(path));
    } catch {
      this.note(
        `cache ${where} ignored: it is missing or cannot be read (corrupt); replaying from an earlier point`,
      );
      return undefined;
    }
    const c = (file as Partial<CheckpointFile>)?.checkpoint;
    const ok =
      (file as Partial<CheckpointFile>).format === FORMAT &&
      (file as Partial<CheckpointFile>).key === key &&
      typeof c === "object" &&
      c !== null &&
      c.after === after &&
      c.catalog?.tables instanceof Map &&
      c.catalog.indexOwners instanceof Map &&
      Array.isArray(c.catalog.searchPath) &&
      Array.isArray(c.unknownTables);
    if (!ok) {
      this.note(`cache ${where} ignored: it does not belong to this cache; replaying from an earlier point`);
      return undefined;
    }
    return c;
  }

  /** The entry's cached results, or undefined (with a note when a cache was there but unusable). */
  read(slot: string, key: string, repositoryRoot: string): SetEntry | undefined {
    const path = this.pathOf(slot);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return undefined;
    }
    const where = relative(process.cwd(), path) || path;
    if (this.trackedByGit(repositoryRoot)) {
      this.note(
        `cache ${where} ignored: git tracks it, and a cache from the repository under check is not trusted`,
      );
      return undefined;
    }
    if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
      // Older formats were one v8 value: such a file is not corrupt, only not of this version.
      let value: unknown;
      try {
        value = deserialize(bytes);
      } catch {}
      this.note(
        typeof value === "object" && value !== null
          ? `cache ${where} ignored: it is not a pg-index-lint result cache of this version`
          : `cache ${where} ignored: it cannot be read (corrupt); checking without it`,
      );
      return undefined;
    }
    let header: unknown;
    let tail: Buffer;
    try {
      const at = MAGIC.length + 4;
      const length = bytes.readUInt32LE(MAGIC.length);
      if (at + length > bytes.length) throw new RangeError("truncated");
      header = deserialize(bytes.subarray(at, at + length));
      tail = bytes.subarray(at + length);
    } catch {
      this.note(`cache ${where} ignored: it cannot be read (corrupt); checking without it`);
      return undefined;
    }
    if (!isSetHeader(header, tail.length)) {
      this.note(`cache ${where} ignored: it is not a pg-index-lint result cache of this version`);
      return undefined;
    }
    if (header.key !== key) {
      this.note(
        `cache ${where} ignored: it was made by another version or under another config or runner model`,
      );
      return undefined;
    }
    return {
      key: header.key,
      startedAt: header.startedAt,
      checkpoints: header.checkpoints,
      files: header.files.map((f) => ({
        hash: f.hash,
        stat: f.stat,
        migration: new CachedMigration(
          f.file,
          f.id,
          f.runner,
          f.count,
          tail.subarray(f.at[0], f.at[0] + f.at[1]),
        ),
        raw: f.raw,
        ignores: f.ignores,
      })),
    };
  }

  /** Writes the entry's results; checkpoints without bytes were kept from the cache as they are. */
  write(
    slot: string,
    key: string,
    startedAt: number,
    files: CachedFile[],
    checkpoints: SavedCheckpoint[],
  ): void {
    // Unchanged migrations are written back as the bytes they were read as.
    const parts: Buffer[] = [];
    let offset = 0;
    const stored = files.map((f): StoredFile => {
      const m = f.migration;
      const bytes =
        m instanceof CachedMigration ? m.bytes : serialize({ statements: m.statements, errors: m.errors });
      // Unchanged files are slices of the old entry, one after the other: one copy for a run of them.
      const last = parts.at(-1);
      if (last && last.buffer === bytes.buffer && last.byteOffset + last.length === bytes.byteOffset)
        parts[parts.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + bytes.length);
      else parts.push(bytes);
      offset += bytes.length;
      return {
        hash: f.hash,
        stat: f.stat,
        file: m.file,
        id: m.id,
        runner: m.runner,
        count: statementCount(m),
        at: [offset - bytes.length, bytes.length],
        raw: f.raw,
        ignores: f.ignores,
      };
    });
    const header: SetHeader = {
      format: FORMAT,
      key,
      startedAt,
      files: stored,
      checkpoints: checkpoints.map((c) => c.after),
    };
    const put = (path: string, bytes: Buffer | Buffer[]) => {
      const temporary = `${path}.${process.pid}.tmp`;
      if (Array.isArray(bytes)) writeAll(temporary, bytes);
      else writeFileSync(temporary, bytes);
      renameSync(temporary, path);
    };
    try {
      mkdirSync(this.dir, { recursive: true });
      for (const c of checkpoints) if (c.bytes) put(this.pathOf(slot, c.after), c.bytes);
      const head = serialize(header);
      const length = Buffer.alloc(4);
      length.writeUInt32LE(head.length);
      put(this.pathOf(slot), [MAGIC, length, head, ...parts]);
    } catch (error) {
      const code = (error as { code?: string }).code;
      this.note(`cache not written to ${this.dir}${code ? ` (${code})` : ""}`);
    }
  }

  /** Is any file of the cache folder tracked by git in the repository under check? Asked once. */
  private trackedByGit(root: string): boolean {
    if (this.refused === undefined) this.refused = tracksAny(root, this.dir) ? "tracked" : "";
    return this.refused !== "";
  }
}

/** Writes `parts` one after the other to a new file at `path`, without joining them first. */
export function writeAll(path: string, parts: Buffer[]): void {
  const fd = openSync(path, "w");
  try {
    let rest = parts.filter((p) => p.length > 0);
    while (rest.length > 0) {
      let written = writevSync(fd, rest);
      // A short write (or more parts than one call takes): go on after what was written.
      while (rest.length > 0 && written >= (rest[0] as Buffer).length) {
        written -= (rest[0] as Buffer).length;
        rest = rest.slice(1);
      }
      if (written > 0 && rest.length > 0) rest[0] = (rest[0] as Buffer).subarray(written);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Does git, in the work tree at `root`, track a file in `dir`? A cache from the repository under
 * check could hide its findings, so a tracked one is never used. A folder outside `root`, or no
 * git that can read it, tracks nothing.
 */
export function tracksAny(root: string, dir: string): boolean {
  const inside = relative(root, dir);
  if (inside.startsWith("..") || resolve(root, inside) !== dir) return false;
  try {
    // Loaded here: the run snapshot's replay imports this module, and most replays run no git.
    const { execFileSync } = createRequire(import.meta.url)(
      "node:child_process",
    ) as typeof import("node:child_process");
    const listed = execFileSync("git", ["ls-files", "--", inside || "."], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return listed.trim() !== "";
  } catch {
    return false;
  }
}

function isSetHeader(value: unknown, tail: number): value is SetHeader {
  if (typeof value !== "object" || value === null) return false;
  const entry = value as Partial<SetHeader>;
  return (
    entry.format === FORMAT &&
    typeof entry.key === "string" &&
    typeof entry.startedAt === "number" &&
    Array.isArray(entry.files) &&
    Array.isArray(entry.checkpoints) &&
    entry.files.every(
      (f) =>
        typeof f === "object" &&
        f !== null &&
        typeof f.hash === "string" &&
        typeof f.file === "string" &&
        typeof f.id === "string" &&
        typeof f.runner === "string" &&
        Number.isSafeInteger(f.count) &&
        Array.isArray(f.at) &&
        Number.isSafeInteger(f.at[0]) &&
        Number.isSafeInteger(f.at[1]) &&
        f.at[0] >= 0 &&
        f.at[1] >= 0 &&
        f.at[0] + f.at[1] <= tail &&
        Array.isArray(f.raw) &&
        Array.isArray(f.ignores),
    ) &&
    entry.checkpoints.every((c) => Number.isSafeInteger(c) && c > 0)
  );
}
