/**
 * Prisma Migrate: `migrations/<timestamp>_<name>/migration.sql`, applied by `prisma migrate deploy`
 * (and `migrate dev`) in directory-name order.
 */
import { basename, dirname, join, posix, resolve } from "node:path";
import { sqlMigrationWords } from "../schema/change.js";
import { atLeast, entries, exists, isFile, onceWhileReading } from "./files.js";
import { oneStatementFiles, sortsRightAfter, statementsText, versionsAfter } from "./isolate.js";
import { DEFAULT_VERSION, npmPinnedVersion } from "./pinned-version.js";
import type { IsolateRequest, Isolation, MigrationFileRef, SqlRunner, TransactionModel } from "./runner.js";

/** The first Prisma release whose schema engine splits a migration into statements (prisma-engines #5767). */
export const PRISMA_SPLITS_STATEMENTS_SINCE = "7.4.0";

const COMMON_CITATIONS = [
  "prisma/prisma-engines schema-engine/connectors/sql-schema-connector/src/flavour/postgres (connection.rs, connector/native/mod.rs) apply_migration_script(): before #5767 the whole migration.sql went to PostgreSQL as one client.simple_query(script), with no BEGIN of Prisma's own, so a multi-statement migration ran in PostgreSQL's implicit transaction",
  "prisma/prisma-engines #5767 'feat: support CREATE INDEX CONCURRENTLY in migrations' (merged 2026-02-11, commit 57b675f): apply_migration_script() splits the script with split_script_into_statements() (sqlparser-rs) and sends each statement as its own simple query, so each runs in autocommit",
  "prisma/prisma commit 3c999359fc 'update engines to 7.4.0-17.57b675f…' (2026-02-11), first shipped in Prisma 7.4.0 (tag 7.4.0 pins engines 7.4.0-20.ab56fe7)",
  "prisma/prisma-engines #5847 (open, 2026-07): when sqlparser cannot parse the script (it rejects DROP INDEX CONCURRENTLY up to 0.62), the splitter falls back to sending the whole script as one simple query, so a multi-statement file with DROP INDEX CONCURRENTLY still runs in an implicit transaction",
  "prisma/prisma-engines #5799 (merged 2026-04): the shadow-database replay of `migrate dev` switched to the same splitting path (engines 7.8.0-4, Prisma 7.8.0); before that, migrate dev failed on such files while migrate deploy passed",
  "prisma/orm #14456 (CREATE INDEX CONCURRENTLY cannot run inside a transaction block, P3018) for the behaviour before 7.4.0; its workaround (comment of 2023-09-14) is one CONCURRENTLY index per migration",
  "prisma/prisma-engines schema-engine migration directories: listed and applied in the lexicographic order of their folder names (<timestamp>_<name>)",
];

function model(version: string | null): TransactionModel {
  if (!atLeast(version, PRISMA_SPLITS_STATEMENTS_SINCE)) {
    return {
      // connection.rs apply_migration_script(): no transaction of Prisma's own on PostgreSQL.
      fileInTransaction: false,
      allFilesInOneTransaction: false,
      // client.simple_query(script): the whole migration.sql as one string.
      fileSentAsOneString: true,
      detectsNonTransactional: false,
      refusesMixedFile: false,
      optOut: `put the statement alone in its own migration (before Prisma ${PRISMA_SPLITS_STATEMENTS_SINCE} a single-statement migration is the only way out of the implicit transaction)`,
      citations: COMMON_CITATIONS,
    };
  }
  return {
    fileInTransaction: false,
    allFilesInOneTransaction: false,
    // #5767: split_script_into_statements(), one simple_query per statement.
    fileSentAsOneString: false,
    detectsNonTransactional: false,
    refusesMixedFile: false,
    // #5847: sqlparser-rs cannot parse DROP INDEX CONCURRENTLY, so such a file is sent whole.
    splitFallbackOn: ["drop-index-concurrently"],
    optOut: "put DROP INDEX CONCURRENTLY alone in its own migration (Prisma's splitter cannot parse it yet)",
    citations: COMMON_CITATIONS,
  };
}

export const prismaRunner: SqlRunner = {
  kind: "migrations",
  id: "prisma",
  name: "Prisma",
  describe: "Prisma Migrate (migrations/*/migration.sql)",
  words: sqlMigrationWords({ regenerate: "prisma migrate dev" }),
  exampleFile: "20240101000000_example/migration.sql",
  versioned: true,
  // Prisma Migrate records applied migrations in "_prisma_migrations".
  historyTables: ["_prisma_migrations"],
  detect(dir) {
    return isFile(join(dir, "migration_lock.toml")) || migrationDirs(dir).length > 0;
  },
  list(dir): MigrationFileRef[] {
    // schema-engine lists the migrations directory's subfolders sorted by name.
    return byName(migrationDirs(dir)).map((name) => ({
      absPath: resolve(dir, name, "migration.sql"),
      id: name,
    }));
  },
  prepare: (text) => ({ sql: text, noTransaction: false }),
  // The prisma CLI carries the schema engine; @prisma/client is released in lockstep with it.
  pinnedVersion: (dir) => npmPinnedVersion(dir, ["prisma", "@prisma/client"]) ?? DEFAULT_VERSION,
  model,
  isolate,
};

const byName = (names: readonly string[]) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * A migration that holds one statement runs it outside any transaction, in every Prisma version
 * (the workaround in orm #14456: one CONCURRENTLY index per migration). The statement moves to
 * a new migration folder right after this one, `<timestamp + 1>_<name>_concurrently`; a
 * statement alone in its migration stays, and what must follow it moves.
 */
function isolate(request: IsolateRequest): Isolation {
  const folder = basename(dirname(request.ref.absPath));
  const match = /^(\d+)_(.*)$/.exec(folder);
  const alone = request.migration.statements.length === 1;
  const moved = alone ? request.sql.slice(1) : request.sql;
  const names = migrationDirs(request.dir);
  const taken = onceWhileReading(`prisma versions\0${request.dir}`, () =>
    names.flatMap((n) => /^(\d+)_/.exec(n)?.[1] ?? []),
  );
  const versions = match?.[1] ? versionsAfter(match[1], taken, moved.length) : null;
  let added = versions?.map((v, i) => `${v}_${match?.[2]}_concurrently${i ? "_2" : ""}`) ?? [];
  // Prisma orders folders by name alone: with no number free before the next migration
  // (`06_session_data`, `07_…`), the folder's own name with a suffix still sorts right after it.
  if (!versions || !sortsRightAfter(byName, names, folder, added))
    added = moved.map((_, i) => `${folder}_concurrently${i ? "_2" : ""}`);
  if (!sortsRightAfter(byName, names, folder, added)) {
    return {
      help: "put it alone in a new migration folder that sorts right after this one (no timestamp is free between this migration and the next)",
    };
  }
  const root = posix.dirname(posix.dirname(request.migration.file));
  const files = added.map((name, i) => ({
    path: posix.join(root, name, "migration.sql"),
    text: statementsText([moved[i] ?? ""]),
  }));
  const why = "Prisma runs a migration of one statement outside any transaction";
  return oneStatementFiles(request, files, why);
}

/**
 * The subfolders that hold a `migration.sql` of any kind: one that is a link, a FIFO or a folder is
 * listed, so that reading it reports why it was refused rather than the migration going missing.
 */
function migrationDirs(dir: string): readonly string[] {
  return onceWhileReading(`prisma migrationDirs\0${dir}`, () =>
    entries(dir)
      .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && exists(join(dir, e.name, "migration.sql")))
      .map((e) => e.name),
  );
}
