/**
 * golang-migrate (github.com/golang-migrate/migrate/v4) with its postgres driver:
 * `<version>_<title>.up.sql`, applied by numeric version.
 */
import { resolve } from "node:path";
import { SQL_MIGRATION_WORDS } from "../schema/change.js";
import { fileNames } from "./files.js";
import { DEFAULT_VERSION, goPinnedVersion } from "./pinned-version.js";
import type { SqlRunner, TransactionModel } from "./runner.js";

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
};
