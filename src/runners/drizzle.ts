/**
 * drizzle-kit migrations run by drizzle-orm's migrator: the order comes from
 * `meta/_journal.json`, each entry naming `<tag>.sql`, split at `--> statement-breakpoint`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { SQL_MIGRATION_WORDS } from "../schema/change.js";
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
  words: SQL_MIGRATION_WORDS,
  exampleFile: "0000_example.sql",
  versioned: true,
  detect: (dir) => existsSync(join(dir, JOURNAL)),
  list(dir): MigrationFileRef[] {
    const journalPath = resolve(dir, JOURNAL);
    const entries = readJournal(journalPath);
    // readMigrationFiles() walks `entries` in array order (drizzle-kit writes them in idx order).
    return entries.map((entry) => {
      const absPath = resolve(dir, `${entry.tag}.sql`);
      if (!existsSync(absPath)) {
        throw new UserError(
          `journal entry "${entry.tag}" names ${entry.tag}.sql, which does not exist (drizzle's migrator fails on it)`,
          journalPath,
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

function readJournal(path: string): JournalEntry[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new UserError("cannot read the drizzle journal", path);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UserError(`the drizzle journal is not valid JSON: ${(error as Error).message}`, path);
  }
  const list = (data as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(list)) throw new UserError('the drizzle journal has no "entries" array', path);
  return list.map((raw, i) => {
    const entry = raw as { tag?: unknown; idx?: unknown } | null;
    if (typeof entry?.tag !== "string" || entry.tag === "") {
      throw new UserError(`entry ${i} of the drizzle journal has no "tag"`, path);
    }
    return typeof entry.idx === "number" ? { tag: entry.tag, idx: entry.idx } : { tag: entry.tag };
  });
}
