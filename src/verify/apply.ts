/**
 * Applies migrations to a real database the way their runner would, statement by statement, and
 * records what each statement did: how long it took and which relation locks it took. The
 * transaction of every statement comes from `check` (TxContext, derived from the runner's
 * TransactionModel): this file has no runner knowledge of its own.
 */
import type { MigrationSet } from "../check.js";
import type { Migration, Statement } from "../model.js";
import {
  cannotRunInTransaction,
  endsBlock,
  opensBlock,
  statementShape,
  transactionControl,
} from "../parse/classify.js";
import { nodeAs } from "../parse/nodes.js";
import { type Connection, type DatabaseError, type Engine, isDatabaseError } from "./engine.js";

/** A relation lock as PostgreSQL reports it in pg_locks. */
export interface LockRecord {
  /** `schema.name`, or `name` in public. */
  relation: string;
  /** r (table), p (partitioned table), i (index), … from pg_class.relkind. */
  relkind: string;
  /** pg_locks.mode, e.g. "ShareLock". */
  mode: string;
  /** True when the relation existed before the migration that took the lock. */
  preexisting: boolean;
  /**
   * The table held no rows when that migration began (its files are empty; a partitioned table's
   * partitions are). Undefined where no relation was seen (an inferred lock).
   */
  empty?: boolean;
  /**
   * The index (in its set) of the migration that created the relation, as this apply saw it: -1
   * when it existed before the first migration applied here (a base schema, or the part of the set
   * applied before verify.rows filled the tables). Undefined where no relation was seen.
   */
  createdIn?: number;
  /**
   * How it was seen: "own" from the applying backend inside the statement's transaction;
   * "observer" from a second connection while a CONCURRENTLY statement ran; "inferred" where
   * neither was possible (the mode PostgreSQL documents for the statement).
   */
  seen: "own" | "observer" | "inferred";
}

/** "rolled-back": it ran, but the transaction it ran in was rolled back when a later statement failed. */
export type StatementStatus = "applied" | "failed" | "not-reached" | "rolled-back";

export interface StatementTrace {
  statement: Statement;
  status: StatementStatus;
  /** Wall time of the statement's round trip. */
  durationMs: number;
  locks: LockRecord[];
  error?: DatabaseError;
}

export interface MigrationTrace {
  migration: Migration;
  status: StatementStatus;
  durationMs: number;
  statements: StatementTrace[];
}

export interface ApplyResult {
  migrations: MigrationTrace[];
  /** The first statement that failed, if one did; applying stopped there as the runner would. */
  failure: StatementTrace | null;
  /** Every failed statement: more than one only with `keepGoing`. */
  failures: StatementTrace[];
  /** The overall time budget ran out before everything was applied. */
  timedOut: boolean;
}

export interface ApplyOptions {
  /** Absolute time (ms since epoch) after which nothing new is sent; the engine stops a statement still running then. */
  deadline?: number;
  /** Called when a migration starts, for a progress line. */
  onMigration?: (index: number, total: number, migration: Migration) => void;
  /** Apply only these migrations (by index); the others are left as they are. Default: all. */
  only?: (index: number) => boolean;
  /** Go on with the next migration after a failure, where the runner would stop. */
  keepGoing?: boolean;
  /** Traces to fill in, from an earlier call for the same set (the impact report applies in two steps). */
  traces?: MigrationTrace[];
}

/**
 * The relation locks a backend holds. User relations only (OIDs from 16384, FirstNormalObjectId),
 * without TOAST tables. Prepared once per connection: planning it costs more than running it, and
 * it runs after every statement.
 */
const LOCKS_PREPARE = `PREPARE pg_index_lint_locks(int) AS
SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind, l.mode, c.oid::bigint AS oid
  FROM pg_locks l
  JOIN pg_class c ON c.oid = l.relation
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE l.pid = $1 AND l.locktype = 'relation' AND l.granted AND l.relation >= 16384 AND c.relkind <> 't'`;

/** A deferrable trigger the SQL made: a COMMIT may fire it, and it may write anywhere. */
const DEFERRABLE_TRIGGER =
  "EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgdeferrable AND NOT t.tgisinternal)";

/**
 * The state query (Session.stateQuery): the largest OID; the user tables that hold rows, among
 * those that `candidates` (a condition on pg_class c) keeps, or all; the parents a partial read
 * covered (null for a full one); whether a deferrable trigger exists.
 */
function stateSql(candidates?: string, parents?: string): string {
  return `SELECT (SELECT max(oid)::bigint FROM pg_catalog.pg_class) AS max,
  (SELECT string_agg(c.oid::text, ',') FROM pg_catalog.pg_class c
    WHERE c.oid >= 16384${candidates ? ` AND (${candidates})` : ""}
      AND ((c.relkind = 'r' AND pg_catalog.pg_relation_size(c.oid) > 0)
        OR (c.relkind = 'p' AND EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
              WHERE i.inhparent = c.oid AND pg_catalog.pg_relation_size(i.inhrelid) > 0)))) AS filled,
  ${parents ? `(SELECT coalesce(string_agg(p.inhparent::text, ','), '') FROM (${parents}) p)` : "NULL::text"} AS parents,
  ${DEFERRABLE_TRIGGER} AS deferrable`;
}

/** Statements that cannot run in a transaction block and write no table's rows. */
const ROWLESS_SHAPES = new Set<string>([
  "create-index-concurrently",
  "drop-index-concurrently",
  "reindex-concurrently",
]);

interface StateRow {
  max: string | number | null;
  /** OIDs, comma-separated; null for none. */
  filled: string | null;
  parents: string | null;
  deferrable: boolean;
}

const oidList = (text: string | null | undefined): number[] => (text ? text.split(",").map(Number) : []);

interface LockRow {
  schema: string;
  name: string;
  relkind: string;
  mode: string;
  oid: string | number;
}

/**
 * One run of a migration set against a database. The session keeps the runner's transaction
 * state between statements and files.
 */
class Session {
  private inTransaction = false;
  /** Statements applied since the open transaction began: a failure rolls them back too. */
  private pending: StatementTrace[] = [];
  private lockBaseline = new Set<string>();
  private maxOldOid = 0;
  /** Tables that held rows when the current migration began, by OID. */
  private filled = new Set<number>();
  /** Before each migration applied: its index in the set and the largest OID then. */
  private boundaries: { migration: number; maxOid: number }[] = [];
  private pid = 0;
  /** The migration whose starting state (largest OID, tables with rows) is still to be read. */
  private unread: number | undefined;
  /** Relations the applying session held a lock on since the state was last read, by OID. */
  private touched = new Set<number>();
  /**
   * Something ran whose locks were not read (nothing yet, a CONCURRENTLY statement, a transaction
   * control statement, a failure), or the database has a deferrable trigger of its own that a
   * COMMIT may fire: the next read checks every table for rows, not only the touched ones.
   */
  private untraced = true;

  constructor(
    private readonly engine: Engine,
    private readonly set: MigrationSet,
  ) {}

  async start(): Promise<void> {
    this.pid = await this.engine.main.pid();
    await this.db.query(LOCKS_PREPARE).catch(() => undefined); // already prepared by an earlier run
    await this.engine.observer?.query(LOCKS_PREPARE).catch(() => undefined);
  }

  private get db(): Connection {
    return this.engine.main;
  }

  /**
   * Remembers where the relations that exist before a migration end: OIDs only grow in a
   * database this young, so a relation with a larger one was created by the migration. The state
   * is read with the migration's first statement when that can carry it (stateQuery), else on its own.
   */
  beforeMigration(migration: number): void {
    this.unread = migration;
  }

  /**
   * One query for the state a migration starts from: the largest OID, and the tables that hold
   * rows. A table's main fork stays empty until a row is written to it (and after a DELETE it
   * keeps its pages until VACUUM: counted as holding rows, the safe side); a partitioned table
   * holds rows when one of its partitions does. User relations only (OIDs from 16384,
   * FirstNormalObjectId, on).
   *
   * Reading every table's size costs a file lookup per table, and would make a long history
   * quadratic. Rows are written under a lock that lasts until the transaction ends, and the lock
   * query after each statement lists those locks: so, while every statement since the last read
   * was traced, only the tables it touched (and their partitioned parents) can have changed. A
   * COMMIT can fire a deferred trigger, which writes where nothing was traced; triggers PostgreSQL
   * makes for constraints never write, and a deferrable one of the SQL's own makes the query read
   * every table again. `null` when every table must be read: then the query runs on its own.
   */
  private stateQuery(): string | null {
    if (this.untraced) return null;
    const touched = `'{${[...this.touched].join(",")}}'::pg_catalog.oid[]`;
    const parents = `SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = ANY (${touched})`;
    return stateSql(`c.oid = ANY (${touched}) OR c.oid IN (${parents}) OR ${DEFERRABLE_TRIGGER}`, parents);
  }

  /** Reads the state on its own, when it is still unread. */
  private async readState(): Promise<void> {
    if (this.unread === undefined) return;
    const result = await this.db.query<StateRow>(this.stateQuery() ?? stateSql());
    this.takeState(result.rows[0]);
  }

  /**
   * Before a statement is sent: the state query it is to carry, when the state is unread and the
   * statement goes in a string of its own (`canCarry`); otherwise the state is read first, on its own.
   */
  private async prelude(canCarry: boolean): Promise<string | null> {
    if (this.unread === undefined) return null;
    const sql = canCarry ? this.stateQuery() : null;
    if (sql === null) await this.readState();
    return sql;
  }

  /** After a failure: the state a carried query did not bring back is read now, best effort. */
  private async afterFailure(): Promise<void> {
    this.untraced = true;
    await this.readState().catch(() => undefined);
    this.untraced = true;
  }

  /** Takes a state query's row. */
  private takeState(row: StateRow | undefined): void {
    if (this.unread === undefined) return;
    this.maxOldOid = Number(row?.max ?? 0);
    this.boundaries.push({ migration: this.unread, maxOid: this.maxOldOid });
    const filled = oidList(row?.filled);
    if (row?.parents === undefined || row.parents === null || row.deferrable) this.filled = new Set(filled);
    else {
      // Only the touched tables and their parents were read: the others keep what they had.
      for (const oid of [...this.touched, ...oidList(row.parents)]) this.filled.delete(oid);
      for (const oid of filled) this.filled.add(oid);
    }
    this.touched.clear();
    this.untraced = Boolean(row?.deferrable);
    this.unread = undefined;
  }

  private locksQuery(): string {
    return `EXECUTE pg_index_lint_locks(${this.pid})`;
  }

  /** Locks from a lock query's rows that the backend did not hold before; `alone`: a fresh transaction. */
  private freshLocks(rows: LockRow[], alone: boolean): LockRecord[] {
    if (alone) this.lockBaseline = new Set();
    const fresh: LockRecord[] = [];
    for (const row of rows) {
      this.touched.add(Number(row.oid));
      const key = `${row.oid}:${row.mode}`;
      if (this.lockBaseline.has(key)) continue;
      this.lockBaseline.add(key);
      fresh.push(this.lockRecord(row, "own"));
    }
    return fresh;
  }

  private async begin(): Promise<void> {
    await this.db.query("BEGIN");
    this.opened();
  }

  private opened(): void {
    this.inTransaction = true;
    this.pending = [];
    this.lockBaseline = new Set();
  }

  private async commit(): Promise<void> {
    await this.db.query("COMMIT");
    this.closed();
  }

  private closed(): void {
    this.inTransaction = false;
    this.pending = [];
  }

  /** The statements of the open transaction were rolled back with it. */
  private rolledBack(): void {
    for (const st of this.pending) if (st.status === "applied") st.status = "rolled-back";
  }

  /** After a failure: roll back the open transaction, and with it every statement it held. */
  async rollbackIfOpen(): Promise<void> {
    if (!this.inTransaction) return;
    this.rolledBack();
    this.closed();
    await this.db.query("ROLLBACK").catch(() => undefined);
  }

  private lockRecord(row: LockRow, seen: LockRecord["seen"]): LockRecord {
    return {
      relation: row.schema === "public" ? row.name : `${row.schema}.${row.name}`,
      relkind: row.relkind,
      mode: row.mode,
      preexisting: Number(row.oid) <= this.maxOldOid,
      empty: !this.filled.has(Number(row.oid)),
      createdIn: this.createdIn(Number(row.oid)),
      seen,
    };
  }

  /** The migration that created a relation: the last one whose start saw a smaller largest OID. */
  private createdIn(oid: number): number {
    let created = -1;
    for (const b of this.boundaries) if (oid > b.maxOid) created = b.migration;
    return created;
  }

  /** Applies one migration file; returns the failing statement's trace, if any. */
  async apply(
    migration: Migration,
    trace: MigrationTrace,
    lastOfSet: boolean,
  ): Promise<StatementTrace | null> {
    const statements = migration.statements;
    // A pipeline's implicit transaction (the Supabase CLI) behaves as a BEGIN … COMMIT around its
    // statements: each is still sent on its own, so a failure points at the statement.
    const pipelined = this.set.model.pipelined === true;
    const wantsRunner = (s: Statement) =>
      s.tx.reason === "runner-file" ||
      s.tx.reason === "runner-all" ||
      (pipelined && s.tx.reason === "implicit-multi-statement");
    const oneString =
      !pipelined &&
      statements.length > 1 &&
      (this.set.model.fileSentAsOneString ||
        statements.some((s) => s.tx.reason === "implicit-multi-statement"));
    if (oneString) {
      if (statements.some(wantsRunner) && !this.inTransaction) await this.begin();
      return this.applyAsOneString(migration, trace, lastOfSet);
    }

    for (const [i, statement] of statements.entries()) {
      const st = trace.statements[i] as StatementTrace;
      const control = transactionControl(statement.node);
      if (wantsRunner(statement) && !this.inTransaction) await this.begin();
      if (statement.tx.reason === "autocommit" && this.inTransaction && !control) {
        // The state comes first: the COMMIT may fire deferred triggers.
        await this.readState();
        await this.commit();
      }

      const bare = !this.inTransaction && control === null;
      const cannotWrap = cannotRunInTransaction(statement.node);
      // A lone statement in autocommit is its own transaction; wrapping it in one changes
      // nothing, and lets us read its locks before they are released.
      const wrap = bare && !cannotWrap;
      const traced = wrap || (this.inTransaction && control === null);
      // An index built, rebuilt or dropped CONCURRENTLY writes no table's rows (index expressions
      // and predicates must be immutable, and PostgreSQL runs immutable SQL and PL/pgSQL functions
      // read-only): the tables that hold rows stay as they were.
      const writesNoRows = bare && cannotWrap && ROWLESS_SHAPES.has(statementShape(statement.node) ?? "");
      // The migration's starting state rides ahead of its first statement, in the same string.
      const state = await this.prelude(traced);
      const ahead = state ? `${state};\n` : "";
      const skip = state ? 1 : 0;
      const started = performance.now();
      try {
        if (wrap) {
          // BEGIN, the statement, the lock query and COMMIT in one round trip: tracing costs
          // no extra trips to the server.
          const results = await this.db.exec(
            `BEGIN;\n${ahead}${statement.sql}\n;\n${this.locksQuery()};\nCOMMIT;`,
          );
          if (state) this.takeState(results[1]?.rows[0] as StateRow | undefined);
          st.locks = this.freshLocks((results[2 + skip]?.rows ?? []) as unknown as LockRow[], true);
        } else if (bare && cannotWrap) st.locks = await this.runWatched(statement);
        else if (this.inTransaction && control === null) {
          const results = await this.db.exec(`${ahead}${statement.sql}\n;\n${this.locksQuery()};`);
          if (state) this.takeState(results[0]?.rows[0] as StateRow | undefined);
          st.locks = this.freshLocks((results[1 + skip]?.rows ?? []) as unknown as LockRow[], false);
        } else await this.db.query(statement.sql);
        if (!traced && !writesNoRows) this.untraced = true;
        st.durationMs = performance.now() - started;
        if (opensBlock(control)) this.opened();
        else if (endsBlock(control)) this.closed();
        st.status = "applied";
        if (this.inTransaction) this.pending.push(st);
      } catch (error) {
        st.durationMs = performance.now() - started;
        st.status = "failed";
        st.error = toDatabaseError(error);
        // A failed BEGIN … COMMIT string leaves its transaction aborted and open.
        if (wrap) this.inTransaction = true;
        await this.rollbackIfOpen();
        await this.afterFailure();
        return st;
      }
    }
    await this.readState();
    if (this.inTransaction && (!this.set.model.allFilesInOneTransaction || lastOfSet)) await this.commit();
    return null;
  }

  /**
   * golang-migrate, Prisma before 7.4 and dbmate send a file as one string: PostgreSQL runs it in
   * one implicit transaction block. Verify sends its statements one by one inside one explicit
   * block instead, which PostgreSQL treats the same way (all or nothing; 25001 for a statement
   * that cannot run in a transaction block, with the same message), so that each statement gets
   * its own locks and time, and a failure is reported at the statement that failed. The file's
   * own COMMIT ends the block as it would end the implicit one; the statements after it open the
   * next, as they would in the string.
   */
  private async applyAsOneString(
    migration: Migration,
    trace: MigrationTrace,
    lastOfSet: boolean,
  ): Promise<StatementTrace | null> {
    for (const [i, statement] of migration.statements.entries()) {
      const st = trace.statements[i] as StatementTrace;
      const control = transactionControl(statement.node);
      const skipped = opensBlock(control) && this.inTransaction;
      const state = skipped ? null : await this.prelude(control === null);
      const started = performance.now();
      try {
        if (skipped) {
          // In the string, BEGIN turns the implicit block into an explicit one: ours already is.
        } else if (control !== null) {
          await this.db.query(statement.sql);
          this.untraced = true;
          if (opensBlock(control)) this.opened();
          else if (control === "rollback" || control === "rollback-and-chain") {
            this.rolledBack();
            if (control === "rollback") this.closed();
            else this.pending = [];
          } else if (endsBlock(control)) this.closed();
        } else {
          if (!this.inTransaction) await this.begin();
          const results = await this.db.exec(
            `${state ? `${state};\n` : ""}${statement.sql}\n;\n${this.locksQuery()};`,
          );
          if (state) this.takeState(results[0]?.rows[0] as StateRow | undefined);
          st.locks = this.freshLocks((results.at(-1)?.rows ?? []) as unknown as LockRow[], false);
        }
        st.durationMs = performance.now() - started;
        st.status = "applied";
        if (this.inTransaction) this.pending.push(st);
      } catch (error) {
        st.durationMs = performance.now() - started;
        st.status = "failed";
        st.error = toDatabaseError(error);
        await this.rollbackIfOpen();
        await this.afterFailure();
        return st;
      }
    }
    await this.readState();
    if (this.inTransaction && (!this.set.model.allFilesInOneTransaction || lastOfSet)) await this.commit();
    return null;
  }

  /**
   * Runs a statement that cannot run in a transaction (CREATE INDEX CONCURRENTLY…) while a second
   * connection watches its locks. Without a second connection, the lock PostgreSQL documents for
   * it is recorded as inferred.
   */
  private async runWatched(statement: Statement): Promise<LockRecord[]> {
    const observer = this.engine.observer;
    if (!observer) {
      await this.db.query(statement.sql);
      return inferredLocks(statement);
    }
    const seen = new Map<string, LockRecord>();
    let running = true;
    // Handled at once: a watcher that fails while the statement still runs (its session ended)
    // would otherwise be an unhandled rejection, which ends the process.
    const watch = (async () => {
      while (running) {
        const rows = (await observer.query<LockRow>(`EXECUTE pg_index_lint_locks(${this.pid})`)).rows;
        for (const row of rows) seen.set(`${row.oid}:${row.mode}`, this.lockRecord(row, "observer"));
        await new Promise((r) => setTimeout(r, 2));
      }
    })().catch(() => undefined);
    try {
      await this.db.query(statement.sql);
    } finally {
      running = false;
      await watch;
    }
    return seen.size > 0 ? [...seen.values()] : inferredLocks(statement);
  }
}

/** The mode PostgreSQL documents for statements we could not watch. */
function inferredLocks(statement: Statement): LockRecord[] {
  const relation =
    nodeAs(statement.node, "IndexStmt")?.relation ?? nodeAs(statement.node, "ReindexStmt")?.relation;
  if (!relation?.relname) return [];
  const name = relation.schemaname ? `${relation.schemaname}.${relation.relname}` : relation.relname;
  // CREATE INDEX CONCURRENTLY and REINDEX CONCURRENTLY take SHARE UPDATE EXCLUSIVE on the table.
  return [
    { relation: name, relkind: "r", mode: "ShareUpdateExclusiveLock", preexisting: true, seen: "inferred" },
  ];
}

export function toDatabaseError(error: unknown): DatabaseError {
  if (isDatabaseError(error)) {
    const e = error as DatabaseError & { position?: number | string };
    const out: DatabaseError = { message: e.message, code: e.code };
    if (e.position !== undefined && e.position !== null && `${e.position}` !== "")
      out.position = Number(e.position);
    if (e.detail) out.detail = e.detail;
    if (e.hint) out.hint = e.hint;
    return out;
  }
  throw error;
}

/** Applies every migration of a set, in order, stopping where the runner would stop. */
export async function applySet(
  engine: Engine,
  set: MigrationSet,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  if (options.deadline !== undefined) engine.setDeadline(options.deadline);
  const session = new Session(engine, set);
  await session.start();
  const migrations: MigrationTrace[] =
    options.traces ??
    set.migrations.map((migration) => ({
      migration,
      status: "not-reached",
      durationMs: 0,
      statements: migration.statements.map((statement) => ({
        statement,
        status: "not-reached",
        durationMs: 0,
        locks: [],
      })),
    }));
  const result: ApplyResult = { migrations, failure: null, failures: [], timedOut: false };
  const chosen = migrations.filter((_, i) => options.only?.(i) ?? true);
  for (const [n, trace] of chosen.entries()) {
    if (options.deadline !== undefined && Date.now() > options.deadline) {
      result.timedOut = true;
      break;
    }
    options.onMigration?.(n, chosen.length, trace.migration);
    session.beforeMigration(migrations.indexOf(trace));
    const started = performance.now();
    const failed = await session.apply(trace.migration, trace, n === chosen.length - 1);
    trace.durationMs = performance.now() - started;
    trace.status = failed ? "failed" : "applied";
    if (failed) {
      result.failure ??= failed;
      result.failures.push(failed);
      if (!options.keepGoing) break;
    }
  }
  await session.rollbackIfOpen();
  if (options.deadline !== undefined && Date.now() >= options.deadline) result.timedOut = true;
  // A migration whose every statement was rolled back was not applied.
  for (const trace of migrations) {
    if (
      trace.status === "applied" &&
      trace.statements.length > 0 &&
      trace.statements.every((st) => st.status === "rolled-back")
    ) {
      trace.status = "rolled-back";
    }
  }
  return result;
}
