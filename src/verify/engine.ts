/**
 * The database `verify` applies migrations to: a scratch database on a PostgreSQL server, or
 * embedded PGlite. Everything above this interface is the same for both.
 */

/** A server error, as both drivers report it. */
export interface DatabaseError {
  message: string;
  /** SQLSTATE, e.g. "25001". */
  code: string;
  /** 1-based character position in the query text, when PostgreSQL reports one. */
  position?: number;
  detail?: string;
  hint?: string;
}

/**
 * The error both engines throw for a statement PostgreSQL rejected. Driver errors are mapped to it,
 * so callers see one shape (position as a number) whichever engine ran the statement.
 */
export class SqlError extends Error implements DatabaseError {
  override name = "SqlError";
  readonly code: string;
  readonly position?: number;
  readonly detail?: string;
  readonly hint?: string;
  constructor(fields: DatabaseError) {
    super(fields.message);
    this.code = fields.code;
    if (fields.position !== undefined) this.position = fields.position;
    if (fields.detail) this.detail = fields.detail;
    if (fields.hint) this.hint = fields.hint;
  }
}

/**
 * Values come back the same from both engines: int8 as a number, arrays (name[] too) as arrays,
 * numeric and interval as text, timestamps as Date, json as objects.
 */
export interface QueryResult<Row = Record<string, unknown>> {
  rows: Row[];
}

export interface Connection {
  /** One statement, with optional parameters (extended protocol). */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
  /**
   * A string of one or more statements sent as one simple query, as golang-migrate and psql's
   * `-c` send it: PostgreSQL runs several statements in one implicit transaction. Returns the
   * result of each statement.
   */
  exec(sql: string): Promise<QueryResult[]>;
  /** The backend's process id (pg_backend_pid()). */
  pid(): Promise<number>;
}

export interface Engine {
  kind: "server" | "pglite";
  /** "PostgreSQL 15.19", "PostgreSQL 18.6 (PGlite 0.5.16)". */
  version: string;
  /** server_version_num, e.g. 150019. */
  versionNum: number;
  /** Where the migrations are applied, for messages; never contains a password. */
  description: string;
  /** The connection that applies the migrations. */
  main: Connection;
  /**
   * A second connection to the same database, to watch locks that the main one takes while a
   * statement runs (CONCURRENTLY). Null where the engine has only one (PGlite).
   */
  observer: Connection | null;
  /** How the engine started, for the report and the benchmark. */
  startup: { ms: number; from: "server" | "snapshot" | "initdb" };
  /**
   * The end of the run's time budget (ms since epoch), from --timeout. A statement still running
   * then is stopped from outside its session; later calls get RUN_GRACE_MS more to read back what
   * was applied, then the engine stops. Undefined: no budget.
   */
  setDeadline(at: number | undefined): void;
  /**
   * Closes connections and drops the scratch database and role (or, in a database given with
   * --use-existing-database, drops what the run created). Safe to call twice, and while a statement
   * runs: that statement then fails with a UserError, since the tool ended it, not PostgreSQL's
   * judgement of the SQL. Throws a UserError only when the scratch database or role could not be
   * dropped, naming it.
   */
  close(): Promise<void>;
}

export interface OpenEngineOptions {
  /** From --database-url. Wins over the environment. */
  databaseUrl?: string;
  /** Allows an empty existing database when the role cannot create one. Never a non-empty one. */
  useExistingDatabase?: boolean;
  /** Per statement; default 5 minutes; 0 turns it off. */
  statementTimeoutMs?: number;
  /** Where PG_INDEX_LINT_DATABASE_URL is read from. DATABASE_URL is never read. */
  env: NodeJS.ProcessEnv;
  /** Extensions the migrations create; PGlite loads those it bundles. A server ignores it. */
  extensions?: string[];
  /** Lines worth showing while the engine starts or stops (fallbacks, cleanup). */
  onProgress?(line: string): void;
  /** Directory of the PGlite snapshot; default build/pglite in the package. */
  pgliteSnapshotDir?: string;
  /**
   * Apply the migrations as the role in the URL (--trust-migrations). By default, when that role
   * can create roles, they run as a throwaway role that owns only the scratch database.
   */
  trustMigrations?: boolean;
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 5 * 60_000;

/**
 * True for an error PostgreSQL reported, with a SQLSTATE. Node's own errors also carry a string
 * `code` ("ECONNRESET"), so the code must look like a SQLSTATE: five digits or capitals.
 */
export function isDatabaseError(error: unknown): error is DatabaseError {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code);
}
