/**
 * What every migration runner module provides. A runner knows three things: which files are its
 * migrations and in what order, what part of a file is the "up" SQL, and how it wraps that SQL in
 * transactions. The last is data (`TransactionModel`), read by both `check` and `verify`.
 */
import type { FileEdit } from "../finding.js";
import type { InlineIgnore, InputError, Migration, SourceRange, Statement } from "../model.js";
import type { StatementShape } from "../parse/classify.js";
import type { Words } from "../schema/change.js";

export type { StatementShape } from "../parse/classify.js";

/** A migration file found on disk, in the order the runner applies it. */
export interface MigrationFileRef {
  /** Absolute path. */
  absPath: string;
  /** The runner's name for the migration: version, timestamp directory, journal tag… */
  id: string;
}

/** The SQL a runner would send, plus what the file says about its own transaction handling. */
export interface PreparedSql {
  /**
   * The file's text with everything the runner does not run (e.g. dbmate's `-- migrate:down`
   * section) replaced by spaces, keeping every newline, so that offsets, lines and columns still
   * point into the original file.
   */
  sql: string;
  /** The file opted out of the runner's transaction (dbmate `transaction:false`, Flyway script config…). */
  noTransaction: boolean;
  /** Where the opt-out was read from, for messages: "-- migrate:up transaction:false on line 1". */
  optOutSource?: string;
  /**
   * Parts of the file that the runner sends separately, each with its own transaction handling
   * (dbmate ≥ 2.29 runs every `-- migrate:up` section of a file on its own). Absent: the whole
   * file is one unit, governed by `noTransaction`.
   */
  sections?: PreparedSection[];
}

/** One part of a file that the runner sends on its own. Offsets index `PreparedSql.sql`. */
export interface PreparedSection {
  start: number;
  end: number;
  noTransaction: boolean;
  optOutSource?: string;
  /** How messages name the part, e.g. "the -- migrate:up section on line 4". */
  label: string;
}

/** The runner's version as the model assumes it, and where that came from. */
export interface AssumedVersion {
  /** null when unknown: the model then assumes the latest behaviour. */
  version: string | null;
  /** e.g. "config", "package.json (prisma ^5.22.0)", "package-lock.json", "go.mod", "default". */
  source: string;
}

export interface TransactionModel {
  /** The runner wraps each file in its own transaction unless the file opts out. */
  fileInTransaction: boolean;
  /** All pending files run in one shared transaction (Drizzle's migrator, Alembic's default). */
  allFilesInOneTransaction: boolean;
  /**
   * A file is sent to the server as one multi-statement string (the simple query protocol), so
   * PostgreSQL runs it in an implicit transaction block when it holds more than one statement.
   */
  fileSentAsOneString: boolean;
  /**
   * The runner itself notices statements that cannot run in a transaction (Flyway) and runs a file
   * made only of them outside one.
   */
  detectsNonTransactional: boolean;
  /** The runner refuses a file that mixes transactional and non-transactional statements. */
  refusesMixedFile: boolean;
  /**
   * With `detectsNonTransactional`: the statement shapes the runner recognises as unable to run in
   * a transaction. Shapes missing here run in the runner's transaction even though PostgreSQL
   * refuses them there (Flyway does not recognise `REINDEX … CONCURRENTLY`).
   */
  nonTransactionalShapes?: readonly StatementShape[];
  /**
   * The runner splits a file into statements itself, but sends the whole file as one string when
   * its splitter cannot parse a statement of one of these shapes (Prisma ≥ 7.4 and `DROP INDEX
   * CONCURRENTLY`). Only meaningful when `fileSentAsOneString` is false.
   */
  splitFallbackOn?: readonly StatementShape[];
  /**
   * The runner sends a file's statements one by one but as one pipeline of extended-protocol
   * messages closed by a single Sync (pgx's ExecBatch, the Supabase CLI). PostgreSQL runs the
   * pipeline in one implicit transaction, except that a statement that must run outside one
   * (CONCURRENTLY…) still runs, and commits at once, when it opens the pipeline: as the file's
   * first statement, or right after a COMMIT or ROLLBACK.
   * Only meaningful when `fileSentAsOneString` and `fileInTransaction` are false.
   */
  pipelined?: boolean;
  /**
   * How a file opts out, in words for the help line; null when it cannot. With null, the runner
   * has no opt-out at this version, so what a file says about one (`PreparedSql.noTransaction`)
   * is ignored (Diesel before 2.0 reads no metadata.toml; sqlx before 0.8 no `-- no-transaction`).
   */
  optOut: string | null;
  /** Sources for each fact above: doc pages, source files, issues. */
  citations: string[];
}

interface RunnerBase {
  kind: "migrations";
  id: string;
  /** How messages name the tool: "Flyway", "drizzle-orm's migrator". */
  name: string;
  /** A short phrase for the text output, e.g. "golang-migrate (*.up.sql)". */
  describe: string;
  /** How advice names the runner's own way of shipping a change (src/schema/change.ts). */
  words: Words;
  /** The path a lone migration gets in this runner's layout, for examples and tests. */
  exampleFile: string;
  /** Its transaction behaviour changed across versions, so the model depends on the pinned one. */
  versioned: boolean;
  /**
   * The tables the runner itself creates to record what it applied (golang-migrate's
   * `schema_migrations`), by their default names: migrations may alter them, and they are never
   * unknown to the database. Qualified with a schema when the runner puts them in one of its own.
   */
  historyTables?: readonly string[];
  /** Does `dir` look like this runner's migrations folder? Used when the config names no runner. */
  detect(dir: string): boolean;
  /** The migration files under `dir`, in apply order. Throws `UserError` on a broken layout. */
  list(dir: string): MigrationFileRef[];
  /**
   * Migrations under `dir` that the runner also runs but that are code, not SQL (Flyway's Java
   * migrations, goose's Go ones): the tool cannot read them, and says so rather than skip them.
   */
  codeMigrations?(dir: string): { absPath: string; what: string }[];
  /** Reads the pinned runner version from `package.json`, lock files, `go.mod`, … near `dir`. */
  pinnedVersion(dir: string): AssumedVersion;
  /** The transaction model for a version (null: latest). */
  model(version: string | null): TransactionModel;
  /**
   * The transaction model when it depends on the project's own setup and not only on the version
   * (Alembic's `transaction_per_migration=True` in env.py). Absent: `model(version)`.
   */
  modelAt?(dir: string, version: string | null): TransactionModel;
  /**
   * How to run statements outside a transaction in this runner, in place of `request.statement`:
   * a new migration named in the runner's convention, or the runner's own opt-out. Absent: the
   * help names the model's `optOut` and no fix is offered (`defaultIsolation`).
   */
  isolate?(request: IsolateRequest): Isolation;
}

/** What a rule asks a runner: run `sql` where `statement` is, outside any transaction. */
export interface IsolateRequest {
  /** The migrations folder of the entry (absolute). */
  dir: string;
  ref: MigrationFileRef;
  migration: Migration;
  /** The file's text as read (the runner edits it). */
  text: string;
  statement: Statement;
  /**
   * What replaces the statement, in order: the first must run outside a transaction block (a
   * CONCURRENTLY statement), the others right after it, in any transaction.
   */
  sql: string[];
  model: TransactionModel;
  /** The runner's version as the model assumes it. */
  version: string | null;
}

/** A runner's answer: how, in words, and the edits that do it when they can be made safely. */
export interface Isolation {
  /** One sentence, ending in its own punctuation. */
  help: string;
  fix?: {
    /** Replaces the statement's range (or `range`). */
    replacement: string;
    range?: SourceRange;
    edits?: FileEdit[];
    /** The fix edits the code that generates the statement, not the statement's SQL. */
    code?: boolean;
  };
}

/** A runner of SQL files: the pipeline parses what `prepare` extracts. */
export interface SqlRunner extends RunnerBase {
  /** Extracts the SQL the runner runs from a file's text. */
  prepare(text: string, ref: MigrationFileRef): PreparedSql;
  load?: never;
}

/**
 * A runner whose migrations are code (Alembic's Python revisions): it turns a file into located
 * statements itself, in place of prepare → parseSql → assignTransactions. Statements keep
 * libpg-query ASTs, so rules cannot tell the difference.
 */
export interface CodeRunner extends RunnerBase {
  load(
    text: string,
    ref: MigrationFileRef,
    model: TransactionModel,
    label: string,
    part?: "upgrade" | "downgrade",
  ): LoadedMigration;
  prepare?: never;
}

export type Runner = SqlRunner | CodeRunner;

/** What `Runner.load` yields for one file. */
export interface LoadedMigration {
  statements: Statement[];
  errors: InputError[];
  ignores: InlineIgnore[];
  /** Constructs that were skipped because they cannot be read statically; reported as `unsupported-construct`. */
  warnings?: InputError[];
  /**
   * For statements generated from code: maps a parser location inside the statement's SQL to the
   * code behind that clause (a foreign key's `Column(...)`), for the replay's clause locations.
   */
  locators?: Map<Statement, (byteLocation: number | undefined) => SourceRange>;
}
