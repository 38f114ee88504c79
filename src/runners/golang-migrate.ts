/**
 * golang-migrate (github.com/golang-migrate/migrate/v4) with its postgres driver:
 * `<version>_<title>.up.sql`, applied by numeric version.
 */
import { basename, resolve } from "node:path";
import { SQL_MIGRATION_WORDS } from "../schema/change.js";
import { fileNames, onceWhileReading } from "./files.js";
import { besides, oneStatementFiles, statementsText, versionsAfter } from "./isolate.js";
import { DEFAULT_VERSION, goPinnedVersion } from "./pinned-version.js";
import type { IsolateRequest, Isolation, SqlRunner, TransactionModel } from "./runner.js";

// source/parse.go: `^([0-9]+)_(.*)\.(down|up)\.(.*)$`, the version parsed as an unsigned integer.
const UP_FILE = /^(\d+)_(.*)\.up\.sql$/;

const CITATIONS = [
  "golang-migrate/migrate database/postgres/postgres.go: Run() reads the whole file and runStatement() sends it with one conn.ExecContext(ctx, query) without arguments, and no transaction of its own",
  "lib/pq conn.go: Exec without arguments uses the simple query protocol, so a multi-statement string runs in PostgreSQL's implicit transaction (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT)",
  "golang-migrate/migrate database/postgres/README.md, 'Multi-statement mode': multiple statements in one Exec run in one transaction; put CREATE INDEX CONCURRENTLY in its own file or enable x-multi-statement",
  "golang-migrate/migrate commit 3a5169ac (v4.15.0): x-multi-statement=true splits the file on ';' (database/multistmt, a plain byte split that ignores quotes and $$ bodies) and runs each part with its own Exec, each in autocommit",
  "golang-migrate/migrate source/parse.go and source/file: files match ^([0-9]+)_(.*)\\.(up|down)\\.(.*)$ and are ordered by the numeric version",
];

const MODEL: TransactionModel = {
  // postgres.go Run(): no BEGIN around a migration; the file goes to PostgreSQL as one string.
  fileInTransaction: false,
  allFilesInOneTransaction: false,
  // postgres.go runStatement(): one ExecContext for the whole file (lib/pq simple query).
  fileSentAsOneString: true,
  detectsNonTransactional: false,
  refusesMixedFile: false,
  // The only escape is database-wide: x-multi-statement=true in the URL (v4.15.0+), which this
  // model cannot see, or one statement per file.
  optOut:
    "put the statement alone in its own .up.sql file, or add x-multi-statement=true to the database URL (golang-migrate ≥ 4.15.0) to run each ';'-separated statement on its own",
  citations: CITATIONS,
};

export const golangMigrateRunner: SqlRunner = {
  kind: "migrations",
  id: "golang-migrate",
  name: "golang-migrate",
  describe: "golang-migrate (*.up.sql)",
  words: SQL_MIGRATION_WORDS,
  exampleFile: "1_example.up.sql",
  versioned: true,
  // database/postgres/postgres.go: DefaultMigrationsTable = "schema_migrations" (x-migrations-table).
  historyTables: ["schema_migrations"],
  detect: (dir) => fileNames(dir).some((name) => UP_FILE.test(name)),
  list(dir) {
    return fileNames(dir)
      .map((name) => ({ name, match: UP_FILE.exec(name) }))
      .filter((f): f is { name: string; match: RegExpExecArray } => f.match !== null)
      .map((f) => ({ name: f.name, version: BigInt(f.match[1] ?? "0") }))
      .sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : a.name < b.name ? -1 : 1))
      .map((f) => ({ absPath: resolve(dir, f.name), id: f.version.toString() }));
  },
  prepare: (text) => ({ sql: text, noTransaction: false }),
  pinnedVersion: (dir) => goPinnedVersion(dir, "github.com/golang-migrate/migrate/v4") ?? DEFAULT_VERSION,
  // The postgres driver has sent the file as one Exec in every v4 release; only the opt-in
  // x-multi-statement mode (v4.15.0+) differs, and it is a URL option, not a version.
  model: () => MODEL,
  isolate,
};

/**
 * A file with one statement is one Exec outside any transaction, so each statement that must run
 * outside one gets a file of its own, versioned right after this file (README.md, 'Multi-statement
 * mode': put CREATE INDEX CONCURRENTLY in its own file). No .down.sql is written: a project that
 * keeps them writes the reverse by hand.
 */
function isolate(request: IsolateRequest): Isolation {
  const name = basename(request.ref.absPath);
  const match = UP_FILE.exec(name);
  // A statement alone in its file runs outside a transaction already: it stays, and what must
  // follow it (ADD CONSTRAINT … USING INDEX) gets the next files.
  const alone = request.migration.statements.length === 1;
  const moved = alone ? request.sql.slice(1) : request.sql;
  const taken = onceWhileReading(`golang-migrate versions\0${request.dir}`, () =>
    fileNames(request.dir).flatMap((n) => /^(\d+)_/.exec(n)?.[1] ?? []),
  );
  const versions = match?.[1] ? versionsAfter(match[1], taken, moved.length) : null;
  if (!match || !versions) {
    return {
      help: `put it alone in a new .up.sql file that runs right after this one (no version is free between ${match?.[1] ?? "this file's"} and the next)`,
    };
  }
  const files = versions.map((version, i) => ({
    path: besides(
      request.migration.file,
      `${version}_${match[2]}_concurrently${i ? `_${i + 1}` : ""}.up.sql`,
    ),
    text: statementsText([moved[i] ?? ""]),
  }));
  const why = "golang-migrate sends a file as one string, and one statement alone runs outside a transaction";
  return oneStatementFiles(request, files, why);
}
