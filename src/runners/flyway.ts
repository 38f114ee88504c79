/**
 * Flyway SQL migrations for PostgreSQL: versioned `V<version>__<description>.sql` in version
 * order, then repeatable `R__<description>.sql` by description.
 */
import { dirname, resolve } from "node:path";
import { UserError } from "../errors.js";
import { statementShape } from "../parse/classify.js";
import { parseSql } from "../parse/sql.js";
import { SQL_MIGRATION_WORDS } from "../schema/change.js";
import { readText, repositoryRoot } from "../sources/read.js";
import { atLeast, compareVersions, exists, filesRecursive, isFile } from "./files.js";
import { besides, createFile, keepFirstInPlace, moveToNewMigrations, statementsText } from "./isolate.js";
import { DEFAULT_VERSION, flywayPinnedVersion } from "./pinned-version.js";
import type {
  IsolateRequest,
  Isolation,
  MigrationFileRef,
  PreparedSql,
  SqlRunner,
  StatementShape,
  TransactionModel,
} from "./runner.js";

// Flyway defaults: sqlMigrationPrefix V, repeatableSqlMigrationPrefix R, separator __, suffix .sql.
// Undo files (U…) and script configuration files (*.sql.conf) are not migrations to apply.
const VERSIONED = /^V(\d+(?:[._]\d+)*)__(.*)\.sql$/;
/** A Java (or Kotlin) migration class, `V<version>__<description>`, which Flyway runs in version order too. */
const CODE_MIGRATION = /^[VR]\d*(?:[._]\d+)*__.*\.(java|kt)$/;
const REPEATABLE = /^R__(.*)\.sql$/;

const CITATIONS = [
  "flyway/flyway flyway-database-postgresql …/postgresql/PostgreSQLParser.java detectCanExecuteInTransaction(): non-transactional are ^(CREATE|DROP)( UNIQUE)? INDEX CONCURRENTLY, ^REINDEX( VERBOSE)? (SCHEMA|DATABASE|SYSTEM), ^VACUUM, ^(CREATE|DROP) (DATABASE|TABLESPACE|SUBSCRIPTION), ^ALTER SYSTEM, ^DISCARD ALL, and ALTER TYPE … ADD VALUE only on PostgreSQL < 12; REINDEX INDEX/TABLE … CONCURRENTLY is NOT detected",
  "flyway/flyway flyway-core …/sqlscript/ParserSqlScript.java: executeInTransaction() is false as soon as one non-transactional statement is found; parse() throws 'Detected both transactional and non-transactional statements within the same migration (even though mixed is false)' unless mixed=true or the script config sets executeInTransaction",
  "flyway/flyway ParserSqlScript.executeInTransaction(): with mixed=true a mixed file runs entirely without a transaction, statement by statement in autocommit",
  "flyway/flyway tag flyway-4.1.0 PostgreSQLSqlStatementBuilder.java and SqlScript(allowMixedMigrations): non-transactional detection and the mixed setting first appear in Flyway 4.1.0",
  "flyway/flyway #1607 (merged 2017-04, Flyway 4.2.0): DROP INDEX CONCURRENTLY added to the detection",
  "https://documentation.red-gate.com/fd/flyway-execute-in-transaction-setting-277578997.html: executeInTransaction=false in a script configuration file (<script>.sql.conf) runs that script without a transaction",
  "https://documentation.red-gate.com/fd/migrations-184127470.html 'Versioned Migrations': a version is numeric parts separated by '.' or '_' (1.1 comes after 1 and before 2), and each must be unique",
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
  // flyway.table, default "flyway_schema_history" since Flyway 5 ("schema_version" before).
  historyTables: ["flyway_schema_history", "schema_version"],
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
  codeMigrations(dir) {
    return filesRecursive(dir)
      .filter((path) => CODE_MIGRATION.test(basename(path)))
      .map((path) => ({
        absPath: resolve(dir, path),
        what: "a Java-based migration, which Flyway runs in version order with the SQL ones",
      }));
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
  isolate,
};

/**
 * Flyway runs a migration made only of statements it knows to be non-transactional without a
 * transaction; for the others (REINDEX … CONCURRENTLY) a script config file with
 * executeInTransaction=false does it. A file that holds only this statement gets that config
 * when it needs one; otherwise the statement moves to a new versioned migration right after this
 * one (`<version>.1`), and the statements that must follow it to one more (`<version>.2`).
 */
function isolate(request: IsolateRequest): Isolation {
  const { statement, migration, model: txModel } = request;
  const first = request.sql[0] ?? "";
  const parsed = parseSql(first, "(fix)").statements[0];
  const shape = parsed ? statementShape(parsed.node) : null;
  const detected =
    shape !== null &&
    txModel.detectsNonTransactional &&
    (txModel.nonTransactionalShapes ?? []).includes(shape);
  const conf = (path: string) => createFile(`${path}.conf`, "executeInTransaction=false\n");
  const match = VERSIONED.exec(basename(request.ref.absPath));
  const files = (sql: string[][]) => {
    const versions = match?.[1] ? freeVersions(request.dir, match[1], sql.length) : null;
    if (!match || !versions) return null;
    return versions.map((version, i) => ({
      path: besides(migration.file, `V${version}__${match[2]}_concurrently${i ? "_2" : ""}.sql`),
      text: statementsText(sql[i] ?? []),
    }));
  };
  const rest = request.sql.slice(1);
  // Alone in its file, the statement stays: made only of it, the file runs without a
  // transaction (with a script config when Flyway does not see why); what follows it moves.
  if (migration.statements.length === 1 && statement.tx.reason !== "explicit") {
    const after = rest.length ? files([rest]) : [];
    const hasConf = isFile(`${request.ref.absPath}.conf`);
    if (after && (detected || !hasConf)) {
      const then = after.length
        ? `, and move what follows it to ${after.map((f) => basename(f.path)).join(", ")}`
        : "";
      return keepFirstInPlace(
        request,
        after,
        detected ? [] : [conf(migration.file)],
        detected
          ? `keep it alone in this file, which Flyway then runs without a transaction${then}`
          : `add ${basename(migration.file)}.conf with executeInTransaction=false (Flyway does not see that this statement cannot run in a transaction)${then}`,
      );
    }
  }
  const moved = files([[first], ...(rest.length ? [rest] : [])]);
  if (!moved) return { help: txModel.optOut ?? "put the statement in a migration of its own" };
  const move = moveToNewMigrations(
    request,
    moved,
    detected
      ? "Flyway runs a migration made only of it without a transaction"
      : "with a script config file executeInTransaction=false, since Flyway does not see that it cannot run in a transaction",
  );
  if (!detected && move.fix && moved[0]) move.fix.edits = [...(move.fix.edits ?? []), conf(moved[0].path)];
  return move;
}

/**
 * `count` versions after `current` (`<current>.1`, `<current>.2`, written with its separator) that
 * sort before the next versioned migration and that no migration has; null when none fit.
 */
function freeVersions(dir: string, current: string, count: number): string[] | null {
  const separator = current.includes("_") ? "_" : ".";
  const versions = filesRecursive(dir).flatMap((path) => VERSIONED.exec(basename(path))?.[1] ?? []);
  const next = versions.filter((v) => compareVersions(v, current) > 0).sort(compareVersions)[0];
  for (const stem of [current, `${current}${separator}0`, `${current}${separator}0${separator}0`]) {
    const out = Array.from({ length: count }, (_, i) => `${stem}${separator}${i + 1}`);
    const fits = out.every(
      (v) =>
        compareVersions(v, current) > 0 &&
        (next === undefined || compareVersions(v, next) < 0) &&
        !versions.some((taken) => compareVersions(taken, v) === 0),
    );
    if (fits) return out;
  }
  return null;
}

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
