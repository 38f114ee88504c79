/**
 * A PostgreSQL server as the verify engine. Migrations never run in the database the URL names:
 * they run in a scratch database `pg_index_lint_<hex>` that is dropped at the end, on failure and
 * on SIGINT/SIGTERM. Only when the role cannot create databases, and the user passes
 * --use-existing-database, does it use the given database, and only when it holds no tables.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { UserError } from "../errors.js";
import {
  type Connection,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  type Engine,
  isDatabaseError,
  type OpenEngineOptions,
  type QueryResult,
  SqlError,
} from "./engine.js";

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

/** Maps pg's errors: SQLSTATE errors to SqlError, a lost connection to a UserError. */
function mapError(error: unknown, target: Target, closing: () => boolean): Error {
  if (isDatabaseError(error)) {
    const e = error as { message: string; code: string; position?: string; detail?: string; hint?: string };
    return new SqlError({
      message: e.message,
      code: e.code,
      ...(e.position ? { position: Number(e.position) } : {}),
      ...(e.detail ? { detail: e.detail } : {}),
      ...(e.hint ? { hint: e.hint } : {}),
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (closing()) return new UserError(`the verify database was closed while a statement ran (${message})`);
  return new UserError(`lost the connection to ${target.masked}: ${message}`);
}

function connection(client: pg.Client, target: Target, closing: () => boolean): Connection {
  return {
    async query<Row = Record<string, unknown>>(sql: string, params?: unknown[]) {
      try {
        const result = await client.query(sql, params);
        return { rows: result.rows as Row[] };
      } catch (error) {
        throw mapError(error, target, closing);
      }
    },
    async exec(sql: string) {
      // Without parameters pg sends a simple Query message: several statements run in one
      // implicit transaction, as golang-migrate's and psql -c's do.
      try {
        const result = (await client.query(sql)) as pg.QueryResult | pg.QueryResult[];
        const results = Array.isArray(result) ? result : [result];
        return results.map((r): QueryResult => ({ rows: r.rows }));
      } catch (error) {
        throw mapError(error, target, closing);
      }
    },
    async pid() {
      try {
        const result = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        return Number(result.rows[0]?.pid);
      } catch (error) {
        throw mapError(error, target, closing);
      }
    },
  };
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

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

/** Relations that hold or expose data, outside system schemas and not members of an extension. */
const USER_RELATIONS = `
  SELECT format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  ORDER BY 1`;

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
const openClosers = new Set<() => Promise<void>>();
let signalled = false;

function onSignal(signal: NodeJS.Signals): void {
  const code = signal === "SIGINT" ? 130 : 143;
  // A second signal while cleaning up means "now": leave at once.
  if (signalled) process.exit(code);
  signalled = true;
  process.stderr.write(`pg-index-lint: ${signal}: cleaning up the verify database, then exiting\n`);
  Promise.allSettled([...openClosers].map((close) => close())).then((results) => {
    for (const result of results) {
      if (result.status === "rejected")
        process.stderr.write(`pg-index-lint: ${String(result.reason?.message ?? result.reason)}\n`);
    }
    process.exit(code);
  });
}

function registerCloser(close: () => Promise<void>): () => void {
  if (openClosers.size === 0) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  openClosers.add(close);
  return () => {
    openClosers.delete(close);
    if (openClosers.size === 0) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  };
}

export async function openServerEngine(url: string, options: OpenEngineOptions): Promise<Engine> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => {});
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
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
  const target: Target = { url, masked: maskUrl(url) };
  const admin = await connect(url, target, 0, "");
  let closing = false;
  const isClosing = () => closing;

  let info: { version: string; num: number; database: string; role: string };
  let scratch: string | undefined;
  let baseline: Baseline | undefined;
  let workUrl = url;
  try {
    const result = await admin.query<{ version: string; num: string; database: string; role: string }>(
      "SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num, current_database() AS database, current_user AS role",
    );
    const row = result.rows[0];
    if (!row) throw new Error("no row from the version query");
    info = { ...row, num: Number(row.num) };
    const name = `pg_index_lint_${randomBytes(6).toString("hex")}`;
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
      scratch = name;
    } catch (error) {
      if (!(isDatabaseError(error) && error.code === "42501")) {
        throw new UserError(
          `cannot create the scratch database ${name} on ${target.masked}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    if (scratch) {
      const work = new URL(url);
      work.pathname = `/${encodeURIComponent(scratch)}`;
      workUrl = work.toString();
    } else {
      const tables = (await admin.query<{ name: string }>(USER_RELATIONS)).rows.map((r) => r.name);
      const db = `"${info.database}"`;
      if (tables.length > 0) {
        const shown =
          tables.slice(0, 3).join(", ") + (tables.length > 3 ? `, … (${tables.length} in all)` : "");
        throw new UserError(
          `role "${info.role}" cannot create databases, and database ${db} on ${target.masked} is not empty (${shown}); verify never applies migrations to a database that holds tables: grant CREATEDB or give an empty database`,
        );
      }
      if (!options.useExistingDatabase) {
        throw new UserError(
          `role "${info.role}" cannot create databases; pass --use-existing-database to use the empty database ${db} on ${target.masked}`,
        );
      }
      progress(`role "${info.role}" cannot create databases; using the empty database ${db} as allowed`);
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

  const shutdown = async (): Promise<void> => {
    closing = true;
    // Stop what the run's own sessions are doing first, so that a hung statement cannot keep
    // locks that the drops below would wait for. A role may terminate its own backends.
    if (pids.length > 0) {
      await admin
        .query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [pids])
        .catch(() => {});
    }
    await Promise.allSettled([main?.end(), observer?.end()]);
    let cleanup = admin;
    let fresh: pg.Client | undefined;
    try {
      await admin.query("SELECT 1");
    } catch {
      // The admin session is gone (server restart, network): one new attempt for the cleanup.
      fresh = clientFor(url, 0);
      await fresh.connect().catch(() => {});
      cleanup = fresh;
    }
    try {
      if (scratch) {
        try {
          await dropDatabase(cleanup, scratch, info.num);
        } catch (error) {
          throw new UserError(
            `could not drop the scratch database ${scratch} on ${target.masked} (${error instanceof Error ? error.message : String(error)}); drop it with DROP DATABASE ${scratch}`,
          );
        }
      } else if (baseline) {
        const failures = await dropCreatedObjects(cleanup, baseline).catch((error: unknown) => [
          error instanceof Error ? error.message : String(error),
        ]);
        for (const failure of failures) progress(`cleanup of database "${info.database}": ${failure}`);
      }
    } finally {
      await Promise.allSettled([admin.end(), fresh?.end()]);
    }
  };
  const close = (): Promise<void> => {
    done ??= shutdown().finally(() => unregister());
    return done;
  };
  const unregister = registerCloser(close);

  try {
    const what = scratch ? `the scratch database ${scratch} on` : "";
    main = await connect(workUrl, target, statementTimeoutMs, what);
    observer = await connect(workUrl, target, statementTimeoutMs, what);
    for (const client of [main, observer]) {
      const result = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      pids.push(Number(result.rows[0]?.pid));
    }
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }

  return {
    kind: "server",
    version: `PostgreSQL ${info.version}`,
    versionNum: info.num,
    description: where,
    main: connection(main, target, isClosing),
    observer: connection(observer, target, isClosing),
    startup: { ms: performance.now() - started, from: "server" },
    close,
  };
}
