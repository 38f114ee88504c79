/**
 * Embedded PGlite (PostgreSQL 18 compiled to WASM) as the verify engine: no server, no setup.
 *
 * PGlite runs in a worker thread. PostgreSQL's statement_timeout relies on SIGALRM, which WASM
 * never delivers, and a running statement blocks the JavaScript thread it runs on; so the timeout
 * is kept here, and a statement that overruns it ends the worker (PGlite cannot cancel one).
 *
 * Start-up: initdb takes seconds, so the build stores an initialised data directory
 * (scripts/pglite-snapshot.mjs → build/pglite/) and PGlite starts from it when it was made by the
 * same PGlite version; otherwise it runs initdb.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import { UserError } from "../errors.js";
import {
  type Connection,
  type DatabaseError,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  type Engine,
  type OpenEngineOptions,
  type QueryResult,
  SqlError,
} from "./engine.js";
import { excerpt, TimeLimits } from "./time-limits.js";

const require = createRequire(import.meta.url);

/**
 * Defined as true by scripts/bundle.mjs in the Action's dist/index.js. There is no node_modules
 * beside the bundle: the bundle script copies PGlite's CommonJS build, its WASM, data and
 * extension files and the snapshot to dist/pglite/, and the worker loads them from there.
 */
declare const __PG_INDEX_LINT_BUNDLE__: boolean | undefined;
const BUNDLED_PGLITE =
  typeof __PG_INDEX_LINT_BUNDLE__ !== "undefined" && __PG_INDEX_LINT_BUNDLE__
    ? fileURLToPath(new URL("./pglite/", import.meta.url))
    : undefined;

/** PGlite's CommonJS entry, or one of its contrib extension modules. */
function resolvePglite(extension?: string): string {
  if (BUNDLED_PGLITE)
    return join(BUNDLED_PGLITE, "dist", extension ? `contrib/${extension}.cjs` : "index.cjs");
  return require.resolve(extension ? `@electric-sql/pglite/contrib/${extension}` : "@electric-sql/pglite");
}

/**
 * The contrib extensions PGlite bundles, by their module name under @electric-sql/pglite/contrib/
 * (the extension name with "-" as "_": uuid-ossp is uuid_ossp). plpgsql is built in.
 */
export const PGLITE_EXTENSIONS: readonly string[] = [
  "amcheck",
  "auto_explain",
  "bloom",
  "btree_gin",
  "btree_gist",
  "citext",
  "cube",
  "dict_int",
  "dict_xsyn",
  "earthdistance",
  "file_fdw",
  "fuzzystrmatch",
  "hstore",
  "intarray",
  "isn",
  "lo",
  "ltree",
  "moddatetime",
  "pageinspect",
  "pg_buffercache",
  "pg_freespacemap",
  "pg_stat_statements",
  "pg_surgery",
  "pg_trgm",
  "pg_visibility",
  "pg_walinspect",
  "pgcrypto",
  "seg",
  "tablefunc",
  "tcn",
  "tsm_system_rows",
  "tsm_system_time",
  "unaccent",
  "uuid_ossp",
];
const BUILT_IN = new Set(["plpgsql"]);
/** CREATE EXTENSION … CASCADE, or a migration's own order, also needs these loaded. */
const REQUIRES: Record<string, string[]> = { earthdistance: ["cube"] };

interface ExtensionModule {
  key: string;
  path: string;
}

/** The modules for the extensions a migration creates; a UserError for one PGlite lacks. */
export function extensionModules(names: readonly string[]): ExtensionModule[] {
  const keys = new Set<string>();
  const add = (name: string) => {
    const key = name.toLowerCase().replaceAll("-", "_");
    if (BUILT_IN.has(key) || keys.has(key)) return;
    if (!PGLITE_EXTENSIONS.includes(key)) {
      throw new UserError(
        `PGlite has no extension "${name}"; run verify against a PostgreSQL server with --database-url`,
      );
    }
    keys.add(key);
    for (const dependency of REQUIRES[key] ?? []) add(dependency);
  };
  for (const name of names) add(name);
  return [...keys].map((key) => ({ key, path: resolvePglite(key) }));
}

/** The installed PGlite's version, or undefined where its package.json cannot be found. */
export function pgliteVersion(): string | undefined {
  try {
    // The package's exports do not list package.json; it sits above dist/.
    const main = resolvePglite();
    const manifest = JSON.parse(readFileSync(join(dirname(main), "..", "package.json"), "utf8")) as {
      version?: string;
    };
    return manifest.version;
  } catch {
    return undefined;
  }
}

/** Defined as true by scripts/bundle-cli.mjs in build/cli-bundle.js, which sits in build/. */
declare const __PG_INDEX_LINT_CLI_BUNDLE__: boolean | undefined;

/**
 * build/pglite of this package: two levels up from both src/verify/ and build/verify/, beside
 * build/cli-bundle.js; in the Action's bundle, dist/pglite/snapshot/.
 */
export const DEFAULT_SNAPSHOT_DIR = BUNDLED_PGLITE
  ? join(BUNDLED_PGLITE, "snapshot")
  : typeof __PG_INDEX_LINT_CLI_BUNDLE__ !== "undefined" && __PG_INDEX_LINT_CLI_BUNDLE__
    ? fileURLToPath(new URL("./pglite/", import.meta.url))
    : fileURLToPath(new URL("../../build/pglite/", import.meta.url));

/** The snapshot to start from, or why there is none. */
export function findSnapshot(
  dir: string,
  version: string | undefined,
): { path: string } | { reason: string } {
  const manifest = join(dir, "snapshot.json");
  const path = join(dir, "snapshot.tar.gz");
  if (!existsSync(manifest) || !existsSync(path)) return { reason: "no PGlite snapshot was built" };
  let built: string | undefined;
  try {
    built = (JSON.parse(readFileSync(manifest, "utf8")) as { pglite?: string }).pglite;
  } catch {
    return { reason: "the PGlite snapshot's manifest is unreadable" };
  }
  if (!version || built !== version) {
    return { reason: `the PGlite snapshot was built for PGlite ${built}, not ${version ?? "this one"}` };
  }
  return { path };
}

/**
 * The worker, as CommonJS source: it runs from build/ and from the TypeScript sources under
 * vitest alike, and takes every module path from workerData.
 */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { readFileSync } = require("node:fs");
const { gunzipSync } = require("node:zlib");
const plain = (e) => (e && typeof e === "object"
  ? { message: String(e.message), code: e.code, position: e.position, detail: e.detail, hint: e.hint, stack: e.stack }
  : { message: String(e) });
// The snapshot's files, written into PGlite's in-memory file system as views of the unpacked
// archive (canOwn: no copy). PGlite's own loadDataDir does the same in JavaScript, through web
// streams, and copies every file: several hundred milliseconds more, and twice the memory.
function untarInto(FS, root, bytes) {
  const text = (from, to) => {
    let end = from;
    while (end < to && bytes[end] !== 0) end++;
    return Buffer.from(bytes.buffer, bytes.byteOffset + from, end - from).toString("utf8");
  };
  const made = new Set();
  const mkdirs = (dir) => {
    if (made.has(dir)) return;
    FS.mkdirTree(dir);
    made.add(dir);
  };
  for (let at = 0; at + 512 <= bytes.length; ) {
    if (bytes[at] === 0) break;
    const ustar = text(at + 257, at + 262) === "ustar";
    const name = (ustar && bytes[at + 345] ? text(at + 345, at + 500) + "/" : "") + text(at, at + 100);
    const size = Number.parseInt(text(at + 124, at + 136).trim() || "0", 8);
    const type = bytes[at + 156] === 0 ? "0" : String.fromCharCode(bytes[at + 156]);
    const path = (root + "/" + name).replace(/[/]+/g, "/").replace(/[/]$/, "");
    const data = at + 512;
    if (type === "5") mkdirs(path);
    else if (type === "0") {
      mkdirs(path.slice(0, path.lastIndexOf("/")));
      FS.writeFile(path, bytes.subarray(data, data + size), { canOwn: true });
    } else throw new Error("unexpected entry " + JSON.stringify(type) + " for " + name + " in the snapshot");
    at = data + Math.ceil(size / 512) * 512;
  }
}
(async () => {
  let db;
  try {
    const { PGlite, MemoryFS } = require(workerData.pglite);
    const extensions = {};
    for (const x of workerData.extensions) extensions[x.key] = require(x.path)[x.key];
    const options = { extensions, postgresqlconf: workerData.settings };
    if (workerData.snapshot) {
      const archive = gunzipSync(readFileSync(workerData.snapshot));
      const bytes = new Uint8Array(archive.buffer, archive.byteOffset, archive.length);
      options.fs = new (class extends MemoryFS {
        async initialSyncFs() {
          await super.initialSyncFs();
          untarInto(this.pg.Module.FS, this.pg.Module.ENV.PGDATA, bytes);
        }
      })();
    }
    db = await PGlite.create(options);
    const r = await db.query("SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS num");
    parentPort.postMessage({ type: "ready", version: r.rows[0].version, num: r.rows[0].num });
  } catch (e) {
    parentPort.postMessage({ type: "failed", error: plain(e) });
    return;
  }
  parentPort.on("message", async (m) => {
    try {
      if (m.op === "exec") {
        const results = await db.exec(m.sql);
        parentPort.postMessage({ id: m.id, results: results.map((r) => r.rows) });
      } else {
        const r = await db.query(m.sql, m.params);
        parentPort.postMessage({ id: m.id, rows: r.rows });
      }
    } catch (e) {
      parentPort.postMessage({ id: m.id, error: plain(e) });
    }
  });
})();
`;

/**
 * postgresql.conf lines for the embedded instance. PGlite's shared_buffers is 128 MB, which
 * PostgreSQL zeroes while it starts: a third of the start-up and some 70 MB of memory for a
 * database that holds a schema and at most ROW_LIMITS.pglite rows. Plans do not depend on it
 * (the planner reads effective_cache_size), and pages beyond it stay in PGlite's in-memory files.
 */
const PGLITE_SETTINGS = ["shared_buffers = 16MB"];

interface PlainError {
  message: string;
  code?: string;
  position?: string | number;
  detail?: string;
  hint?: string;
  stack?: string;
}

type Reply =
  | { type: "ready"; version: string; num: number }
  | { type: "failed"; error: PlainError }
  | { id: number; rows: Record<string, unknown>[] }
  | { id: number; results: Record<string, unknown>[][] }
  | { id: number; error: PlainError };

function toError(e: PlainError): Error {
  if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) {
    const fields: DatabaseError = { message: e.message, code: e.code };
    if (e.position !== undefined && e.position !== null && `${e.position}` !== "")
      fields.position = Number(e.position);
    if (e.detail) fields.detail = e.detail;
    if (e.hint) fields.hint = e.hint;
    return new SqlError(fields);
  }
  // Not PostgreSQL's: a bug in PGlite or here, which keeps its stack.
  const error = new Error(`PGlite: ${e.message}`);
  if (e.stack) error.stack = e.stack;
  return error;
}

interface Started {
  worker: Worker;
  version: string;
  num: number;
}

/**
 * PGlite's WASM (9 MB) stays in V8's baseline compiler, Liftoff. By default V8 tiers its hot
 * functions up to TurboFan in the background, and PostgreSQL's start-up alone makes hundreds of
 * them hot: on a one-file verify that costs a second of CPU and about 60 MB of optimised code, and
 * on 300 files it still cost more time than the faster code saved (on 2 busy cores: 3.9-5.2 s
 * against 9.5-10.8 s). V8's flags are the process's: the flag reaches libpg-query's parser too,
 * which `check` and verify against a server already keep in Liftoff (bin/pg-index-lint.js). It
 * must be set before the module compiles, that is before the worker loads PGlite.
 */
function keepWasmInLiftoff(): void {
  setFlagsFromString("--liftoff-only");
}

function startWorker(
  pglite: string,
  extensions: ExtensionModule[],
  snapshot: string | undefined,
): Promise<Started> {
  keepWasmInLiftoff();
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { pglite, extensions, snapshot, settings: PGLITE_SETTINGS },
    });
    // Remove only our own listeners: Worker keeps internal ones that deliver messages.
    const settle = () => {
      worker.off("message", onMessage);
      worker.off("error", fail);
      worker.off("exit", onExit);
    };
    const fail = (error: Error) => {
      settle();
      void worker.terminate();
      reject(error);
    };
    const onExit = (code: number) => fail(new Error(`PGlite worker exited with code ${code} while starting`));
    const onMessage = (reply: Reply) => {
      if ("type" in reply && reply.type === "ready") {
        settle();
        resolve({ worker, version: reply.version, num: reply.num });
      } else if ("error" in reply) fail(toError(reply.error));
      else fail(new Error("PGlite worker: unexpected first message"));
    };
    worker.on("message", onMessage);
    worker.on("error", fail);
    worker.on("exit", onExit);
  });
}

export async function openPgliteEngine(options: OpenEngineOptions): Promise<Engine> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => {});
  const limits = new TimeLimits(options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS, true);
  const extensions = extensionModules(options.extensions ?? []);
  const pglite = resolvePglite();
  const installed = pgliteVersion();
  const snapshot = findSnapshot(options.pgliteSnapshotDir ?? DEFAULT_SNAPSHOT_DIR, installed);

  let from: "snapshot" | "initdb" = "initdb";
  let start: Started | undefined;
  if ("path" in snapshot) {
    try {
      start = await startWorker(pglite, extensions, snapshot.path);
      from = "snapshot";
    } catch (error) {
      progress(`PGlite did not start from its snapshot (${(error as Error).message}); running initdb`);
    }
  } else {
    progress(
      `${snapshot.reason}; PGlite runs initdb, which takes a few seconds (npm run build makes the snapshot)`,
    );
  }
  start ??= await startWorker(pglite, extensions, undefined);
  progress(
    "embedded PGlite: a separate PostgreSQL instance inside this process, dropped at the end; the migrations run as its superuser, needing no throwaway role, and reach no server, host file or program",
  );
  const { worker } = start;
  worker.unref();

  // Requests in flight, by id. The worker keeps the process alive only while one is pending.
  const pending = new Map<number, { resolve(reply: Reply): void; reject(error: Error): void }>();
  let nextId = 1;
  let stopped: Error | undefined;
  const stop = (reason: Error) => {
    stopped ??= reason;
    void worker.terminate();
    for (const request of pending.values()) request.reject(reason);
    pending.clear();
  };
  worker.on("message", (reply: Reply) => {
    if (!("id" in reply)) return;
    const request = pending.get(reply.id);
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    request?.resolve(reply);
  });
  worker.on("error", (error) =>
    stop(
      new UserError(
        `embedded PGlite crashed (${error.message}); run verify against a PostgreSQL server with --database-url`,
      ),
    ),
  );
  worker.on("exit", () => stop(stopped ?? new UserError("embedded PGlite stopped unexpectedly")));

  // PGlite cannot cancel a statement (see the header), so a call past its limit ends the worker:
  // the SQL cannot lift a limit kept here, and nothing more runs.
  const send = (message: { op: "query" | "exec"; sql: string; params?: unknown[] }): Promise<Reply> => {
    if (stopped) return Promise.reject(stopped);
    if (limits.exhausted()) {
      stop(new UserError("verify ran out of time (--timeout); embedded PGlite was stopped"));
      return Promise.reject(stopped);
    }
    const id = nextId++;
    const limit = limits.forCall();
    return new Promise<Reply>((resolve, reject) => {
      const timer = limit
        ? setTimeout(
            () => {
              pending.delete(id);
              reject(
                limits.error(limit.reason, "stopped embedded PGlite, which cannot cancel a statement,", true),
              );
              stop(
                new UserError(
                  `embedded PGlite was stopped ${limit.reason === "run" ? "when verify ran out of time (--timeout)" : `by the statement timeout (${limits.statementMs} ms)`} while it ran: ${excerpt(message.sql)}`,
                ),
              );
            },
            Math.max(0, limit.at - Date.now()),
          )
        : undefined;
      pending.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      worker.ref();
      worker.postMessage({ id, ...message });
    });
  };

  const main: Connection = {
    async query<Row = Record<string, unknown>>(sql: string, params?: unknown[]) {
      const reply = await send({ op: "query", sql, ...(params ? { params } : {}) });
      if ("error" in reply) throw toError(reply.error);
      if (!("rows" in reply)) throw new Error("PGlite worker: no rows in the reply");
      return { rows: reply.rows as Row[] };
    },
    async exec(sql: string) {
      // PGlite's exec sends one simple Query message: PostgreSQL's implicit transaction applies.
      const reply = await send({ op: "exec", sql });
      if ("error" in reply) throw toError(reply.error);
      if (!("results" in reply)) throw new Error("PGlite worker: no results in the reply");
      return reply.results.map((rows): QueryResult => ({ rows }));
    },
    async pid() {
      const result = await main.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      return Number(result.rows[0]?.pid);
    },
  };

  let closed: Promise<void> | undefined;
  return {
    kind: "pglite",
    version: `PostgreSQL ${start.version} (PGlite ${installed ?? "?"})`,
    versionNum: start.num,
    description: `embedded PGlite ${installed ?? ""} (PostgreSQL ${start.version})`.replace("  ", " "),
    main,
    // PGlite serves one session; there is no second connection to watch locks from.
    observer: null,
    startup: { ms: performance.now() - started, from },
    setDeadline: (at) => limits.setDeadline(at),
    close() {
      closed ??= (async () => {
        const reason = new UserError("the verify database was closed while a statement ran");
        stopped ??= reason;
        for (const request of pending.values()) request.reject(reason);
        pending.clear();
        await worker.terminate();
      })();
      return closed;
    },
  };
}
