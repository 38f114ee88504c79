/**
 * Flyway SQL migrations for PostgreSQL: versioned `V<version>__<description>.sql` in version
 * order, then repeatable `R__<description>.sql` by description.
 */
import { dirname, resolve } from "node:path";
import { UserError } from "../errors.js";
import { SQL_MIGRATION_WORDS } from "../schema/change.js";
import { readText, repositoryRoot } from "../sources/read.js";
import { atLeast, compareVersions, exists, filesRecursive } from "./files.js";
import { DEFAULT_VERSION, flywayPinnedVersion } from "./pinned-version.js";
import type { MigrationFileRef, PreparedSql, SqlRunner, StatementShape, TransactionModel } from "./runner.js";

// Flyway defaults: sqlMigrationPrefix V, repeatableSqlMigrationPrefix R, separator __, suffix .sql.
// Undo files (U…) and script configuration files (*.sql.conf) are not migrations to apply.
const VERSIONED = /^V(\d+(?:[._]\d+)*)__(.*)\.sql$/;
const REPEATABLE = /^R__(.*)\.sql$/;

const CITATIONS = [
  "flyway/flyway flyway-database-postgresql …/postgresql/PostgreSQLParser.java detectCanExecuteInTransaction(): non-transactional are ^(CREATE|DROP)( UNIQUE)? INDEX CONCURRENTLY, ^REINDEX( VERBOSE)? (SCHEMA|DATABASE|SYSTEM), ^VACUUM, ^(CREATE|DROP) (DATABASE|TABLESPACE|SUBSCRIPTION), ^ALTER SYSTEM, ^DISCARD ALL, and ALTER TYPE … ADD VALUE only on PostgreSQL < 12; REINDEX INDEX/TABLE … CONCURRENTLY is NOT detected",
  "flyway/flyway flyway-core …/sqlscript/ParserSqlScript.java: executeInTransaction() is false as soon as one non-transactional statement is found; parse() throws 'Detected both transactional and non-transactional statements within the same migration (even though mixed is false)' unless mixed=true or the script config sets executeInTransaction",
  "flyway/flyway ParserSqlScript.executeInTransaction(): with mixed=true a mixed file runs entirely without a transaction, statement by statement in autocommit",
  "flyway/flyway tag flyway-4.1.0 PostgreSQLSqlStatementBuilder.java and SqlScript(allowMixedMigrations): non-transactional detection and the mixed setting first appear in Flyway 4.1.0",
  "flyway/flyway #1607 (merged 2017-04, Flyway 4.2.0): DROP INDEX CONCURRENTLY added to the detection",
  "https://documentation.red-gate.com/fd/flyway-execute-in-transaction-setting-277578997.html: executeInTransaction=false in a script configuration file (<script>.sql.conf) runs that script without a transaction",
  "flyway/flyway #3497, #3682: since 9.1.2 the PostgreSQL transactional advisory lock can make a non-transactional migration wait forever (set postgresql.transactional.lock=false); not a transaction-block issue",
];

const ALL_DETECTED: readonly StatementShape[] = [
  "create-index-concurrently",
  "drop-index-concurrently",
  "reindex-schema-database-system",
  "vacuum",
  "create-or-drop-database",
  "create-or-drop-tablespace",
  "create-or-drop-subscription",
  "alter-system",
  "discard-all",
];

function model(version: string | null): TransactionModel {
  // Before 4.1.0 Flyway wrapped every SQL migration in a transaction and had no detection.
  const detects = atLeast(version, "4.1");
  return {
    // DbMigrate: each migration runs in its own transaction unless it cannot (group=true is opt-in).
    fileInTransaction: true,
    allFilesInOneTransaction: false,
    // Flyway's parser splits the script and executes statement by statement over JDBC.
    fileSentAsOneString: false,
    detectsNonTransactional: detects,
    // ParserSqlScript.parse(): a mixed file is refused unless mixed=true (then it runs without a transaction).
    refusesMixedFile: detects,
    nonTransactionalShapes: detects
      ? ALL_DETECTED.filter((shape) => shape !== "drop-index-concurrently" || atLeast(version, "4.2"))
      : [],
    optOut:
      "put the statement in a migration of its own (Flyway then runs it without a transaction), or add a script config file <migration>.sql.conf with executeInTransaction=false",
    citations: CITATIONS,
  };
}

/**
 * Flyway replaces `${name}` placeholders before it runs a script (placeholderReplacement is on by
 * default). Their values live in Flyway's config, which we do not read, so each becomes an
 * identifier of the same length (`${schema}` → `__schema_`): positions stay exact, and the SQL
 * parses as Flyway would send it.
 */
export function withoutPlaceholders(text: string): string {
  return text.replace(
    /\$\{([A-Za-z0-9_.:-]+)\}/g,
    (_, name: string) => `__${name.replace(/[^A-Za-z0-9_]/g, "_")}_`,
  );
}

export const flywayRunner: SqlRunner = {
  kind: "migrations",
  id: "flyway",
  name: "Flyway",
  describe: "Flyway (V<version>__*.sql)",
  words: SQL_MIGRATION_WORDS,
  exampleFile: "V1__example.sql",
  versioned: true,
  detect: (dir) => filesRecursive(dir).some((path) => VERSIONED.test(basename(path))),
  list(dir): MigrationFileRef[] {
    // Flyway scans its filesystem locations recursively.
    const files = filesRecursive(dir);
    const versioned = files
      .map((path) => ({ path, match: VERSIONED.exec(basename(path)) }))
      .filter((f): f is { path: string; match: RegExpExecArray } => f.match !== null)
      .map((f) => ({ path: f.path, version: f.match[1] ?? "" }))
      // MigrationVersion: "_" and "." both separate numeric parts; 1 and 1.0 are the same version.
      .sort((a, b) => compareVersions(a.version, b.version) || (a.path < b.path ? -1 : 1));
    const repeatable = files
      .map((path) => ({ path, match: REPEATABLE.exec(basename(path)) }))
      .filter((f): f is { path: string; match: RegExpExecArray } => f.match !== null)
      .map((f) => ({ path: f.path, description: f.match[1] ?? "" }))
      .sort((a, b) => (a.description < b.description ? -1 : a.description > b.description ? 1 : 0));
    return [
      ...versioned.map((f) => ({ absPath: resolve(dir, f.path), id: f.version.replace(/_/g, ".") })),
      ...repeatable.map((f) => ({ absPath: resolve(dir, f.path), id: `R__${f.description}` })),
    ];
  },
  prepare(raw, ref): PreparedSql {
    const text = withoutPlaceholders(raw);
    const confPath = `${ref.absPath}.conf`;
    let setting: ReturnType<typeof scriptConfig>;
    if (exists(confPath)) {
      const conf = readText(confPath, repositoryRoot(dirname(confPath)));
      // Flyway would read it (and fail on what it cannot read); a guess would be wrong either way.
      if ("problem" in conf)
        throw new UserError(`its script configuration ${basename(confPath)} was not read: ${conf.problem}`);
      setting = scriptConfig(conf.text, "executeInTransaction");
    }
    if (setting?.value === "false") {
      return {
        sql: text,
        noTransaction: true,
        optOutSource: `executeInTransaction=false in ${basename(confPath)} on line ${setting.line}`,
      };
    }
    return { sql: text, noTransaction: false };
  },
  pinnedVersion: (dir) => flywayPinnedVersion(dir) ?? DEFAULT_VERSION,
  model,
};

/** A `key=value` line of a Flyway script configuration file. */
function scriptConfig(text: string, key: string): { value: string; line: number } | undefined {
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const match = /^\s*([A-Za-z.]+)\s*=\s*(.*?)\s*$/.exec(raw);
    if (match && match[1] === key) return { value: (match[2] ?? "").toLowerCase(), line: i + 1 };
  }
  return undefined;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
