/**
 * The verify pass: `check` predicts, `verify` proves. It applies the same ordered migrations to a
 * real PostgreSQL with each runner's transaction semantics, traces locks, reads the final catalog
 * back, proves the required indexes and foreign keys, compares the replay with reality, and runs
 * the probe queries.
 */
import type { Analysis, MigrationSet } from "../check.js";
import type { Migration, SourceRange } from "../model.js";
import { nodeAs } from "../parse/nodes.js";
import type { RawFinding } from "../policy/judge.js";
import type { IndexProof } from "../queries/prove.js";
import { proveSuggestions } from "../queries/prove.js";
import { coversRequirement, type Requirement } from "../rules/coverage.js";
import { VERIFY_RULES } from "../rules/index.js";
import type { Proof, VerifiedSet, VerifyContext } from "../rules/rule.js";
import { Catalog } from "../schema/catalog.js";
import { applyStatement } from "../schema/replay.js";
import { type ApplyResult, applySet } from "./apply.js";
import { createBookkeeping } from "./bookkeeping.js";
import { compareCatalogs } from "./compare.js";
import { openEngine } from "./connect.js";
import type { Engine, OpenEngineOptions } from "./engine.js";
import { readLiveCatalog } from "./live-catalog.js";
import { type ProbeResult, runProbe, timeProbe } from "./probes.js";
import { type FillResult, fillTables, ROW_LIMITS } from "./synthetic.js";

export interface VerifyOptions {
  databaseUrl?: string;
  useExistingDatabase?: boolean;
  /** Overall budget for applying, in ms. */
  timeoutMs?: number;
  /** Per-statement statement_timeout, in ms. */
  statementTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** A line per migration, for a progress display. */
  onMigration?: (line: string) => void;
  /** Apply later migrations after a failure, where the runner would stop. */
  keepGoing?: boolean;
  /** Apply the migrations as the URL's role instead of a throwaway one (--trust-migrations). */
  trustMigrations?: boolean;
  /**
   * The files of the change under review (--changed-since, a pull request). A table its migrations
   * create is new in production too: a lock on it blocks no one while it is empty. Without it, the
   * whole history is the change: it is replayed into an empty database.
   */
  changed?: ReadonlySet<string>;
  /** Lines about the database verify works in: its scratch database and role, leftovers dropped, limits applied. */
  onNote?: (line: string) => void;
}

export interface CoverageRow {
  requirement: Requirement;
  proof: Proof;
  /** The live index that covers it. */
  index?: string;
}

export interface SetVerification {
  path: string;
  runner: string;
  apply: ApplyResult;
  differences: number;
}

export interface ImpactReport {
  fills: FillResult[];
  /** The last migration applied before the rows were loaded. */
  filledAfter: string;
  timings: Map<Requirement, { beforeMs?: number; afterMs?: number }>;
}

export interface VerifyReport {
  engine: { kind: Engine["kind"]; version: string; description: string };
  impact?: ImpactReport;
  sets: SetVerification[];
  coverage: CoverageRow[];
  probes: ProbeResult[];
  /** The indexes query-needs-index suggests, proven (or not) on synthetic rows. */
  queryProofs?: IndexProof[];
  timedOut: boolean;
}

export interface VerifyResult {
  report: VerifyReport;
  /** What verify's rules reported, before the policy step. */
  raw: RawFinding[];
}

function engineOptions(options: VerifyOptions): OpenEngineOptions {
  return {
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.useExistingDatabase ? { useExistingDatabase: true } : {}),
    ...(options.statementTimeoutMs ? { statementTimeoutMs: options.statementTimeoutMs } : {}),
    env: options.env ?? process.env,
    ...(options.trustMigrations ? { trustMigrations: true } : {}),
    ...(options.onNote ? { onProgress: options.onNote } : {}),
  };
}

/**
 * A server's scratch database takes a few hundred milliseconds to create, and PGlite a second or
 * more to start: `run()` starts either while check runs. PGlite starts without extensions, as
 * most histories create none; when the first set's migrations create one, verify() closes it
 * and starts another that loads them.
 */
export function openEngineEarly(options: VerifyOptions): Promise<Engine> {
  const engine = openEngine({ ...engineOptions(options), extensions: [] });
  engine.catch(() => undefined);
  return engine;
}

/** The extensions a set's migrations create: PGlite loads those it bundles before they run. */
function extensionsOf(set: MigrationSet): string[] {
  const extensions = new Set<string>();
  for (const m of [...(set.base ? [set.base] : []), ...set.migrations]) {
    for (const s of m.statements) {
      const ext = nodeAs(s.node, "CreateExtensionStmt")?.extname;
      if (ext) extensions.add(ext);
    }
  }
  return [...extensions];
}

/**
 * The set a requirement's probe runs in: the first whose migrations create its table, else the
 * first. Each set has a database of its own, so the probe must run where the table is.
 */
function probeSet(analysis: Analysis, req: Requirement): number {
  const i = analysis.sets.findIndex((set) => set.catalog.resolveTable(req.schema, req.table));
  return Math.max(0, i);
}

/**
 * Applies the analysed migrations to a real PostgreSQL, measures, and runs verify's rules on what
 * it measured. `analysis` must keep its syntax trees.
 *
 * Each migrations entry gets a database of its own (a scratch database with its own throwaway role
 * on a server, a PGlite instance of its own), as each is a service's own database in production:
 * applied into one, two entries that both create a `users` table would fail or report each
 * other's tables as replay mismatches. The next entry's engine starts while the current one applies.
 */
export async function verify(
  analysis: Analysis,
  options: VerifyOptions,
  early: Promise<Engine> | null = null,
): Promise<VerifyResult> {
  const sets = analysis.sets;
  const engines: Promise<Engine>[] = [];
  const start = (i: number): Promise<Engine> => {
    const set = sets[i];
    const extensions = set ? extensionsOf(set) : [];
    const open = () => openEngine({ ...engineOptions(options), extensions });
    // The early connection was attempted while check held the event loop: on a long history its
    // connect timeout can run out before the server's answer is read. One more attempt, now that
    // nothing else runs; a server that is really unreachable fails again with the same message.
    // An early PGlite has no extensions loaded: it serves only a set that creates none.
    const engine =
      i === 0 && early
        ? early.then(async (e) => {
            if (e.kind !== "pglite" || extensions.length === 0) return e;
            await e.close();
            return open();
          }, open)
        : open();
    engine.catch(() => undefined);
    engines[i] = engine;
    return engine;
  };
  const report: VerifyReport = {
    engine: { kind: "pglite", version: "", description: "" },
    sets: [],
    coverage: [],
    probes: [],
    timedOut: false,
  };
  // The budget is for applying: it starts once the first database is ready.
  let deadline: number | undefined;
  const verified: VerifiedSet[] = [];
  const lives: Catalog[] = [];
  const probeRows: { order: number; probe: ProbeResult; at: SourceRange }[] = [];
  let failure: { error: unknown } | undefined;
  try {
    for (let i = 0; i < Math.max(1, sets.length); i++) {
      const engine = await (engines[i] ?? start(i));
      if (i === 0) {
        report.engine = { kind: engine.kind, version: engine.version, description: engine.description };
        if (options.timeoutMs) deadline = Date.now() + options.timeoutMs;
      }
      if (i + 1 < sets.length) start(i + 1);
      const set = sets[i];
      if (set) {
        const { live, measured } = await verifySet(engine, analysis, set, options, report, deadline);
        lives.push(live);
        verified.push(measured);
        // The probes of the requirements on this set's tables, while its database is open.
        for (const [order, req] of analysis.requirements.entries()) {
          if (!req.entry.query || probeSet(analysis, req) !== i) continue;
          const probe = await runProbe(engine.main, live, req, order);
          const timings = report.impact?.timings.get(req);
          if (timings) probe.timings = timings;
          probeRows.push({ order, probe, at: configRange(analysis, req.entry.line) });
        }
        // The indexes query-needs-index suggests, built and EXPLAINed last: they change the database.
        if (i === 0) {
          const proofs = await proveSuggestions(engine.main, analysis, report.impact?.fills);
          if (proofs) report.queryProofs = proofs;
        }
      }
      await engine.close();
    }
  } catch (error) {
    failure = { error };
  }
  // Every engine started is closed, the one started ahead too; close() is safe to call twice. An
  // engine that failed to open has reported that already, where it was awaited. A scratch database
  // that could not be dropped is reported first: it names what is left on the server.
  const closing = await Promise.allSettled(
    engines.map((engine) =>
      engine.then(
        (e) => e.close(),
        () => undefined,
      ),
    ),
  );
  const leftover = closing.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (leftover) throw leftover.reason;
  if (failure) throw failure.error;
  for (const req of analysis.requirements) report.coverage.push(prove(req, lives));
  probeRows.sort((a, b) => a.order - b.order);
  report.probes = probeRows.map((row) => row.probe);
  for (const proof of report.queryProofs ?? []) report.probes.push(proof.after);
  const context: VerifyContext = {
    engine: report.engine.kind,
    keepGoing: Boolean(options.keepGoing),
    sets: verified,
    coverage: report.coverage.map((row) => ({
      ...row,
      at: staticTableSource(analysis, row.requirement) ?? configRange(analysis, row.requirement.entry.line),
    })),
    probes: probeRows.map((row) => ({ ...row.probe, at: row.at })),
    ...(report.queryProofs ? { queryProofs: report.queryProofs } : {}),
    wordsFor: analysis.wordsFor,
  };
  const raw: RawFinding[] = [];
  for (const rule of VERIFY_RULES) {
    for (const finding of rule.checkVerify?.(context) ?? [])
      raw.push({ rule: rule.meta.id, source: "verify", finding });
  }
  return { report, raw };
}

/**
 * Applies one set to its own database and reads that database back. The impact report (verify.rows)
 * is made in the first set's database.
 */
async function verifySet(
  engine: Engine,
  analysis: Analysis,
  set: MigrationSet,
  options: VerifyOptions,
  report: VerifyReport,
  deadline: number | undefined,
): Promise<{ live: Catalog; measured: VerifiedSet }> {
  // The runner's own table of applied versions exists before its first migration.
  const bookkeeping = await createBookkeeping(engine.main, set.runner);
  // The schema the migrations start from goes in first, as it was there before them.
  const base = set.base ? await applySet(engine, { ...set, migrations: [set.base] }) : undefined;
  const total = set.migrations.length;
  const applyOptions = {
    ...(deadline ? { deadline } : {}),
    ...(options.keepGoing ? { keepGoing: true } : {}),
    onMigration: (_i: number, _n: number, m: Migration) =>
      options.onMigration?.(`verify ${set.migrations.indexOf(m) + 1}/${total} ${m.file}`),
  };
  const rows = report.sets.length === 0 ? analysis.settings.data.verify?.rows : undefined;
  const fillAfter = rows ? lastCreation(set, Object.keys(rows)) : -1;
  let applied: ApplyResult;
  if (rows && fillAfter >= 0) {
    // The impact report: the schema before review, filled with rows, then the migrations under review.
    const before = await applySet(engine, set, { ...applyOptions, only: (i) => i <= fillAfter });
    applied = before;
    if (!before.failure || options.keepGoing) {
      const fills = await fillTables(engine.main, rows, {
        limits: ROW_LIMITS[engine.kind],
        ...(options.onNote ? { onNote: options.onNote } : {}),
      });
      const timings = new Map<Requirement, { beforeMs?: number; afterMs?: number }>();
      let n = 0;
      for (const req of analysis.requirements) {
        if (!req.entry.query || probeSet(analysis, req) !== 0) continue;
        const ms = await timeProbe(engine.main, req, n++);
        timings.set(req, ms === undefined ? {} : { beforeMs: ms });
      }
      const after = await applySet(engine, set, {
        ...applyOptions,
        only: (i) => i > fillAfter,
        traces: before.migrations,
      });
      for (const [req, t] of timings) {
        const ms = await timeProbe(engine.main, req, n++);
        if (ms !== undefined) t.afterMs = ms;
      }
      applied = {
        migrations: before.migrations,
        failure: before.failure ?? after.failure,
        failures: [...before.failures, ...after.failures],
        timedOut: before.timedOut || after.timedOut,
      };
      report.impact = { fills, filledAfter: set.migrations[fillAfter]?.file ?? "", timings };
    }
  } else {
    applied = await applySet(engine, set, applyOptions);
  }
  report.timedOut ||= applied.timedOut;
  const live = await readLiveCatalog(engine.main);
  const differences = compareCatalogs(replayApplied(applied, base), live, bookkeeping, (parent, names) =>
    options.onNote?.(
      `${set.path}: the database has ${names.length} partition${names.length === 1 ? "" : "s"} of ${parent} that no statement the replay reads creates (${names.slice(0, 3).join(", ")}${names.length > 3 ? ", …" : ""}): a function the migrations call made ${names.length === 1 ? "it" : "them"} at run time. ${names.length === 1 ? "It has" : "They have"} ${parent}'s indexes, so the findings on ${parent} hold.`,
    ),
  );
  report.sets.push({
    path: set.path,
    runner: set.runner,
    apply: applied,
    differences: differences.length,
  });
  // A change that edits the config answers for every finding (src/policy/scope.ts): judged as a
  // run without a change, the whole history is new.
  const changed =
    options.changed && !(analysis.config && options.changed.has(analysis.config))
      ? options.changed
      : undefined;
  const pending = (migration: number) => {
    const file = set.migrations[migration]?.file;
    return file !== undefined && (changed ? changed.has(file) : true);
  };
  return {
    live,
    measured: measuredSet(set, applied, differences, live, configRange(analysis), pending, base),
  };
}

/** What verify's rules read of one applied set. */
function measuredSet(
  set: MigrationSet,
  applied: ApplyResult,
  differences: ReturnType<typeof compareCatalogs>,
  live: Catalog,
  config: SourceRange,
  pending: (migration: number) => boolean,
  base?: ApplyResult,
): VerifiedSet {
  /** The table is new in the change and was empty when the lock's migration began. */
  const fresh = (lock: ApplyResult["migrations"][number]["statements"][number]["locks"][number]) =>
    Boolean(lock.empty) && lock.createdIn !== undefined && lock.createdIn >= 0 && pending(lock.createdIn);

  return {
    catalog: set.catalog,
    fallback: set.migrations.find((m) => m.statements.length)?.statements[0]?.range ?? config,
    failures: [...(base?.failures ?? []), ...applied.failures].map((f) => ({
      range: f.statement.range,
      code: f.error?.code ?? "",
      message: f.error?.message ?? "",
    })),
    notApplied: applied.migrations.filter((m) => m.status === "not-reached").length,
    statements: applied.migrations.flatMap((m, migration) =>
      m.statements.map((st) => ({
        range: st.statement.range,
        statement: st.statement,
        migration,
        durationMs: st.durationMs,
        locks: st.locks.map((l) => ({
          relation: l.relation,
          relkind: l.relkind,
          mode: l.mode,
          preexisting: l.preexisting,
          fresh: fresh(l),
          inferred: l.seen === "inferred",
        })),
      })),
    ),
    differences: differences.map((d) => ({
      message: d.message,
      ...(d.staticIndex ? { at: d.staticIndex.source } : {}),
    })),
    live,
  };
}

/** The index of the last migration that creates one of the tables, or -1. */
function lastCreation(set: MigrationSet, tables: string[]): number {
  let last = -1;
  for (const name of tables) {
    const [schema, table] = name.includes(".") ? name.split(".") : [undefined, name];
    const created = set.catalog.resolveTable(schema, table ?? name)?.createdIn ?? -1;
    if (created > last) last = created;
  }
  return last;
}

/** Replays exactly the statements that were applied, so that the comparison tests the replay alone. */
export function replayApplied(applied: ApplyResult, base?: ApplyResult): Catalog {
  const catalog = new Catalog();
  for (const st of base?.migrations.flatMap((m) => m.statements) ?? []) {
    if (st.status === "applied")
      applyStatement(catalog, st.statement.node, { migration: -1, range: st.statement.range });
  }
  applied.migrations.forEach((m, migration) => {
    for (const st of m.statements) {
      if (st.status === "applied")
        applyStatement(catalog, st.statement.node, { migration, range: st.statement.range });
    }
    catalog.dropTemporary();
  });
  return catalog;
}

function prove(req: Requirement, lives: Catalog[]): CoverageRow {
  let row: CoverageRow = { requirement: req, proof: "table missing" };
  for (const live of lives) {
    const table = live.resolveTable(req.schema, req.table);
    if (!table) continue;
    row = { requirement: req, proof: "missing" };
    for (const index of table.indexes.values()) {
      const covers = coversRequirement({ ...index, valid: true }, req).covers;
      if (covers && index.valid) return { requirement: req, proof: "proven", index: index.name };
      if (covers) row = { requirement: req, proof: "invalid", index: index.name };
    }
  }
  return row;
}

function staticTableSource(analysis: Analysis, req: Requirement): SourceRange | undefined {
  for (const set of analysis.sets) {
    const table = set.catalog.resolveTable(req.schema, req.table);
    if (table && table.source.line > 0) return table.source;
  }
  return undefined;
}

function configRange(analysis: Analysis, line = 1): SourceRange {
  return { file: analysis.config ?? ".pg-index-lint.yml", line, column: 1, endLine: line, endColumn: 1 };
}
