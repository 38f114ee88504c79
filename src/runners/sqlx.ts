/**
 * sqlx (`sqlx::migrate!()`, `Migrator`, and `sqlx migrate run`): `<version>_<description>.sql`
 * files, or reversible `<version>_<description>.up.sql` / `.down.sql` pairs, applied by version.
 *
 * Sources (launchbadge/sqlx at 9d6bf66, 2026-03; tags v0.5.13, v0.7.4 and v0.8.0 for the split):
 * - sqlx-core/src/migrate/source.rs `resolve_blocking_with_config()`: a file whose name splits on
 *   its first `_` into two parts, the second ending in `.sql`, is a migration; the first part must
 *   parse as an i64, or the whole source is refused; `.up.sql` / `.down.sql` make it reversible
 *   (migration_type.rs `from_filename()`); `sql.starts_with("-- no-transaction")` sets `no_tx`
 *   (byte for byte: nothing, not even a byte-order mark, may come before it); the list is sorted
 *   by version.
 * - sqlx-postgres/src/migrate.rs `apply()`: `self.begin()` … `tx.commit()` around
 *   `execute_migration()` unless `migration.no_tx`; `execute_migration()` sends the file with
 *   `conn.execute(migration.sql)`, a query without arguments, which
 *   sqlx-postgres/src/connection/executor.rs `run()` writes as one simple `Query` message: a
 *   multi-statement file shares PostgreSQL's implicit transaction even with `-- no-transaction`.
 *   Down migrations never run on `run`.
 * - `-- no-transaction` arrived in 0.8.0 (#3181, commit 40aef6d); v0.5.13 to v0.7.4 `apply()`
 *   always wrap the file in a transaction.
 *
 * Detection: the file names alone cannot tell sqlx from goose, dbmate, golang-migrate (which
 * shares `.up.sql`) or plain numbered SQL, so sqlx is chosen only when a Cargo.toml or Cargo.lock
 * at or above the folder names the `sqlx` crate (or `sqlx-cli`), and the folder holds a
 * `<digits>_<name>.sql` file. dbmate and goose, whose files carry their own markers, come first.
 */
import { basename, resolve } from "node:path";
import { UserError } from "../errors.js";
import { SQL_MIGRATION_WORDS } from "../schema/change.js";
import { atLeast, byVersionThenName, fileNames, onceWhileReading } from "./files.js";
import {
  besides,
  createFile,
  keepFirstInPlace,
  moveHelp,
  moveToNewMigrations,
  statementsText,
  versionsAfter,
} from "./isolate.js";
import { fileTransactionOneString } from "./models.js";
import { cargoDependsOn, cargoPinnedVersion, DEFAULT_VERSION } from "./pinned-version.js";
import type {
  IsolateRequest,
  Isolation,
  MigrationFileRef,
  PreparedSql,
  SqlRunner,
  TransactionModel,
} from "./runner.js";

/** The first sqlx release that reads `-- no-transaction`. */
export const SQLX_NO_TX_SINCE = "0.8.0";
const NO_TX = "-- no-transaction";
const NUMBERED = /^\d+_.+\.sql$/;

const CITATIONS = [
  "launchbadge/sqlx sqlx-postgres/src/migrate.rs apply(): begin() … commit() around execute_migration() unless migration.no_tx; execute_migration() runs conn.execute(migration.sql)",
  "launchbadge/sqlx sqlx-postgres/src/connection/executor.rs run(): a query without arguments is one simple Query message, so a multi-statement file runs in PostgreSQL's implicit transaction (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT)",
  'launchbadge/sqlx sqlx-core/src/migrate/source.rs resolve_blocking_with_config(): <i64>_<description>.sql (.up.sql/.down.sql reversible), no_tx = sql.starts_with("-- no-transaction"), sorted by version',
  "launchbadge/sqlx #3181 (commit 40aef6d, released in 0.8.0): -- no-transaction; before it every migration ran in a transaction",
];

function model(version: string | null): TransactionModel {
  const optOut = atLeast(version, SQLX_NO_TX_SINCE)
    ? "put the statement alone in a migration of its own whose first line is `-- no-transaction` (sqlx still sends the file as one string)"
    : null;
  return fileTransactionOneString(optOut, CITATIONS);
}

interface SqlxFile {
  name: string;
  version: bigint;
  down: boolean;
}

/** The files sqlx resolves as migrations, as source.rs reads their names. */
function sqlxFiles(dir: string): SqlxFile[] {
  const out: SqlxFile[] = [];
  for (const name of fileNames(dir)) {
    const cut = name.indexOf("_");
    if (cut < 0 || !name.slice(cut + 1).endsWith(".sql")) continue;
    const prefix = name.slice(0, cut);
    // Rust's i64 parse: an optional sign, then decimal digits, within range.
    const version = /^[+-]?\d+$/.test(prefix) ? BigInt(prefix) : null;
    if (version === null || version > 9223372036854775807n || version < -9223372036854775808n) {
      throw new UserError(
        `sqlx refuses the migrations folder: "${name}" has no integer version prefix (expected e.g. 01_foo.sql)`,
        resolve(dir, name),
      );
    }
    out.push({ name, version, down: name.endsWith(".down.sql") });
  }
  return out;
}

export const sqlxRunner: SqlRunner = {
  kind: "migrations",
  id: "sqlx",
  name: "sqlx",
  describe: "sqlx (<version>_<name>.sql in a Cargo project using sqlx)",
  words: SQL_MIGRATION_WORDS,
  exampleFile: "20240101000000_example.sql",
  versioned: true,
  // sqlx::migrate records applied migrations in "_sqlx_migrations".
  historyTables: ["_sqlx_migrations"],
  detect: (dir) =>
    fileNames(dir).some((name) => NUMBERED.test(name)) &&
    (cargoDependsOn(dir, "sqlx") || cargoDependsOn(dir, "sqlx-cli")),
  isolate,
  list(dir): MigrationFileRef[] {
    // Rust's sort_by_key is stable; read_dir order is not defined, so ties fall back to the name.
    return sqlxFiles(dir)
      .filter((f) => !f.down)
      .sort(byVersionThenName)
      .map((f) => ({ absPath: resolve(dir, f.name), id: f.version.toString() }));
  },
  prepare(text): PreparedSql {
    const noTransaction = text.startsWith(NO_TX);
    return {
      sql: text,
      noTransaction,
      ...(noTransaction ? { optOutSource: "-- no-transaction on line 1" } : {}),
    };
  },
  pinnedVersion: (dir) => cargoPinnedVersion(dir, ["sqlx", "sqlx-core"]) ?? DEFAULT_VERSION,
  model,
};

/**
 * sqlx 0.8+ runs a migration whose first line is `-- no-transaction` outside a transaction, and
 * sends it as one string, so one statement alone there runs in autocommit. A statement alone in
 * its file gets that line; otherwise each moves to a new migration, versioned right after this one.
 */
function isolate(request: IsolateRequest): Isolation {
  if (request.version !== null && !atLeast(request.version, SQLX_NO_TX_SINCE))
    return {
      help: `sqlx ${request.version} runs every migration in a transaction (\`${NO_TX}\` arrived in 0.8): upgrade, or build the index outside sqlx`,
    };
  const why = `sqlx runs a migration whose first line is \`${NO_TX}\` outside a transaction`;
  const name = basename(request.ref.absPath);
  const match = /^(\d+)_(.*?)(\.up)?\.sql$/.exec(name);
  const rest = request.sql.slice(1);
  const alone = request.migration.statements.length === 1;
  const moved = alone ? rest : request.sql;
  const taken = onceWhileReading(`sqlx versions\0${request.dir}`, () =>
    fileNames(request.dir).flatMap((n) => /^(\d+)_/.exec(n)?.[1] ?? []),
  );
  const versions = match?.[1] ? versionsAfter(match[1], taken, moved.length) : [];
  if (!match || !versions)
    return {
      help: `put it alone in a new migration whose first line is \`${NO_TX}\`, right after this one (no version is free between this file's and the next)`,
    };
  const reversible = Boolean(match[3]);
  const files = versions.flatMap((version, i) => {
    const stem = `${version}_${match[2]}_concurrently${i ? `_${i + 1}` : ""}`;
    const up = {
      path: besides(request.migration.file, `${stem}${reversible ? ".up" : ""}.sql`),
      text: `${NO_TX}\n${statementsText([moved[i] ?? ""])}`,
    };
    return reversible
      ? [
          up,
          {
            path: besides(request.migration.file, `${stem}.down.sql`),
            text: `${NO_TX}\n-- Undo ${stem}.up.sql here.\n`,
          },
        ]
      : [up];
  });
  if (!alone) return moveToNewMigrations(request, files, why);
  // The line goes first in the file: in the statement's replacement when the statement starts it.
  const { line, column } = request.statement.range;
  const atStart = line === 1 && column === 1;
  const header = atStart ? [] : [{ ...createFile(request.migration.file, `${NO_TX}\n`), create: false }];
  const kept = keepFirstInPlace(
    request,
    files,
    header,
    `start this file with \`${NO_TX}\` (${why})${
      files.length
        ? `, and ${moveHelp(
            files.map((f) => f.path),
            why,
          ).replace(/^move it/, "move what follows it")}`
        : ""
    }`,
  );
  if (atStart && kept.fix) kept.fix.replacement = `${NO_TX}\n${kept.fix.replacement}`;
  return kept;
}
