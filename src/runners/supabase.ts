/**
 * The Supabase CLI (`supabase db push`, `db reset`, `migration up`, and branching, which use the
 * same code): `supabase/migrations/<timestamp>_<name>.sql`, applied in file-name order.
 *
 * Sources (supabase/cli at 1d1e719, 2026-06, apps/cli-go):
 * - pkg/migration/list.go `ListLocalMigrations()`: `fs.ReadDir` (sorted by file name), folders
 *   skipped, names that do not match `^([0-9]+)_(.*)\.sql$` skipped with a warning, and a first
 *   entry named `<14 digits>_init.sql` older than 20211209000000 skipped (a relic of early CLIs).
 * - pkg/migration/apply.go `ApplyMigrations()`: per file, `RESET ALL`, then
 *   `NewMigrationFromFile()` and `ExecBatch()`; no BEGIN of the CLI's own.
 * - pkg/migration/file.go `NewMigrationFromFile()` splits the file with
 *   `parser.SplitAndTrim()` (pkg/parser/token.go: its own splitter, which respects quotes,
 *   comments and dollar quotes); `ExecBatch()` queues every statement with
 *   `batch.ExecParams(…)`, then the insert into the migration history, and sends them with
 *   `conn.PgConn().ExecBatch()` ("ExecBatch is implicitly transactional").
 * - jackc/pgconn `ExecBatch()`: Parse/Bind/Describe/Execute per statement and a single Sync at the
 *   end, so PostgreSQL runs the whole file in one implicit transaction.
 * - PostgreSQL src/backend/tcop/postgres.c `exec_execute_message()` sets XACT_FLAGS_PIPELINING after
 *   an Execute that leaves the transaction open, and commits at once after a statement that needs
 *   it; src/backend/access/transam/xact.c `PreventInTransactionBlock()` then refuses CREATE INDEX
 *   CONCURRENTLY and the like with "… cannot be executed within a pipeline" (SQLSTATE 25001).
 *   So a CONCURRENTLY statement runs when it is the file's first statement (or right after a
 *   COMMIT), and fails anywhere else, even right after another CONCURRENTLY statement (measured
 *   on PostgreSQL 15.20; test/runners/supabase.test.ts replays it on the test server).
 *   supabase/cli's own pkg/migration/file_test.go pins the failure at statement 1 after a
 *   CREATE TABLE.
 * - The batch has been one pipeline since `fix: batch ddl cannot be cached` (commit 1c45de7,
 *   2022-08); before that it was a pgx.Batch, also one pipeline.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { SQL_MIGRATION_WORDS } from "../schema/change.js";
import { entries, fileNames, isFile, onceWhileReading } from "./files.js";
import { besides, moveToNewMigrations, statementsText, versionsAfter } from "./isolate.js";
import { DEFAULT_VERSION } from "./pinned-version.js";
import type { IsolateRequest, Isolation, MigrationFileRef, SqlRunner, TransactionModel } from "./runner.js";

// pkg/migration/file.go migrateFilePattern.
const MIGRATION_FILE = /^([0-9]+)_(.*)\.sql$/;
// pkg/migration/list.go initSchemaPattern and shouldSkip().
const OLD_INIT = /([0-9]{14})_init\.sql/;

const MODEL: TransactionModel = {
  fileInTransaction: false,
  allFilesInOneTransaction: false,
  fileSentAsOneString: false,
  pipelined: true,
  detectsNonTransactional: false,
  refusesMixedFile: false,
  optOut:
    "put the statement first in a migration file of its own (the Supabase CLI sends a file as one pipeline, where only a leading CONCURRENTLY statement runs outside the implicit transaction)",
  citations: [
    "supabase/cli pkg/migration/apply.go ApplyMigrations(): RESET ALL, then MigrationFile.ExecBatch() per file, with no transaction of the CLI's own",
    "supabase/cli pkg/migration/file.go ExecBatch(): parser.SplitAndTrim() statements, each batch.ExecParams(), plus the history insert, sent with conn.PgConn().ExecBatch() ('ExecBatch is implicitly transactional')",
    "jackc/pgconn ExecBatch(): one Sync after the whole batch, so PostgreSQL runs it as one pipeline in one implicit transaction",
    "PostgreSQL postgres.c exec_execute_message() (XACT_FLAGS_PIPELINING) and xact.c PreventInTransactionBlock(): '… cannot be executed within a pipeline' (25001) once an earlier statement of the pipeline left its transaction open",
    "supabase/cli pkg/migration/list.go ListLocalMigrations(): files matching ^([0-9]+)_(.*)\\.sql$ in file-name order; a first <timestamp>_init.sql older than 20211209000000 is skipped",
  ],
};

/**
 * Is `dir` a Supabase project's migrations folder (`supabase/migrations`, or next to a Supabase
 * config.toml)? `supabase init` writes config.toml with `project_id` and a `[db]` table; another
 * tool's config.toml beside a migrations folder (a Rust crate's, say) does not make it Supabase's.
 */
function isSupabaseFolder(dir: string): boolean {
  const parent = dirname(resolve(dir));
  if (basename(resolve(dir)) !== "migrations") return false;
  if (basename(parent) === "supabase") return true;
  const config = join(parent, "config.toml");
  if (!isFile(config)) return false;
  try {
    return /^\s*project_id\s*=|^\s*\[db\]/m.test(readFileSync(config, "utf8"));
  } catch {
    return false;
  }
}

export const supabaseRunner: SqlRunner = {
  kind: "migrations",
  id: "supabase",
  name: "Supabase CLI",
  describe: "Supabase CLI (supabase/migrations/*.sql)",
  words: SQL_MIGRATION_WORDS,
  exampleFile: "20240101000000_example.sql",
  versioned: false,
  // The Supabase CLI records applied migrations in supabase_migrations.schema_migrations.
  historyTables: ["supabase_migrations.schema_migrations"],
  detect: (dir) => isSupabaseFolder(dir) && fileNames(dir).some((name) => MIGRATION_FILE.test(name)),
  isolate,
  list(dir): MigrationFileRef[] {
    // fs.ReadDir sorts every entry by name, comparing bytes; folders are then skipped.
    return entries(dir)
      .map((e) => ({ name: e.name, folder: e.isDirectory() }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .filter((e, i) => !e.folder && !(i === 0 && oldInit(e.name)) && MIGRATION_FILE.test(e.name))
      .map((e) => ({ absPath: resolve(dir, e.name), id: MIGRATION_FILE.exec(e.name)?.[1] ?? e.name }));
  },
  prepare: (text) => ({ sql: text, noTransaction: false }),
  // The CLI's transaction handling has not changed since it adopted batches in 2022.
  pinnedVersion: () => DEFAULT_VERSION,
  model: () => MODEL,
};

function oldInit(name: string): boolean {
  const stamp = OLD_INIT.exec(name)?.[1];
  return stamp !== undefined && BigInt(stamp) < 20211209000000n;
}

/**
 * The Supabase CLI sends a file's statements as one pipeline, which PostgreSQL runs as one implicit
 * transaction, and has no opt-out; a CONCURRENTLY statement works only as a file's first
 * statement. Each statement moves to a new migration of its own, right after this one.
 */
function isolate(request: IsolateRequest): Isolation {
  const match = MIGRATION_FILE.exec(basename(request.ref.absPath));
  const taken = onceWhileReading(`supabase versions\0${request.dir}`, () =>
    fileNames(request.dir).flatMap((n) => MIGRATION_FILE.exec(n)?.[1] ?? []),
  );
  const versions = match?.[1] ? versionsAfter(match[1], taken, request.sql.length) : null;
  if (!match || !versions)
    return {
      help: "put it first and alone in a new migration that runs right after this one (no timestamp is free between this file's and the next)",
    };
  const files = versions.map((version, i) => ({
    path: besides(request.migration.file, `${version}_${match[2]}_concurrently${i ? `_${i + 1}` : ""}.sql`),
    text: statementsText([request.sql[i] ?? ""]),
  }));
  const why =
    "the Supabase CLI runs a file's statements in one implicit transaction, which a CONCURRENTLY statement may only start";
  return moveToNewMigrations(request, files, why);
}
