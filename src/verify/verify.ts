/**
 * The verify pass: `check` predicts, `verify` proves. It applies the same ordered migrations to a
 * real PostgreSQL with each runner's transaction semantics, traces locks, reads the final catalog
 * back, proves the required indexes and foreign keys, compares the replay with reality, and runs
 * the probe queries.
 */
import { type CheckOptions, type CheckResult, check } from "../check.js";
import type { Finding, Severity } from "../finding.js";
import type { Migration, SourceRange } from "../model.js";
import { nodeAs } from "../parse/nodes.js";
import { coversForeignKey, coversRequirement, keyLabel, type Requirement } from "../rules/coverage.js";
import { Catalog, displayName } from "../schema/catalog.js";
import { applyStatement } from "../schema/replay.js";
import { type ApplyResult, applySet, lockModeName, WRITE_BLOCKING_MODES } from "./apply.js";
import { compareCatalogs } from "./compare.js";
import { chooseDatabaseUrl, openEngine } from "./connect.js";
import type { Engine } from "./engine.js";
import { readLiveCatalog } from "./live-catalog.js";
import { type ProbeResult, runProbe, timeProbe } from "./probes.js";
import { VERIFY_RULES } from "./rules.js";
import { type FillResult, fillTables } from "./synthetic.js";

export interface VerifyOptions extends CheckOptions {
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
}

export type Proof = "proven" | "missing" | "invalid" | "table missing";

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
  timedOut: boolean;
}

export interface VerifyResult {
  check: CheckResult;
  report: VerifyReport;
  /** Check findings plus verify findings, without verify findings that repeat a check finding. */
  findings: Finding[];
}

export async function verify(options: VerifyOptions): Promise<VerifyResult> {
  const engineOptions = {
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.useExistingDatabase ? { useExistingDatabase: true } : {}),
    ...(options.statementTimeoutMs ? { statementTimeoutMs: options.statementTimeoutMs } : {}),
    env: options.env ?? process.env,
  };
  // A server's scratch database takes a few hundred milliseconds to create: do it while check
  // runs. PGlite waits for check, which tells it the extensions to load.
  const early = chooseDatabaseUrl(engineOptions) ? openEngine(engineOptions) : null;
  early?.catch(() => undefined);
  let checked: CheckResult;
  try {
    checked = await check({ ...options, keepSyntaxTrees: true });
  } catch (error) {
    await early?.then((engine) => engine.close()).catch(() => undefined);
    throw error;
  }
  const extensions = new Set<string>();
  for (const set of checked.sets) {
    for (const m of set.migrations) {
      for (const s of m.statements) {
        const ext = nodeAs(s.node, "CreateExtensionStmt")?.extname;
        if (ext) extensions.add(ext);
      }
    }
  }
  const engine = await (early ?? openEngine({ ...engineOptions, extensions: [...extensions] }));
  const severities = severityMap(checked);
  const found: Finding[] = [];
  const report: VerifyReport = {
    engine: { kind: engine.kind, version: engine.version, description: engine.description },
    sets: [],
    coverage: [],
    probes: [],
    timedOut: false,
  };
  const deadline = options.timeoutMs ? Date.now() + options.timeoutMs : undefined;
  const add = (
    rule: string,
    range: SourceRange,
    message: string,
    help: string,
    extra: Partial<Finding> = {},
  ) => {
    if (checked.ignored(range, rule)) return;
    const meta = VERIFY_RULES[rule];
    const level = severities.get(rule) ?? meta?.defaultSeverity ?? "error";
    if (level === "off") return;
    found.push({ rule, severity: level, message, help, ...range, source: "verify", ...extra });
  };
  try {
    const lives: Catalog[] = [];
    for (const set of checked.sets) {
      const total = set.migrations.length;
      const applyOptions = {
        ...(deadline ? { deadline } : {}),
        ...(options.keepGoing ? { keepGoing: true } : {}),
        onMigration: (_i: number, _n: number, m: Migration) =>
          options.onMigration?.(`verify ${set.migrations.indexOf(m) + 1}/${total} ${m.file}`),
      };
      const rows = report.sets.length === 0 ? checked.settings.data.verify?.rows : undefined;
      const fillAfter = rows ? lastCreation(set, Object.keys(rows)) : -1;
      let applied: ApplyResult;
      if (rows && fillAfter >= 0) {
        // The impact report: the schema before review, filled with rows, then the migrations under review.
        const before = await applySet(engine, set, { ...applyOptions, only: (i) => i <= fillAfter });
        applied = before;
        if (!before.failure || options.keepGoing) {
          const fills = await fillTables(engine.main, rows);
          const timings = new Map<Requirement, { beforeMs?: number; afterMs?: number }>();
          let n = 0;
          for (const req of checked.requirements) {
            if (!req.entry.query) continue;
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
      lives.push(live);
      const predicted = replayApplied(applied);
      const differences = compareCatalogs(predicted, live);
      report.sets.push({
        path: set.path,
        runner: set.runner,
        apply: applied,
        differences: differences.length,
      });

      for (const f of applied.failures) {
        const error = f.error;
        const notApplied = applied.migrations.filter((m) => m.status === "not-reached").length;
        const stops = options.keepGoing
          ? "The runner would stop here; --keep-going applied the later migrations anyway"
          : `The runner stops here${notApplied ? `: ${notApplied} later migration${notApplied === 1 ? " was" : "s were"} not applied` : ""}`;
        add(
          "migration-failed",
          f.statement.range,
          `PostgreSQL rejected this statement: ${error?.message} (SQLSTATE ${error?.code}). ${stops}.`,
          helpForFailure(error?.code),
        );
      }
      for (const m of applied.migrations) {
        for (const st of m.statements) {
          const blocking = st.locks.filter(
            (l) =>
              l.preexisting && WRITE_BLOCKING_MODES.has(l.mode) && (l.relkind === "r" || l.relkind === "p"),
          );
          if (blocking.length === 0) continue;
          const what = blocking.map((l) => `${lockModeName(l.mode)} on ${l.relation}`).join(", ");
          add(
            "blocking-lock",
            st.statement.range,
            `This statement took ${what}, which blocks writes to a table that already existed; it held it for ${st.durationMs.toFixed(1)} ms on ${engine.kind === "pglite" ? "PGlite" : "the server"}${blocking.some((l) => l.seen === "inferred") ? " (lock inferred)" : ""}.`,
            "On a large, busy table the lock is held for the whole statement, and writes queue behind it: use the CONCURRENTLY form, or a short lock_timeout and retries.",
          );
        }
      }
      for (const d of differences) {
        add(
          "replay-mismatch",
          d.staticIndex?.source ?? firstStatement(set) ?? configRange(checked),
          `${d.message} Either the replay has a bug (please report it), or the migrations build this in a way the replay cannot see, such as a function that creates tables or dynamic SQL.`,
          "The static findings for this table may be wrong; trust the verify findings.",
        );
      }
      for (const table of live.tables.values()) {
        for (const index of table.indexes.values()) {
          if (index.valid) continue;
          const source = set.catalog.resolveIndex(table.schema, index.name)?.index.source;
          add(
            "invalid-index",
            source ?? firstStatement(set) ?? configRange(checked),
            `Index "${index.name}" on ${displayName(table)} exists but is not valid (pg_index.indisvalid is false): PostgreSQL maintains it on every write but never uses it for reads.`,
            `Drop it and build it again: DROP INDEX CONCURRENTLY ${index.name}; then CREATE INDEX CONCURRENTLY …`,
          );
        }
        for (const fk of table.foreignKeys.values()) {
          if ([...table.indexes.values()].some((i) => coversForeignKey(i, fk))) continue;
          const source = set.catalog.resolveTable(table.schema, table.name)?.foreignKeys.get(fk.name)?.source;
          add(
            "unindexed-foreign-key",
            source ?? firstStatement(set) ?? configRange(checked),
            `Foreign key "${fk.name}" on ${displayName(table)} (${fk.columns.join(", ")}) has no covering index in the migrated database.`,
            `CREATE INDEX CONCURRENTLY ON ${displayName(table)} (${fk.columns.join(", ")});`,
            { table: displayName(table), columns: fk.columns },
          );
        }
      }
    }

    for (const req of checked.requirements) {
      const row = prove(req, lives);
      report.coverage.push(row);
      const at = staticTableSource(checked, req) ?? configRange(checked, req.entry.line);
      const label = `${req.entry.table} (${req.keys.map(keyLabel).join(", ")})${req.where ? ` WHERE ${req.where}` : ""}`;
      if (row.proof === "missing" || row.proof === "table missing") {
        add(
          "missing-required-index",
          at,
          `The migrated database has no index that serves the required ${label}.`,
          "Add a migration that builds it CONCURRENTLY.",
          { table: req.entry.table, columns: req.entry.columns },
        );
      } else if (row.proof === "invalid") {
        add(
          "invalid-index",
          at,
          `The index for the required ${label} exists but is not valid.`,
          "Rebuild it CONCURRENTLY.",
        );
      }
    }

    const live = lives[0];
    let n = 0;
    for (const req of checked.requirements) {
      if (!req.entry.query || !live) continue;
      const probe = await runProbe(engine.main, live, req, n++);
      const timings = report.impact?.timings.get(req);
      if (timings) probe.timings = timings;
      report.probes.push(probe);
      if (!probe.served) {
        add(
          "required-index-not-used",
          configRange(checked, req.entry.line),
          probe.error
            ? `The probe query for ${req.entry.table} failed: ${probe.error}`
            : `The probe query for ${req.entry.table} (${req.entry.columns.join(", ")}) is planned as ${probe.topNode}${probe.indexesUsed.length ? ` using ${probe.indexesUsed.join(", ")}` : ""}, not with an index on the required columns${probe.seqscanDisabled ? " (even with sequential scans disabled, because the table is empty)" : ""}.`,
          "Check the query and the index: column order, predicate and operator class must match.",
        );
      }
    }
  } finally {
    await engine.close();
  }
  return { check: checked, report, findings: merge(checked.findings, found) };
}

/** The index of the last migration that creates one of the tables, or -1. */
function lastCreation(set: CheckResult["sets"][number], tables: string[]): number {
  let last = -1;
  for (const name of tables) {
    const [schema, table] = name.includes(".") ? name.split(".") : [undefined, name];
    const created = set.catalog.resolveTable(schema, table ?? name)?.createdIn ?? -1;
    if (created > last) last = created;
  }
  return last;
}

/** Replays exactly the statements that were applied, so that the comparison tests the replay alone. */
export function replayApplied(applied: ApplyResult): Catalog {
  const catalog = new Catalog();
  applied.migrations.forEach((m, migration) => {
    for (const st of m.statements) {
      if (st.status === "applied")
        applyStatement(catalog, st.statement.node, { migration, range: st.statement.range });
    }
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

function helpForFailure(code: string | undefined): string {
  switch (code) {
    case "25001":
      return "A CONCURRENTLY statement ran inside a transaction block; see ban-concurrent-index-creation-in-transaction for the runner's way out.";
    case "57014":
      return "The statement ran past the statement timeout; on production data it would hold its locks even longer.";
    default:
      return "Fix the statement: the runner would stop at this point and leave later migrations unapplied.";
  }
}

function severityMap(checked: CheckResult): Map<string, Severity | "off"> {
  return new Map(Object.entries(checked.settings.data.rules ?? {}) as [string, Severity | "off"][]);
}

function firstStatement(set: CheckResult["sets"][number]): SourceRange | undefined {
  return set.migrations.find((m) => m.statements.length)?.statements[0]?.range;
}

function staticTableSource(checked: CheckResult, req: Requirement): SourceRange | undefined {
  for (const set of checked.sets) {
    const table = set.catalog.resolveTable(req.schema, req.table);
    if (table && table.source.line > 0) return table.source;
  }
  return undefined;
}

function configRange(checked: CheckResult, line = 1): SourceRange {
  return { file: checked.config ?? ".pg-index-lint.yml", line, column: 1, endLine: line, endColumn: 1 };
}

/** Verify findings that say what check already said, at the same place, add nothing. */
function merge(checkFindings: Finding[], verifyFindings: Finding[]): Finding[] {
  const seen = new Set(checkFindings.map((f) => `${f.rule}:${f.file}:${f.line}`));
  // A statement check already flags for its lock gets the measured lock in that finding instead
  // of a second, blocking-lock finding on the same line.
  const lockFindings = new Map(
    checkFindings.filter((f) => LOCK_RULES.has(f.rule)).map((f) => [`${f.file}:${f.line}`, f]),
  );
  const merged = checkFindings.map((f) => ({ ...f }));
  const byKey = new Map(merged.map((f) => [`${f.rule}:${f.file}:${f.line}`, f]));
  const extra: Finding[] = [];
  for (const f of verifyFindings) {
    if (seen.has(`${f.rule}:${f.file}:${f.line}`)) continue;
    const statically = f.rule === "blocking-lock" ? lockFindings.get(`${f.file}:${f.line}`) : undefined;
    const target = statically
      ? byKey.get(`${statically.rule}:${statically.file}:${statically.line}`)
      : undefined;
    if (target) {
      target.message = `${target.message} verify measured it: ${f.message.replace(/^This statement took /, "")}`;
      continue;
    }
    extra.push(f);
  }
  return [...merged, ...extra].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column,
  );
}

/** check's rules about a statement's lock: verify's measurement belongs in their finding. */
const LOCK_RULES = new Set([
  "require-concurrent-index-creation",
  "require-concurrent-index-deletion",
  "require-concurrent-reindex",
  "constraint-builds-index",
]);
