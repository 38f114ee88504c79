/**
 * Diesel (diesel_migrations, and the `diesel migration run` CLI built on it): one folder per
 * migration, `migrations/<version>_<name>/up.sql` (+ `down.sql`, never run by `run`), with an
 * optional `metadata.toml` holding `run_in_transaction = false`.
 *
 * Sources (diesel-rs/diesel at 04cc1b0, 2026-08; tags v1.4.8 and v2.0.0 for the version split):
 * - diesel_migrations/src/migration_harness.rs `run_migration()`: `self.transaction(apply_migration)`
 *   when `migration.metadata().run_in_transaction()`, else `apply_migration(self)` bare; every
 *   pending migration gets its own call, so each runs in its own transaction.
 * - diesel_migrations/src/file_based_migrations.rs `run_sql_from_file()`: the whole up.sql goes to
 *   `conn.batch_execute(&sql)`, which for `PgConnection` is one libpq `PQexec`: a simple query, so
 *   a multi-statement file runs in PostgreSQL's implicit transaction even with
 *   `run_in_transaction = false`, as the module's own "Transactions" doc warns. An empty up.sql
 *   is refused (`RunMigrationsError::EmptyMigration`).
 * - diesel_migrations/migrations_internals/src/lib.rs: `TomlMetadata` reads metadata.toml with
 *   `#[serde(default)] run_in_transaction: bool`, and the caller falls back to
 *   `TomlMetadata::default()` (true) with `unwrap_or_default()`: no file, or a file that is not
 *   valid TOML, means a transaction; a valid file without the key means none (bool's default).
 *   `version_from_string()` takes the folder name up to its first `_` and drops every `-`;
 *   `migrations_directories()` skips files, dot folders and empty folders, and
 *   `FileBasedMigrations::from_path()` refuses a folder without an up.sql.
 * - migration_harness.rs `pending_migrations()`: sorted by that version as a string.
 * - Diesel 1.x (v1.4.8 migrations_internals `run_migration()`): `conn.transaction(|| …)` around
 *   every migration, with no metadata.toml: `run_in_transaction` came with the harness rewrite
 *   (commit 35d68bafd, first released in 2.0.0).
 */
import { basename, dirname, join, posix, resolve } from "node:path";
import { UserError } from "../errors.js";
import { SQL_MIGRATION_WORDS } from "../schema/change.js";
import { readTextNear } from "../sources/read.js";
import { atLeast, byVersionThenName, entries, isFile, onceWhileReading } from "./files.js";
import { moveToNewMigrations, statementsText } from "./isolate.js";
import { fileTransactionOneString } from "./models.js";
import { cargoPinnedVersion, DEFAULT_VERSION } from "./pinned-version.js";
import type {
  IsolateRequest,
  Isolation,
  MigrationFileRef,
  PreparedSql,
  SqlRunner,
  TransactionModel,
} from "./runner.js";

/** The first Diesel release that reads `run_in_transaction` from metadata.toml. */
export const DIESEL_OPT_OUT_SINCE = "2.0.0";

const CITATIONS = [
  "diesel-rs/diesel diesel_migrations/src/migration_harness.rs run_migration(): self.transaction(apply_migration) unless the migration's metadata says run_in_transaction = false",
  "diesel-rs/diesel diesel_migrations/src/file_based_migrations.rs run_sql_from_file(): conn.batch_execute(&sql) sends the whole up.sql as one string (PQexec, a simple query), so several statements share PostgreSQL's implicit transaction even without Diesel's (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT)",
  "diesel-rs/diesel diesel_migrations/migrations_internals/src/lib.rs TomlMetadata: #[serde(default)] run_in_transaction: bool, read with unwrap_or_default(); version_from_string() drops the '-' of the folder name's first '_' part",
  "diesel-rs/diesel v1.4.8 migrations_internals run_migration(): conn.transaction(|| …) around every migration, with no opt-out (metadata.toml arrived with the 2.0.0 harness, commit 35d68bafd)",
];

function model(version: string | null): TransactionModel {
  const optOut = atLeast(version, DIESEL_OPT_OUT_SINCE)
    ? "put the statement alone in a migration of its own whose metadata.toml says `run_in_transaction = false` (Diesel still sends up.sql as one string)"
    : null;
  return fileTransactionOneString(optOut, CITATIONS);
}

/** The part of a folder name Diesel orders by: up to the first `_`, without `-`. */
export function dieselVersion(folder: string): string {
  return (folder.split("_")[0] ?? folder).replaceAll("-", "");
}

/** The migration folders Diesel reads: not a dot folder, not empty. */
function migrationFolders(dir: string): readonly string[] {
  return onceWhileReading(`diesel migrationFolders\0${dir}`, () =>
    entries(dir)
      .filter((e) => e.isDirectory() && !e.name.startsWith(".") && entries(join(dir, e.name)).length > 0)
      .map((e) => e.name),
  );
}

/** The versions the migration folders of `dir` take: as text, and as numbers in ascending order. */
function takenVersions(dir: string): { taken: ReadonlySet<string>; ascending: readonly bigint[] } {
  return onceWhileReading(`diesel versions\0${dir}`, () => {
    const taken = new Set(migrationFolders(dir).map(dieselVersion));
    const ascending = [...taken].map((v) => BigInt(v)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { taken, ascending };
  });
}

/**
 * What metadata.toml says, as Diesel's serde reads it: the top-level `run_in_transaction` key.
 * Returns null when there is no file or Diesel would fall back to the default (not TOML it reads).
 */
export function readRunInTransaction(text: string): { value: boolean; line: number | null } | null {
  let inTable = false;
  let found: { value: boolean; line: number } | null = null;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/\s+#.*$|^\s*#.*$/, "").trim();
    if (line === "") continue;
    if (line.startsWith("[")) {
      inTable = true;
      continue;
    }
    const pair = /^([A-Za-z0-9_-]+|"[^"]*")\s*=\s*(.+)$/.exec(line);
    if (!pair) return null; // not TOML Diesel could parse: unwrap_or_default() → a transaction
    if (inTable) continue;
    const key = pair[1]?.replace(/^"|"$/g, "");
    if (key !== "run_in_transaction") continue;
    if (pair[2] === "true" || pair[2] === "false") found = { value: pair[2] === "true", line: i + 1 };
    else return null; // a wrong type fails deserialisation: the default again
  }
  // serde(default) on a bool: a valid file without the key reads as false.
  return found ?? { value: false, line: null };
}

export const dieselRunner: SqlRunner = {
  kind: "migrations",
  id: "diesel",
  name: "Diesel",
  describe: "Diesel (migrations/*/up.sql)",
  words: SQL_MIGRATION_WORDS,
  exampleFile: "2024-01-01-000000_example/up.sql",
  versioned: true,
  // diesel_migrations records applied versions in "__diesel_schema_migrations".
  historyTables: ["__diesel_schema_migrations"],
  detect: (dir) => migrationFolders(dir).some((name) => isFile(join(dir, name, "up.sql"))),
  list(dir): MigrationFileRef[] {
    const folders = migrationFolders(dir);
    for (const name of folders) {
      if (!isFile(join(dir, name, "up.sql"))) {
        throw new UserError(
          `Diesel refuses the migrations folder: "${name}" has no up.sql (UnknownMigrationFormat)`,
          join(dir, name),
        );
      }
    }
    return folders
      .map((name) => ({ name, version: dieselVersion(name) }))
      .sort(byVersionThenName)
      .map((f) => ({ absPath: resolve(dir, f.name, "up.sql"), id: f.name }));
  },
  isolate,
  prepare(text, ref): PreparedSql {
    if (text.length === 0)
      throw new UserError("Diesel refuses an empty up.sql (EmptyMigration)", ref.absPath);
    const metadataPath = join(dirname(ref.absPath), "metadata.toml");
    const metadata = isFile(metadataPath) ? readTextNear(metadataPath, dirname(metadataPath)) : null;
    const setting = metadata === null ? null : readRunInTransaction(metadata);
    if (!setting || setting.value) return { sql: text, noTransaction: false };
    return {
      sql: text,
      noTransaction: true,
      optOutSource:
        setting.line === null
          ? "metadata.toml, which has no run_in_transaction key (Diesel reads that as false)"
          : `run_in_transaction = false in metadata.toml on line ${setting.line}`,
    };
  },
  // diesel_migrations is released with diesel; `diesel migration run` users may pin only diesel.
  pinnedVersion: (dir) => cargoPinnedVersion(dir, ["diesel_migrations", "diesel"]) ?? DEFAULT_VERSION,
  model,
};

/**
 * Diesel 2.0+ runs a migration whose metadata.toml says `run_in_transaction = false` outside a
 * transaction, and sends up.sql as one string, so one statement alone there runs in autocommit.
 * Each statement moves to a migration folder of its own, versioned one second after this one in
 * Diesel's `YYYY-MM-DD-HHMMSS` form, with that metadata.toml and a down.sql to fill in.
 */
function isolate(request: IsolateRequest): Isolation {
  if (request.version !== null && !atLeast(request.version, DIESEL_OPT_OUT_SINCE))
    return {
      help: `Diesel ${request.version} runs every migration in a transaction (run_in_transaction arrived in 2.0): upgrade, or build the index outside Diesel`,
    };
  const folder = basename(dirname(request.ref.absPath));
  const match = /^(\d{4})-(\d{2})-(\d{2})-(\d{6})(-\d+)?_(.*)$/.exec(folder);
  const { taken, ascending } = takenVersions(request.dir);
  const names: string[] = [];
  if (match) {
    const [, y, mo, d, hms, , name] = match;
    let version = BigInt(`${y}${mo}${d}${hms}`);
    const current = version;
    const next = ascending.find((v) => v > current);
    for (let i = 0; i < request.sql.length; i++) {
      version += 1n;
      const digits = version.toString();
      // A second past the current time of day must still be a time Diesel would write.
      if ((next !== undefined && version >= next) || Number(digits.slice(-2)) > 59 || taken.has(digits))
        break;
      names.push(
        `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}-${digits.slice(8)}_${name}_concurrently${i ? `_${i + 1}` : ""}`,
      );
    }
  }
  if (names.length !== request.sql.length)
    return {
      help: "put it alone in a new migration folder that runs right after this one, with run_in_transaction = false in its metadata.toml (no version is free between this migration and the next)",
    };
  const root = posix.dirname(posix.dirname(request.migration.file));
  const files = names.flatMap((name, i) => [
    { path: posix.join(root, name, "up.sql"), text: statementsText([request.sql[i] ?? ""]) },
    { path: posix.join(root, name, "metadata.toml"), text: "run_in_transaction = false\n" },
    { path: posix.join(root, name, "down.sql"), text: "-- Undo the statement in up.sql here.\n" },
  ]);
  const why =
    "Diesel runs a migration with run_in_transaction = false in its metadata.toml outside a transaction";
  return moveToNewMigrations(request, files, why, names);
}
