/**
 * What `verify` adds to the text report. The verdict of each set (how far applying got) goes
 * before the findings; the tables after them: the statements worth a look (a write-blocking lock
 * on a table that existed before the migration, or any lock held longer than the threshold; all
 * with --verbose), the impact with synthetic rows, coverage and probes. Every line fits `width`.
 */
import pc from "picocolors";
import { requirementLabel } from "../rules/coverage.js";
import { lockModeName, WRITE_BLOCKING_MODES } from "../schema/locks.js";
import type { LockRecord, StatementTrace } from "../verify/apply.js";
import type { VerifyReport } from "../verify/verify.js";
import { terminalLine as t } from "./escape.js";
import { type Column, fitTable, shortenMiddle, wrapLine } from "./fit.js";

export interface VerifyTextOptions {
  color: boolean;
  /** Columns per line. */
  width: number;
  /** Show every statement that ran, not only those worth a look. */
  verbose: boolean;
  /** A statement that held a lock this long (ms) is shown whatever the lock. */
  lockThresholdMs: number;
}

/** The default for `--lock-threshold`: longer than a catalog change takes, even on PGlite. */
export const DEFAULT_LOCK_THRESHOLD_MS = 1000;

export interface VerifyText {
  /** The verdict of each set: before the findings. */
  head: string[];
  /** The tables: after the findings. */
  tail: string[];
}

/** How a migration's runner names it: its path inside the migrations folder (`20240101_x/migration.sql`). */
export function migrationName(setPath: string, file: string): string {
  const folder = setPath.replace(/\/+$/, "");
  if (folder && folder !== "." && file.startsWith(`${folder}/`)) return file.slice(folder.length + 1);
  return file.split("/").pop() ?? file;
}

const tableLocks = (st: StatementTrace) => st.locks.filter((l) => l.relkind === "r" || l.relkind === "p");

/** A write-blocking lock on a table that existed before the migration, or a lock held over the threshold. */
function worthALook(st: StatementTrace, thresholdMs: number): boolean {
  if (st.status === "failed") return true;
  const locks = tableLocks(st);
  if (locks.some((l) => l.preexisting && WRITE_BLOCKING_MODES.has(l.mode))) return true;
  return locks.length > 0 && st.durationMs > thresholdMs;
}

const LOCK_COLUMNS: Column[] = [
  { fit: "middle", min: 20 },
  { fit: "none" },
  { fit: "end", min: 16, max: 48 },
  { fit: "wrap", min: 24 },
];

const STRENGTH = [
  "AccessShareLock",
  "RowShareLock",
  "RowExclusiveLock",
  "ShareUpdateExclusiveLock",
  "ShareLock",
  "ShareRowExclusiveLock",
  "ExclusiveLock",
  "AccessExclusiveLock",
];

/** The strongest lock the statement took on each table: what a reader needs of the trace. */
function strongest(locks: LockRecord[]): LockRecord[] {
  const by = new Map<string, LockRecord>();
  for (const l of locks) {
    const held = by.get(l.relation);
    if (!held || STRENGTH.indexOf(l.mode) > STRENGTH.indexOf(held.mode)) by.set(l.relation, l);
  }
  return [...by.values()];
}

export function formatVerifyText(report: VerifyReport, options: VerifyTextOptions): VerifyText {
  const c = pc.createColors(options.color);
  const width = options.width;
  const head: string[] = [];
  const tail: string[] = [];
  const engine =
    report.engine.kind === "pglite"
      ? `embedded PGlite (${report.engine.version})`
      : `${t(report.engine.description)} (${report.engine.version})`;
  for (const set of report.sets) {
    const all = set.apply.migrations;
    const name = (file: string) => migrationName(set.path, file);
    const applied = all.filter((m) => m.status === "applied").length;
    const rolledBack = all.filter((m) => m.status === "rolled-back").length;
    const failure = set.apply.failure;
    const failedAt = failure
      ? `${t(name(failure.statement.range.file))}:${failure.statement.range.line} (SQLSTATE ${failure.error?.code})`
      : "";
    const firstFailed = all.findIndex((m) => m.status === "failed");
    const wentOn = firstFailed >= 0 && all.slice(firstFailed + 1).some((m) => m.status !== "not-reached");
    const stop = failure
      ? wentOn
        ? `; failed at ${failedAt}, and --keep-going went on`
        : `; stopped at ${failedAt}`
      : set.apply.timedOut
        ? "; stopped: the --timeout budget ran out"
        : "";
    const where = shortenMiddle(t(set.path), Math.max(16, Math.floor(width / 3)));
    head.push(
      ...wrapLine(
        `verify ${where} on ${engine}: ${applied} of ${all.length} migrations applied${stop}`,
        width,
        "  ",
      ).map((l) => c.bold(l)),
    );
    if (rolledBack)
      head.push(
        `  rolled back with the failed transaction: ${rolledBack} migration${rolledBack === 1 ? "" : "s"}`,
      );
    const notReached = all.filter((m) => m.status === "not-reached").map((m) => t(name(m.migration.file)));
    if (notReached.length) head.push(...wrapLine(`  not applied: ${notReached.join(", ")}`, width, "    "));
    head.push(
      set.differences
        ? c.yellow(
            `  ${set.differences} difference(s) between the replay and the database: see replay-mismatch findings.`,
          )
        : c.dim("  The replay's schema matches the database's."),
    );
    head.push("");

    const rows: string[][] = [["migration:line", "ms", "statement", "locks"]];
    let ran = 0;
    for (const m of all) {
      for (const st of m.statements) {
        if (st.status === "not-reached") continue;
        ran++;
        if (!options.verbose && !worthALook(st, options.lockThresholdMs)) continue;
        const taken = tableLocks(st);
        const locks = (options.verbose ? taken : strongest(taken))
          .map(
            (l) =>
              `${lockModeName(l.mode)} ${t(l.relation)}${l.preexisting ? "" : " (new)"}${l.seen === "inferred" ? " (inferred)" : l.seen === "observer" ? " (observed)" : ""}`,
          )
          .join(", ");
        const status =
          st.status === "failed"
            ? c.red(`FAILED ${st.error?.code ?? ""}`)
            : `${locks || "-"}${st.status === "rolled-back" ? c.yellow(" (rolled back)") : ""}`;
        rows.push([
          `${t(name(m.migration.file))}:${st.statement.range.line}`,
          st.durationMs.toFixed(1),
          firstLine(st.statement.sql),
          status,
        ]);
      }
    }
    const shown = rows.length - 1;
    const title = options.verbose
      ? `Locks taken, per statement (${set.path})`
      : `Statements that blocked writes to an existing table or held a lock over ${options.lockThresholdMs} ms (${set.path})`;
    tail.push(...wrapLine(title, width, "  ").map((l) => c.bold(l)));
    if (shown > 0) tail.push(...fitTable(rows, LOCK_COLUMNS, width));
    else tail.push("  none");
    if (!options.verbose && ran > shown)
      tail.push(
        ...wrapLine(
          c.dim(
            `  ${ran - shown} other statement${ran - shown === 1 ? "" : "s"} took only brief or non-blocking locks: --verbose lists them, --format json has the full trace.`,
          ),
          width,
          "  ",
        ),
      );
    tail.push("");
  }
  if (report.impact) {
    const impact = report.impact;
    tail.push(
      c.bold(`Impact with synthetic rows (loaded after ${t(impact.filledAfter.split("/").pop() ?? "")})`),
    );
    for (const fill of impact.fills) {
      tail.push(
        ...wrapLine(
          `  ${t(fill.table)}: ${fill.rows.toLocaleString("en-US")} rows in ${fill.ms.toFixed(0)} ms${fill.implied ? " (a NOT NULL foreign key needs its rows)" : ""}`,
          width,
          "    ",
        ),
      );
    }
    tail.push("  Statements after the rows were loaded (each held its locks for its whole duration):");
    const rows: string[][] = [["migration:line", "ms", "statement", "locks"]];
    for (const set of report.sets) {
      const loadedAt = set.apply.migrations.findIndex((m) => m.migration.file === impact.filledAfter);
      for (const m of set.apply.migrations.slice(loadedAt + 1)) {
        for (const st of m.statements) {
          if (st.status === "not-reached") continue;
          const locks = tableLocks(st)
            .map((l) => `${lockModeName(l.mode)} ${t(l.relation)}`)
            .join(", ");
          rows.push([
            `${t(migrationName(set.path, m.migration.file))}:${st.statement.range.line}`,
            st.durationMs.toFixed(1),
            firstLine(st.statement.sql),
            st.status === "failed" ? c.red(`FAILED ${st.error?.code ?? ""}`) : locks || "-",
          ]);
        }
      }
    }
    tail.push(...fitTable(rows, LOCK_COLUMNS, width - 2).map((r) => `  ${r}`), "");
  }
  if (report.coverage.length) {
    tail.push(c.bold("Required indexes"));
    const rows: string[][] = [["requirement", "proof"]];
    for (const row of report.coverage) {
      const label = t(requirementLabel(row.requirement));
      const proof =
        row.proof === "proven"
          ? c.green(`proven by ${t(row.index ?? "")}`)
          : row.proof === "invalid"
            ? c.red(`invalid: ${t(row.index ?? "")}`)
            : c.red(row.proof);
      rows.push([label, proof]);
    }
    tail.push(
      ...fitTable(
        rows,
        [
          { fit: "end", min: 20 },
          { fit: "wrap", min: 24 },
        ],
        width,
      ),
      "",
    );
  }
  if (report.probes.length) {
    tail.push(c.bold("Probe queries"));
    for (const p of report.probes) {
      const plan = p.error
        ? c.red(`failed: ${t(String(p.error))}`)
        : `${p.topNode}${p.indexesUsed.length ? ` using ${t(p.indexesUsed.join(", "))}` : ""}`;
      const note = p.seqscanDisabled ? c.dim(" (table empty: sequential scans disabled for the plan)") : "";
      const verdict = p.served ? c.green("served") : c.red("not served by a required index");
      tail.push(
        ...wrapLine(`  ${t(p.query)}`, width, "    "),
        ...wrapLine(`    → ${plan}: ${verdict}${note}`, width, "      "),
      );
      if (p.timings)
        tail.push(
          ...wrapLine(
            `    EXPLAIN ANALYZE: ${p.timings.beforeMs?.toFixed(2) ?? "?"} ms before, ${p.timings.afterMs?.toFixed(2) ?? "?"} ms after`,
            width,
            "      ",
          ),
        );
    }
    tail.push("");
  }
  return { head, tail };
}

function firstLine(sql: string): string {
  return t(sql.split("\n")[0] ?? "");
}
