/**
 * A PostgreSQL server as the verify engine. Migrations never run in the database the URL names:
 * they run in a scratch database `pg_index_lint_<unix seconds>_<hex>` that is dropped at the end,
 * on failure and on SIGINT/SIGTERM. Only when the role cannot create databases, and the user passes
 * --use-existing-database, does it use the given database, and only when that holds nothing beyond
 * what a fresh database made from template1 holds.
 *
 * A pull request's SQL is untrusted. When the URL's role can create roles, the migrations run as a
 * throwaway role `pgindexlint_<same suffix>`, `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
 * NOBYPASSRLS`, that owns the scratch database and its public schema and nothing else, on a
 * connection of its own (never SET ROLE, which the SQL could RESET). The role is dropped with the
 * database, which also settles whatever the SQL changed about it (ALTER ROLE CURRENT_USER …).
 * The connections that watch locks, cancel statements and clean up keep the URL's role.
 *
 * Extensions: as the database's owner the role may create the extensions whose control file says
 * `trusted = true` (PostgreSQL 13+: pg_trgm, pgcrypto, citext, hstore, uuid-ossp…). Any other
 * fails with PostgreSQL's 42501 and a sentence on --trust-migrations. They are deliberately not
 * created beforehand by the privileged role: an untrusted extension is one the server's
 * administrators judged unsafe to hand to non-superusers (dblink, postgres_fdw, file_fdw and
 * adminpack reach outside the database), a pre-created one makes a migration's plain
 * CREATE EXTENSION fail with 42710, and running CREATE EXTENSION as a superuser in a schema the
 * SQL under review owns is what the docs warn against ("Security Considerations for Extensions";
 * CVE-2023-39417).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import pg from "pg";
import { UserError } from "../errors.js";
import { beyondTemplate, describeObjects, listContents } from "./emptiness.js";
import {
  type Connection,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  type Engine,
  isDatabaseError,
  type OpenEngineOptions,
  type QueryResult,
  SqlError,
} from "./engine.js";
import {
  dropLeftovers,
  LEFTOVER_AGE_MS,
  type LeftoverReport,
  MANUAL_LEFTOVER_AGE_MS,
  quoteIdent,
  scratchNames,
} from "./scratch.js";
import { CANCEL_GRACE_MS, type CallLimit, excerpt, type LimitReason, TimeLimits } from "./time-limits.js";

const APPLICATION_NAME = "pg-index-lint";
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The URL with its password replaced by `***`, in the user-info part and in a `password=` query
 * parameter (libpq accepts both). Works on strings that are not valid URLs too.
 */
export function maskUrl(url: string): string {
  let out = url;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(out);
  if (scheme) {
    const start = scheme[0].length;
    const rest = out.slice(start);
    const end = rest.search(/[/?#]/);
    const authority = end === -1 ? rest : rest.slice(0, end);
    // The user-info ends at the last "@" of the authority: an unencoded "@" may sit in a password.
    const at = authority.lastIndexOf("@");
    if (at !== -1) {
      const userInfo = authority.slice(0, at);
      const colon = userInfo.indexOf(":");
      if (colon !== -1) {
        out = `${out.slice(0, start)}${userInfo.slice(0, colon)}:***${out.slice(start + at)}`;
      }
    }
  }
  // Query-string form, and the keyword/value form of libpq connection strings.
  out = out.replace(/([?&]password=)[^&#]*/gi, "$1***");
  out = out.replace(/(^|\s)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, "$1$2***");
  return out;
}

/** pg's defaults differ from PGlite's for a few types; align them (see QueryResult). */
// pg's TypeId names scalar types only; 1009 is text[].
const textArray = (pg.types.getTypeParser as (oid: number) => (value: string) => unknown)(1009);
const typeParsers: Record<number, (value: string) => unknown> = {
  20: (v) => Number(v), // int8
  1016: (v) => (textArray(v) as string[]).map(Number), // int8[]
  1003: textArray, // name[]
  1186: (v) => v, // interval
  1187: textArray, // interval[]
};
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    (format ?? "text") === "text" && typeParsers[oid]
      ? typeParsers[oid]
      : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
};

interface Target {
  url: string;
  masked: string;
}

function clientFor(url: string, statementTimeoutMs: number): pg.Client {
  const client = new pg.Client({
    connectionString: url,
    application_name: APPLICATION_NAME,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    types,
    // Sent in the startup packet, so the limit holds from the first statement on.
    ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
  });
  // An idle client whose backend goes away (DROP DATABASE … FORCE, a server restart) emits
  // "error"; without a listener Node would crash. The next query reports the problem instead.
  client.on("error", () => {});
  return client;
}

/** One clear line for a failed connection attempt; never a stack, never a password. */
function connectError(error: unknown, target: Target, what: string): UserError {
  const e = error as { code?: string; message?: string };
  const where = what ? `${what} ${target.masked}` : target.masked;
  if (isDatabaseError(e)) {
    if (e.code === "28P01" || e.code === "28000")
      return new UserError(`cannot log in to ${where}: ${e.message}`);
    return new UserError(`cannot connect to ${where}: ${e.message} (SQLSTATE ${e.code})`);
  }
  switch (e.code) {
    case "ECONNREFUSED":
      return new UserError(`cannot connect to ${where}: connection refused; is PostgreSQL running there?`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new UserError(`cannot connect to ${where}: unknown host`);
    case "ETIMEDOUT":
      return new UserError(`cannot connect to ${where}: timed out`);
  }
  const message = (e.message ?? String(error)).split("\n")[0] ?? "";
  if (/timeout/i.test(message)) {
    return new UserError(`cannot connect to ${where}: no answer within ${CONNECT_TIMEOUT_MS / 1000} s`);
  }
  return new UserError(`cannot connect to ${where}: ${message}`);
}

async function connect(url: string, target: Target, statementTimeoutMs: number, what: string) {
  const client = clientFor(url, statementTimeoutMs);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw connectError(error, target, what);
  }
  return client;
}

/** What the applying session's errors need to know about the engine around it. */
interface MainContext {
  target: Target;
  closing(): boolean;
  limits: TimeLimits;
  /** Sends pg_cancel_backend or pg_terminate_backend for the applying backend, from a privileged session. */
  signal(kind: "cancel" | "terminate"): Promise<void>;
  /** Set when the migrations run as the throwaway role: added to a permission error. */
  restrictedNote?: string;
}

/** Maps pg's errors: SQLSTATE errors to SqlError, a lost connection to a UserError. */
function mapError(error: unknown, target: Target, closing: () => boolean, restrictedNote?: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  // Closing ends the sessions; whatever the statement then reports (57P01 from the backend, or a
  // closed socket, whichever arrives first), the tool stopped it, not PostgreSQL's judgement of it.
  if (closing()) return new UserError(`the verify database was closed while a statement ran (${message})`);
  if (isDatabaseError(error)) {
    const e = error as { message: string; code: string; position?: string; detail?: string; hint?: string };
    return new SqlError({
      message: e.code === "42501" && restrictedNote ? `${e.message} ${restrictedNote}` : e.message,
      code: e.code,
      ...(e.position ? { position: Number(e.position) } : {}),
      ...(e.detail ? { detail: e.detail } : {}),
      ...(e.hint ? { hint: e.hint } : {}),
    });
  }
  return new UserError(`lost the connection to ${target.masked}: ${message}`);
}

function plainConnection(client: pg.Client, target: Target, closing: () => boolean): Connection {
  return wrap(client, (_sql, run) =>
    run().catch((error: unknown) => {
      throw mapError(error, target, closing);
    }),
  );
}

/** query/exec/pid over a client, each call going through `call`. */
function wrap(client: pg.Client, call: <T>(sql: string, run: () => Promise<T>) => Promise<T>): Connection {
  const connection: Connection = {
    query<Row = Record<string, unknown>>(sql: string, params?: unknown[]) {
      return call(sql, async () => {
        const result = await client.query(sql, params);
        return { rows: result.rows as Row[] };
      });
    },
    exec(sql: string) {
      // Without parameters pg sends a simple Query message: several statements run in one
      // implicit transaction, as golang-migrate's and psql -c's do.
      return call(sql, async () => {
        const result = (await client.query(sql)) as pg.QueryResult | pg.QueryResult[];
        const results = Array.isArray(result) ? result : [result];
        return results.map((r): QueryResult => ({ rows: r.rows }));
      });
    },
    async pid() {
      const result = await connection.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      return Number(result.rows[0]?.pid);
    },
  };
  return connection;
}

/**
 * The session that applies the migrations. Every call is timed here, outside the session: at its
 * limit the statement is cancelled with pg_cancel_backend from a privileged session, and if it has
 * not ended CANCEL_GRACE_MS later, its backend is terminated; the call then fails with SQLSTATE
 * 57014, and after a termination every later call fails with a UserError.
 */
function mainConnection(client: pg.Client, context: MainContext): Connection {
  interface Call {
    limit: CallLimit | undefined;
    stopped?: { reason: LimitReason; ended: boolean };
  }
  let inFlight: Call | undefined;
  let ended: UserError | undefined;
  // A cancel sent for one call must not reach the next one: wait until it was delivered.
  let signalling: Promise<void> = Promise.resolve();

  const call = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    if (ended) throw ended;
    if (context.limits.exhausted())
      throw new UserError("verify ran out of time (--timeout); nothing more was sent to the database");
    await signalling;
    const current: Call = { limit: context.limits.forCall() };
    inFlight = current;
    let grace: NodeJS.Timeout | undefined;
    const timer = current.limit
      ? setTimeout(
          () => {
            const reason = current.limit?.reason ?? "statement";
            current.stopped = { reason, ended: false };
            signalling = context.signal("cancel");
            grace = setTimeout(() => {
              if (inFlight !== current) return;
              current.stopped = { reason, ended: true };
              ended = new UserError(
                `verify ended the session that applies the migrations: a statement ran past ${reason === "run" ? "the run's time budget (--timeout)" : "--statement-timeout"} and went on after the cancel request (${excerpt(sql)})`,
              );
              signalling = context.signal("terminate");
            }, CANCEL_GRACE_MS);
          },
          Math.max(0, current.limit.at - Date.now()),
        )
      : undefined;
    try {
      return await run();
    } catch (error) {
      if (!context.closing() && current.stopped) {
        const how = current.stopped.ended
          ? "cancelled the statement and then ended its session"
          : "cancelled the statement";
        throw context.limits.error(current.stopped.reason, how, current.stopped.ended);
      }
      if (ended && !context.closing() && !isDatabaseError(error)) throw ended;
      throw mapError(error, context.target, context.closing, context.restrictedNote);
    } finally {
      clearTimeout(timer);
      clearTimeout(grace);
      if (inFlight === current) inFlight = undefined;
    }
  };
  return wrap(client, call);
}

/**
 * A SCRAM-SHA-256 verifier for a password (RFC 5802, RFC 7677; PostgreSQL's
 * scram_build_secret). PostgreSQL stores a verifier given as the password as it is, so the
 * password itself never reaches the server, nor its log (log_statement logs CREATE ROLE).
 */
function scramVerifier(password: string): string {
  const salt = randomBytes(16);
  const iterations = 4096;
  const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * The throwaway role. A superuser needs nothing more; a role with CREATEROLE must be a member of
 * the new role to make it a database's owner (CREATE DATABASE … OWNER, PostgreSQL 15 docs), and
 * from 16 on that membership must also allow SET ROLE and inherit its privileges, which the
 * automatic grant to a role's creator does not (createrole_self_grant).
 */
async function createRestrictedRole(admin: pg.Client, name: string, password: string, info: ServerInfo) {
  const secret = info.num >= 100000 ? scramVerifier(password) : password;
  await admin.query(
    `CREATE ROLE ${quoteIdent(name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${literal(secret)}`,
  );
  if (!info.superuser) {
    await admin.query(
      info.num >= 160000
        ? `GRANT ${quoteIdent(name)} TO CURRENT_USER WITH INHERIT TRUE, SET TRUE`
        : `GRANT ${quoteIdent(name)} TO CURRENT_USER`,
    );
  }
}

/**
 * CREATE DATABASE copies template1, and fails with 55006 while another session is connected to
 * it (another run checking an existing database against it, say): retry for a few seconds.
 */
async function createDatabase(admin: pg.Client, name: string, owner: string | undefined): Promise<void> {
  const sql = `CREATE DATABASE ${quoteIdent(name)}${owner ? ` OWNER ${quoteIdent(owner)}` : ""}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(sql);
      return;
    } catch (error) {
      if (!(isDatabaseError(error) && error.code === "55006") || attempt >= 30) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 + attempt * 20));
    }
  }
}

/** DROP ROLE, after DROP OWNED when something in this database still depends on it (2BP01). */
async function dropRole(admin: pg.Client, name: string): Promise<void> {
  try {
    await admin.query(`DROP ROLE IF EXISTS ${quoteIdent(name)}`);
  } catch (error) {
    if (!(isDatabaseError(error) && error.code === "2BP01")) throw error;
    await admin.query(`DROP OWNED BY ${quoteIdent(name)}`);
    await admin.query(`DROP ROLE IF EXISTS ${quoteIdent(name)}`);
  }
}

/**
 * A privileged session in the scratch database (the lock observer) must not resolve names
 * through schemas the SQL under review owns: a function or operator it creates in public could
 * otherwise run as this role (CVE-2018-1058). pg_catalog alone, set as the session's first act.
 */
async function pinSearchPath(client: pg.Client): Promise<void> {
  await client.query("SELECT pg_catalog.set_config('search_path', 'pg_catalog', false)");
}

/**
 * DROP DATABASE for a database that may still have sessions. PostgreSQL 13 added WITH (FORCE);
 * before it, terminate the sessions first and retry while they exit (SQLSTATE 55006).
 */
export async function dropDatabase(admin: pg.Client, name: string, versionNum: number): Promise<void> {
  if (versionNum >= 130000) {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    return;
  }
  for (let attempt = 0; ; attempt++) {
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
      [name],
    );
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
      return;
    } catch (error) {
      if (!(isDatabaseError(error) && error.code === "55006") || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * What exists in an existing database before the run, so that close() drops only what the run
 * created: schemas, extensions, relations, types and routines, by OID.
 */
interface Baseline {
  namespaces: number[];
  extensions: number[];
  relations: number[];
  types: number[];
  routines: number[];
}

async function takeBaseline(client: pg.Client): Promise<Baseline> {
  const result = await client.query<Baseline>(`SELECT
    (SELECT coalesce(array_agg(oid::int8), '{}') FROM pg_namespace) AS namespaces,
    (SELECT coalesce(array_agg(oid::int8), '{}') FROM pg_extension) AS extensions,
    (SELECT coalesce(array_agg(oid::int8), '{}') FROM pg_class) AS relations,
    (SELECT coalesce(array_agg(oid::int8), '{}') FROM pg_type) AS types,
    (SELECT coalesce(array_agg(oid::int8), '{}') FROM pg_proc) AS routines`);
  const row = result.rows[0];
  if (!row) throw new Error("baseline query returned no row");
  return row;
}

/**
 * DROP statements for what the run created in an existing database, outermost first: new schemas
 * (with their contents), new extensions, then new relations, types and routines in old schemas.
 * Objects that a CASCADE already removed are skipped by IF EXISTS.
 */
const CLEANUP = `
  SELECT format('DROP SCHEMA IF EXISTS %I CASCADE', nspname) AS sql FROM pg_namespace
  WHERE oid <> ALL($1::oid[]) AND nspname !~ '^pg_(toast|temp_|toast_temp_)'
  UNION ALL
  SELECT format('DROP EXTENSION IF EXISTS %I CASCADE', extname) FROM pg_extension WHERE oid <> ALL($2::oid[])
  UNION ALL
  SELECT format('DROP %s IF EXISTS %I.%I CASCADE',
    CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                   WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.oid <> ALL($3::oid[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.oid = ANY($1::oid[])
    AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
  UNION ALL
  SELECT format('DROP %s IF EXISTS %I.%I CASCADE', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
    n.nspname, t.typname)
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE t.oid <> ALL($4::oid[]) AND n.oid = ANY($1::oid[]) AND t.typtype IN ('e', 'd', 'r', 'c', 'b')
    AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
    AND t.typcategory <> 'A'
  UNION ALL
  SELECT format('DROP %s IF EXISTS %s CASCADE', CASE p.prokind WHEN 'a' THEN 'AGGREGATE' ELSE 'ROUTINE' END,
    p.oid::regprocedure)
  FROM pg_proc p WHERE p.oid <> ALL($5::oid[]) AND p.pronamespace = ANY($1::oid[])`;

async function dropCreatedObjects(client: pg.Client, baseline: Baseline): Promise<string[]> {
  const failures: string[] = [];
  const drops = await client.query<{ sql: string }>(CLEANUP, [
    baseline.namespaces,
    baseline.extensions,
    baseline.relations,
    baseline.types,
    baseline.routines,
  ]);
  for (const { sql } of drops.rows) {
    try {
      await client.query(sql);
    } catch (error) {
      failures.push(`${sql}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return failures;
}

// Cleanup on SIGINT/SIGTERM: the handlers are installed while at least one engine is open.
interface OpenEngine {
  close(): Promise<void>;
  /** What the run created that a kill would leave, e.g. "database pg_index_lint_…". */
  leaves(): string[];
}
const openEngines = new Set<OpenEngine>();
let signalled = false;
/** Cleaning up after a signal gets this long before the process leaves anyway. */
const SIGNAL_CLEANUP_MS = 15_000;

function leftBehind(): string {
  const names = [...openEngines].flatMap((engine) => engine.leaves());
  if (names.length === 0) return "";
  return `; left on the server: ${names.join(", ")} (the next verify run drops them after an hour; pg-index-lint verify --cleanup drops them now)`;
}

function onSignal(signal: NodeJS.Signals): void {
  const code = signal === "SIGINT" ? 130 : 143;
  // A second signal while cleaning up means "now": leave at once, naming what stays behind.
  if (signalled) {
    process.stderr.write(`pg-index-lint: ${signal} again: leaving without cleaning up${leftBehind()}\n`);
    process.exit(code);
  }
  signalled = true;
  process.stderr.write(`pg-index-lint: ${signal}: cleaning up the verify database, then exiting\n`);
  setTimeout(() => {
    process.stderr.write(`pg-index-lint: cleanup did not finish in time${leftBehind()}\n`);
    process.exit(code);
  }, SIGNAL_CLEANUP_MS).unref();
  Promise.allSettled([...openEngines].map((engine) => engine.close())).then((results) => {
    for (const result of results) {
      if (result.status === "rejected")
        process.stderr.write(`pg-index-lint: ${String(result.reason?.message ?? result.reason)}\n`);
    }
    process.exit(code);
  });
}

function registerEngine(engine: OpenEngine): () => void {
  if (openEngines.size === 0) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  openEngines.add(engine);
  return () => {
    openEngines.delete(engine);
    if (openEngines.size === 0) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  };
}

interface ServerInfo {
  version: string;
  num: number;
  database: string;
  role: string;
  superuser: boolean;
  createrole: boolean;
  createdb: boolean;
  /** The server's clock, seconds since the epoch: scratch names carry it. */
  now: number;
}

async function serverInfo(admin: pg.Client): Promise<ServerInfo> {
  const { rows } = await admin.query<Omit<ServerInfo, "num" | "now"> & { num: string; now: string }>(
    `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num,
            current_database() AS database, current_user AS role, r.rolsuper AS superuser,
            r.rolcreaterole AS createrole, r.rolcreatedb AS createdb, extract(epoch FROM now())::bigint AS now
       FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`,
  );
  const row = rows[0];
  if (!row) throw new Error("no row from the server information query");
  return { ...row, num: Number(row.num), now: Number(row.now) };
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(
      `the database URL ${maskUrl(url)} is not a URL; expected postgres://user@host:port/database`,
    );
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new UserError(`the database URL ${maskUrl(url)} must start with postgres:// or postgresql://`);
  }
  return parsed;
}

/** The URL with another database, and optionally another user and password. */
function urlFor(url: string, database: string, login?: { user: string; password: string }): string {
  const out = new URL(url);
  out.pathname = `/${encodeURIComponent(database)}`;
  if (login) {
    // pg reads user= and password= query parameters over the user-info part.
    out.searchParams.delete("user");
    out.searchParams.delete("password");
    out.username = encodeURIComponent(login.user);
    out.password = encodeURIComponent(login.password);
  }
  return out.toString();
}

/**
 * Earlier runs that were killed (kill -9, a lost runner) left these; an hour-old one is no live
 * run's. Best effort: the run goes on whatever happens here.
 */
async function dropOldLeftovers(admin: pg.Client, target: Target, progress: (line: string) => void) {
  await dropLeftovers(admin, LEFTOVER_AGE_MS)
    .then((report) => reportLeftovers(report, target.masked, progress))
    .catch(() => {});
}

function reportLeftovers(report: LeftoverReport, where: string, progress: (line: string) => void): void {
  if (report.dropped.length > 0)
    progress(`dropped leftovers of earlier runs on ${where}: ${report.dropped.join(", ")}`);
}

/**
 * Drops the scratch databases and roles that killed runs left on the server: by default those
 * older than a minute that no session uses (see MANUAL_LEFTOVER_AGE_MS). For
 * `pg-index-lint verify --cleanup`.
 */
export async function cleanupLeftovers(
  url: string,
  options: { olderThanMs?: number; onProgress?(line: string): void } = {},
): Promise<LeftoverReport> {
  parseUrl(url);
  const target: Target = { url, masked: maskUrl(url) };
  const admin = await connect(url, target, 0, "");
  try {
    const report = await dropLeftovers(admin, options.olderThanMs ?? MANUAL_LEFTOVER_AGE_MS);
    if (options.onProgress) {
      reportLeftovers(report, target.masked, options.onProgress);
      for (const kept of report.kept) options.onProgress(`kept ${kept.name}: ${kept.why}`);
    }
    return report;
  } finally {
    await admin.end().catch(() => {});
  }
}

export async function openServerEngine(url: string, options: OpenEngineOptions): Promise<Engine> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => {});
  const limits = new TimeLimits(options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS);
  parseUrl(url);
  const target: Target = { url, masked: maskUrl(url) };
  const admin = await connect(url, target, 0, "");
  let closing = false;
  const isClosing = () => closing;

  let info: ServerInfo;
  let scratch: string | undefined;
  let role: { name: string; password: string } | undefined;
  let baseline: Baseline | undefined;
  let workUrl = url;
  try {
    info = await serverInfo(admin);
    const names = scratchNames(info.now);
    const name = names.database;
    const canCreateDatabase = info.superuser || info.createdb;
    const restricted = !options.trustMigrations && canCreateDatabase && (info.superuser || info.createrole);
    const who = `"${info.role}"${info.superuser ? ", a superuser," : ""}`;
    if (canCreateDatabase) {
      // Named before they exist, so that a run killed at any point has told where its leftovers are.
      progress(
        restricted
          ? `scratch database ${name} and role ${names.role} on ${target.masked}: the migrations run as that role, which owns only that database (if this run is killed, the next one drops both after an hour; pg-index-lint verify --cleanup drops them at once)`
          : `scratch database ${name} on ${target.masked} (if this run is killed, the next one drops it after an hour; pg-index-lint verify --cleanup drops it at once)`,
      );
      if (options.trustMigrations) {
        progress(`--trust-migrations: the migrations run as ${who} and can do whatever it can on the server`);
      } else if (!restricted) {
        progress(
          `role "${info.role}" cannot create roles, so the migrations run as "${info.role}" itself and can do whatever it can on the server; with CREATEROLE (or as a superuser) verify runs them as a throwaway role that owns only the scratch database`,
        );
      }
      await dropOldLeftovers(admin, target, progress);
      if (restricted) {
        role = { name: names.role, password: randomBytes(24).toString("hex") };
        try {
          await createRestrictedRole(admin, role.name, role.password, info);
        } catch (error) {
          await dropRole(admin, role.name).catch(() => {});
          throw new UserError(
            `cannot create the throwaway role ${role.name} on ${target.masked}: ${error instanceof Error ? error.message : String(error)}; pass --trust-migrations to apply the migrations as "${info.role}"`,
          );
        }
      }
      try {
        await createDatabase(admin, name, role?.name);
        scratch = name;
      } catch (error) {
        if (role) await dropRole(admin, role.name).catch(() => {});
        throw new UserError(
          `cannot create the scratch database ${name} on ${target.masked}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      workUrl = urlFor(url, name);
    } else {
      const db = `"${info.database}"`;
      const found = await contentsOf(admin, url);
      if (found.length > 0) {
        throw new UserError(
          `role "${info.role}" cannot create databases, and database ${db} on ${target.masked} is not empty: it holds ${describeObjects(found)} beyond what a new database made from template1 holds; verify never applies migrations to a database that holds anything: grant CREATEDB or give an empty database`,
        );
      }
      if (!options.useExistingDatabase) {
        throw new UserError(
          `role "${info.role}" cannot create databases; pass --use-existing-database to use the empty database ${db} on ${target.masked}`,
        );
      }
      progress(
        `role "${info.role}" cannot create databases; using the empty database ${db} as allowed. The migrations run as "${info.role}" itself and can do whatever it can on the server`,
      );
      baseline = await takeBaseline(admin);
    }
  } catch (error) {
    await admin.end().catch(() => {});
    throw error instanceof UserError ? error : connectError(error, target, "");
  }

  const where = scratch
    ? `scratch database ${scratch} on ${target.masked}`
    : `database "${info.database}" on ${target.masked}`;
  let main: pg.Client | undefined;
  let observer: pg.Client | undefined;
  const pids: number[] = [];
  let done: Promise<void> | undefined;

  /** Runs on the admin session, or on a new one when a migration ended it (as a superuser can). */
  const privileged = async <T>(run: (client: pg.Client) => Promise<T>): Promise<T> => {
    try {
      return await run(admin);
    } catch (error) {
      // 57P0x: the backend was terminated (57P01) or the server restarted; 08xxx: connection errors.
      if (isDatabaseError(error) && !/^(57P0|08)/.test(error.code)) throw error;
      const fresh = clientFor(url, 0);
      try {
        await fresh.connect();
        return await run(fresh);
      } finally {
        await fresh.end().catch(() => {});
      }
    }
  };

  const shutdown = async (): Promise<void> => {
    closing = true;
    // Stop what the run's own sessions are doing first, so that a hung statement cannot keep
    // locks that the drops below would wait for.
    if (pids.length > 0) {
      await privileged((c) =>
        c.query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [pids]),
      ).catch(() => {});
    }
    await Promise.allSettled([main?.end(), observer?.end()]);
    const left: string[] = [];
    let reason = "";
    try {
      if (scratch) {
        try {
          await privileged((c) => dropDatabase(c, scratch as string, info.num));
          scratch = undefined;
        } catch (error) {
          left.push(`the scratch database ${scratch} (DROP DATABASE ${scratch})`);
          reason = error instanceof Error ? error.message : String(error);
        }
      } else if (baseline) {
        const failures = await privileged((c) => dropCreatedObjects(c, baseline as Baseline)).catch(
          (error: unknown) => [error instanceof Error ? error.message : String(error)],
        );
        for (const failure of failures) progress(`cleanup of database "${info.database}": ${failure}`);
      }
      // The role owns the database: it can go only after it.
      const roleName = role?.name;
      if (roleName && !scratch) {
        try {
          await privileged((c) => dropRole(c, roleName));
          role = undefined;
        } catch (error) {
          left.push(`the role ${roleName} (DROP ROLE ${roleName})`);
          reason ||= error instanceof Error ? error.message : String(error);
        }
      } else if (roleName) {
        left.push(`the role ${roleName} (DROP ROLE ${roleName}, after the database)`);
      }
    } finally {
      await admin.end().catch(() => {});
    }
    if (left.length > 0) {
      throw new UserError(
        `could not drop ${left.join(" and ")} on ${target.masked} (${reason}); drop it by hand, or run pg-index-lint verify --cleanup`,
      );
    }
  };
  const close = (): Promise<void> => {
    done ??= shutdown().finally(() => unregister());
    return done;
  };
  const unregister = registerEngine({
    close,
    leaves: () => [...(scratch ? [`database ${scratch}`] : []), ...(role ? [`role ${role.name}`] : [])],
  });

  const restrictedNote = role
    ? `(verify applies the migrations as a throwaway role that owns only its scratch database; --trust-migrations applies them as "${info.role}")`
    : undefined;
  try {
    const what = scratch ? `the scratch database ${scratch} on` : "";
    // The observer stays privileged: it reads pg_locks for the applying backend, whatever role that is.
    observer = await connect(workUrl, target, limits.statementMs, what);
    await pinSearchPath(observer);
    if (role && scratch) {
      // Before PostgreSQL 15 public belongs to the bootstrap superuser, and anyone may create in it;
      // from 15 on it belongs to pg_database_owner, that is the role already.
      await observer
        .query(`ALTER SCHEMA public OWNER TO ${quoteIdent(role.name)}`)
        .catch((error: unknown) => {
          if (!(isDatabaseError(error) && error.code === "42501")) throw error;
        });
      main = await connect(
        urlFor(url, scratch, { user: role.name, password: role.password }),
        target,
        limits.statementMs,
        `the throwaway role ${role.name} in the scratch database ${scratch} on`,
      ).catch((error: unknown) => {
        throw error instanceof UserError
          ? new UserError(
              `${error.message}; pg_hba.conf must let the throwaway role log in with its password (a line for all users does), or pass --trust-migrations to apply the migrations as "${info.role}"`,
            )
          : error;
      });
    } else {
      main = await connect(workUrl, target, limits.statementMs, what);
    }
    // The applying session commits without waiting for its WAL to reach the disk. What the
    // migrations see is the same: a commit is visible to every session at once and releases its
    // locks as before; only a server crash could lose it, and the scratch database goes anyway.
    // On a server with slow fsync that wait was most of a statement's time (a COMMENT took 4 ms
    // with it and 0.5 ms without; psql -f of bench/verify.mjs's 300 files 1.0-4x as long).
    // Set as the session's first act, before any SQL under review; that SQL may set it back.
    const result = await main.query<{ pid: number }>(
      "SELECT pg_catalog.set_config('synchronous_commit', 'off', false), pg_catalog.pg_backend_pid() AS pid",
    );
    pids.push(Number(result.rows[0]?.pid));
    const watching = await observer.query<{ pid: number }>("SELECT pg_catalog.pg_backend_pid() AS pid");
    pids.push(Number(watching.rows[0]?.pid));
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }

  const mainPid = pids[0] as number;
  const context: MainContext = {
    target,
    closing: isClosing,
    limits,
    signal: (kind) =>
      privileged((c) =>
        c.query(kind === "cancel" ? "SELECT pg_cancel_backend($1)" : "SELECT pg_terminate_backend($1)", [
          mainPid,
        ]),
      ).then(
        () => undefined,
        () => undefined,
      ),
    ...(restrictedNote ? { restrictedNote } : {}),
  };
  return {
    kind: "server",
    version: `PostgreSQL ${info.version}`,
    versionNum: info.num,
    description: where,
    main: mainConnection(main, context),
    observer: plainConnection(observer, target, isClosing),
    startup: { ms: performance.now() - started, from: "server" },
    setDeadline: (at) => limits.setDeadline(at),
    close,
  };
}

/**
 * What the connected database holds beyond a new database made from template1, which is read for
 * the comparison. The session there is brief: while it lasts, CREATE DATABASE from template1
 * fails for everyone else (55006; createDatabase retries). Without access to template1, every
 * object made after initdb counts.
 */
async function contentsOf(admin: pg.Client, url: string) {
  const found = await listContents(admin);
  let template: Awaited<ReturnType<typeof listContents>> | undefined;
  const client = clientFor(urlFor(url, "template1"), 0);
  try {
    await client.connect();
    template = await listContents(client);
  } catch {
    template = undefined;
  } finally {
    await client.end().catch(() => {});
  }
  return beyondTemplate(found, template);
}
