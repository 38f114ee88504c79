/**
 * goose (github.com/pressly/goose): `<version>_<name>.sql` files with `-- +goose Up` and
 * `-- +goose Down` annotations; `goose up` runs the Up part of each file.
 */
import { basename, resolve } from "node:path";
import { SQL_MIGRATION_WORDS } from "../schema/change.js";
import { fileNames, keepOnly, onceWhileReading, sampleHasMarker } from "./files.js";
import { besides, moveToNewMigrations, statementsText, versionsAfter } from "./isolate.js";
import { DEFAULT_VERSION, goPinnedVersion } from "./pinned-version.js";
import type {
  IsolateRequest,
  Isolation,
  MigrationFileRef,
  PreparedSql,
  SqlRunner,
  TransactionModel,
} from "./runner.js";

// goose parses the version from the file name's numeric prefix (sequential or a timestamp).
const MIGRATION_FILE = /^(\d+)_.*\.sql$/;
/** A Go migration (goose.AddMigration… in `<version>_<name>.go`), run in version order with the SQL ones. */
const GO_MIGRATION = /^(\d+)_.*(?<!_test)\.go$/;
// Annotations must start the line (pressly.github.io/goose/blog/2022/overview-sql-file); goose
// reads their keyword without regard to case, and real histories write `-- +goose no transaction`.
const UP = /^-- \+goose Up\b.*$/im;
const DOWN = /^-- \+goose Down\b.*$/im;
const NO_TRANSACTION = /^-- \+goose NO TRANSACTION\b/im;

const CITATIONS = [
  "pressly/goose migration_sql.go runSQLMigration(): with useTx the file's statements run one by one with tx.ExecContext inside one db.BeginTx … Commit; without it, each with db.ExecContext on its own",
  "pressly/goose cmd/goose sql template and pressly.github.io/goose/blog/2022/overview-sql-file: `-- +goose NO TRANSACTION` at the top of a file runs its statements outside a transaction; `-- +goose StatementBegin/End` groups a statement that holds semicolons",
  "pressly/goose#485: every migration is wrapped in its own transaction; files are never grouped into one",
];

const MODEL: TransactionModel = {
  fileInTransaction: true,
  allFilesInOneTransaction: false,
  // The SQL parser splits the Up part into statements and executes them one at a time.
  fileSentAsOneString: false,
  detectsNonTransactional: false,
  refusesMixedFile: false,
  optOut:
    "put `-- +goose NO TRANSACTION` at the top of the migration, and keep the statement in a file of its own",
  citations: CITATIONS,
};

export const gooseRunner: SqlRunner = {
  kind: "migrations",
  id: "goose",
  name: "goose",
  describe: "goose (-- +goose Up sections)",
  words: SQL_MIGRATION_WORDS,
  exampleFile: "00001_example.sql",
  versioned: true,
  // goose -table, default "goose_db_version".
  historyTables: ["goose_db_version"],
  detect: (dir) => sampleHasMarker(dir, MIGRATION_FILE, /^-- \+goose Up\b/im),
  list(dir): MigrationFileRef[] {
    return fileNames(dir)
      .map((name) => ({ name, match: MIGRATION_FILE.exec(name) }))
      .filter((f): f is { name: string; match: RegExpExecArray } => f.match !== null)
      .sort((a, b) => {
        const va = BigInt(a.match[1] ?? "0");
        const vb = BigInt(b.match[1] ?? "0");
        return va < vb ? -1 : va > vb ? 1 : a.name < b.name ? -1 : 1;
      })
      .map((f) => ({ absPath: resolve(dir, f.name), id: f.match[1] ?? f.name }));
  },
  codeMigrations(dir) {
    return fileNames(dir)
      .filter((name) => GO_MIGRATION.test(name))
      .map((name) => ({
        absPath: resolve(dir, name),
        what: "a Go migration, which goose runs in version order with the SQL ones",
      }));
  },
  prepare(text): PreparedSql {
    const up = UP.exec(text);
    const down = DOWN.exec(text);
    // Only the Up part runs on `goose up`; everything else becomes blank, keeping positions.
    const start = up ? up.index + up[0].length : text.length;
    const end = down && down.index > start ? down.index : text.length;
    const noTransaction = NO_TRANSACTION.test(text);
    return {
      sql: keepOnly(text, [{ start, end }]),
      noTransaction,
      ...(noTransaction ? { optOutSource: "-- +goose NO TRANSACTION" } : {}),
    };
  },
  pinnedVersion: (dir) => goPinnedVersion(dir, "github.com/pressly/goose/v3") ?? DEFAULT_VERSION,
  model: () => MODEL,
  isolate,
};

/**
 * goose's way out is `-- +goose NO TRANSACTION`, for the whole file: a file that holds only this
 * statement gets the annotation; otherwise the statement moves to a new file of its own with it,
 * versioned right after this one, so the file's other statements keep their transaction.
 */
function isolate(request: IsolateRequest): Isolation {
  const { statement, migration } = request;
  if (migration.statements.length === 1 && statement.tx.reason === "runner-file") {
    return {
      help: "put `-- +goose NO TRANSACTION` at the top of this file, which holds only this statement",
      fix: {
        replacement: request.sql.join(";\n"),
        range: statement.range,
        edits: [
          {
            file: migration.file,
            line: 1,
            column: 1,
            endLine: 1,
            endColumn: 1,
            text: "-- +goose NO TRANSACTION\n",
          },
        ],
      },
    };
  }
  const match = MIGRATION_FILE.exec(basename(request.ref.absPath));
  const taken = onceWhileReading(`goose versions\0${request.dir}`, () =>
    fileNames(request.dir).flatMap((name) => MIGRATION_FILE.exec(name)?.[1] ?? []),
  );
  const versions = match?.[1] ? versionsAfter(match[1], taken, 1) : null;
  const rest = match ? basename(request.ref.absPath).slice(match[1]?.length ?? 0, -".sql".length) : "";
  if (!match?.[1] || !versions?.[0]) {
    return {
      help: "put it in a new migration right after this one, with `-- +goose NO TRANSACTION` (no version is free between this one and the next)",
    };
  }
  const path = besides(migration.file, `${versions[0]}${rest}_concurrently.sql`);
  // Without a transaction goose runs the statements one by one, each in autocommit.
  const text = `-- +goose NO TRANSACTION\n-- +goose Up\n${statementsText(request.sql)}\n-- +goose Down\n`;
  return moveToNewMigrations(request, [{ path, text }], "with `-- +goose NO TRANSACTION`");
}
