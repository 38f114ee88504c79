/**
 * drizzle-kit migrations run by drizzle-orm's migrator: the order comes from
 * `meta/_journal.json`, each entry naming `<tag>.sql`, split at `--> statement-breakpoint`.
 */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { sqlMigrationWords } from "../schema/change.js";
import { readText, repositoryRoot } from "../sources/read.js";
import { exists } from "./files.js";
import { DEFAULT_VERSION, npmPinnedVersion } from "./pinned-version.js";
import type { MigrationFileRef, SqlRunner, TransactionModel } from "./runner.js";

const JOURNAL = join("meta", "_journal.json");

const MODEL: TransactionModel = {
  // pg-core/dialect.ts migrate(): `await session.transaction(async (tx) => { for … tx.execute(…) })`
  // around every pending migration, so all of them share one transaction.
  fileInTransaction: false,
  allFilesInOneTransaction: true,
  // migrator.ts readMigrationFiles(): the file is split at `--> statement-breakpoint`; each part
  // is one tx.execute(sql.raw(part)).
  fileSentAsOneString: false,
  detectsNonTransactional: false,
  refusesMixedFile: false,
  optOut: null,
  citations: [
    "drizzle-team/drizzle-orm drizzle-orm/src/pg-core/dialect.ts PgDialect.migrate(): all pending migrations run inside one session.transaction(); there is no per-file opt-out",
    "drizzle-team/drizzle-orm drizzle-orm/src/migrator.ts readMigrationFiles(): reads meta/_journal.json, loads <tag>.sql for each entry in array order, splits on '--> statement-breakpoint'; a missing file throws 'No file … found'",
    "drizzle-kit migrate uses the same migrator; CREATE INDEX CONCURRENTLY therefore always fails under drizzle's migrator (run it outside, e.g. with psql)",
  ],
};

interface JournalEntry {
  idx?: number;
  tag: string;
}

export const drizzleRunner: SqlRunner = {
  kind: "migrations",
  id: "drizzle",
  name: "drizzle-orm's migrator",
  describe: "Drizzle (meta/_journal.json)",
  words: sqlMigrationWords({ regenerate: "drizzle-kit generate" }),
  exampleFile: "0000_example.sql",
  versioned: true,
  // drizzle-orm's migrator: migrationsSchema "drizzle", migrationsTable "__drizzle_migrations".
  historyTables: ["drizzle.__drizzle_migrations"],
  detect: (dir) => existsSync(join(dir, JOURNAL)),
  list(dir): MigrationFileRef[] {
    const journalPath = resolve(dir, JOURNAL);
    const { entries, lineOf } = readJournal(journalPath, dir);
    // readMigrationFiles() walks `entries` in array order (drizzle-kit writes them in idx order).
    return entries.map((entry, i) => {
      const at = `${journalPath}:${lineOf(i)}`;
      // The tag is the repository's text: quoted as JSON, so that no control character gets through.
      const tag = JSON.stringify(entry.tag);
      const file = JSON.stringify(`${entry.tag}.sql`);
      // drizzle-kit writes a tag as a bare file name; one that climbs out of the folder is refused
      // before anything is looked up (the migrator would follow it).
      if (/[/\\]/.test(entry.tag) || entry.tag === "..") {
        throw new UserError(
          `journal entry ${tag} is not a file name in this folder (a tag may not contain "/", "\\" or be ".."), so it was not read`,
          at,
        );
      }
      const absPath = resolve(dir, `${entry.tag}.sql`);
      if (!exists(absPath)) {
        throw new UserError(
          `journal entry ${tag} names ${file}, which does not exist (drizzle's migrator fails on it)`,
          at,
        );
      }
      if (isDirectory(absPath)) {
        throw new UserError(
          `journal entry ${tag} names ${file}, which is a directory, not a file (drizzle's migrator fails on it)`,
          at,
        );
      }
      return { absPath, id: entry.tag };
    });
  },
  prepare: (text) => ({ sql: text, noTransaction: false }),
  pinnedVersion: (dir) => npmPinnedVersion(dir, ["drizzle-orm"]) ?? DEFAULT_VERSION,
  // Every drizzle-orm release with a pg migrator runs all pending files in one transaction.
  model: () => MODEL,
  // PgDialect.migrate() has no per-file opt-out: nothing inside the migrations folder can run
  // outside the one transaction, so there is no fix, only the way out.
  isolate: () => ({
    help: "drizzle-orm's migrator runs every pending migration in one transaction and has no opt-out: leave the statement out of the migrations folder and run it after migrate(), outside a transaction (psql, or a script of your own)",
  }),
};

function readJournal(path: string, dir: string): { entries: JournalEntry[]; lineOf: (i: number) => number } {
  const read = readText(path, repositoryRoot(dir));
  if ("problem" in read) throw new UserError(`cannot read the drizzle journal: ${read.problem}`, path);
  const text = read.text;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UserError(`the drizzle journal is not valid JSON: ${(error as Error).message}`, path);
  }
  const list = (data as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(list)) throw new UserError('the drizzle journal has no "entries" array', path);
  const entries = list.map((raw, i) => {
    const entry = raw as { tag?: unknown; idx?: unknown } | null;
    if (typeof entry?.tag !== "string" || entry.tag === "") {
      throw new UserError(`entry ${i} of the drizzle journal has no "tag"`, path);
    }
    return typeof entry.idx === "number" ? { tag: entry.tag, idx: entry.idx } : { tag: entry.tag };
  });
  return { entries, lineOf: tagLines(text, entries) };
}

/**
 * The line of each entry's `"tag"` in the journal's text, found in order; 1 when the text does
 * not spell it the way JSON.stringify does (escapes written differently).
 */
function tagLines(text: string, entries: readonly JournalEntry[]): (i: number) => number {
  const lines: number[] = [];
  let from = 0;
  let line = 1;
  for (const entry of entries) {
    const match = new RegExp(`"tag"\\s*:\\s*${escapeRegExp(JSON.stringify(entry.tag))}`, "g");
    match.lastIndex = from;
    const found = match.exec(text);
    if (!found) {
      lines.push(1);
      continue;
    }
    for (let i = text.indexOf("\n", from); i !== -1 && i < found.index; i = text.indexOf("\n", i + 1)) line++;
    from = found.index + found[0].length;
    lines.push(line);
  }
  return (i) => lines[i] ?? 1;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
