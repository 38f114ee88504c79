/** The text tables `verify` adds: what was applied, the locks each statement took, coverage and probes. */
import pc from "picocolors";
import { requirementLabel } from "../rules/coverage.js";
import { lockModeName } from "../schema/locks.js";
import type { VerifyReport } from "../verify/verify.js";
import { terminalLine as t } from "./escape.js";

export function formatVerifyText(report: VerifyReport, color: boolean): string {
  const c = pc.createColors(color);
  const out: string[] = [];
  const engine =
    report.engine.kind === "pglite"
      ? `embedded PGlite (${report.engine.version})`
      : `${t(report.engine.description)} (${report.engine.version})`;
  for (const set of report.sets) {
    const all = set.apply.migrations;
    const applied = all.filter((m) => m.status === "applied").length;
    const rolledBack = all.filter((m) => m.status === "rolled-back").length;
    const failure = set.apply.failure;
    const failedAt = failure
      ? `${t(failure.statement.range.file)}:${failure.statement.range.line} (SQLSTATE ${failure.error?.code})`
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
    out.push(
      c.bold(`verify ${t(set.path)} on ${engine}: ${applied} of ${all.length} migrations applied${stop}`),
    );
    if (rolledBack)
      out.push(
        `  rolled back with the failed transaction: ${rolledBack} migration${rolledBack === 1 ? "" : "s"}`,
      );
    const notReached = all.filter((m) => m.status === "not-reached").map((m) => m.migration.file);
    if (notReached.length) out.push(`  not applied: ${t(notReached.join(", "))}`);
    out.push("");
    out.push(c.bold("Locks taken, per statement"));
    const rows: string[][] = [["file:line", "ms", "statement", "locks"]];
    for (const m of all) {
      for (const st of m.statements) {
        if (st.status === "not-reached") continue;
        const locks = st.locks
          .filter((l) => l.relkind === "r" || l.relkind === "p")
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
          `${t(m.migration.file.split("/").pop() ?? "")}:${st.statement.range.line}`,
          st.durationMs.toFixed(1),
          firstLine(st.statement.sql),
          status,
        ]);
      }
    }
    out.push(...table(rows));
    if (set.differences)
      out.push(
        c.yellow(
          `  ${set.differences} difference(s) between the replay and the database: see replay-mismatch findings.`,
        ),
      );
    else out.push(c.dim("  The replay's schema matches the database's."));
    out.push("");
  }
  if (report.impact) {
    const impact = report.impact;
    out.push(
      c.bold(`Impact with synthetic rows (loaded after ${t(impact.filledAfter.split("/").pop() ?? "")})`),
    );
    for (const fill of impact.fills) {
      out.push(
        `  ${t(fill.table)}: ${fill.rows.toLocaleString("en-US")} rows in ${fill.ms.toFixed(0)} ms${fill.implied ? " (a NOT NULL foreign key needs its rows)" : ""}`,
      );
    }
    out.push("  Statements after the rows were loaded (each held its locks for its whole duration):");
    const rows: string[][] = [["file:line", "ms", "statement", "locks"]];
    for (const set of report.sets) {
      const loadedAt = set.apply.migrations.findIndex((m) => m.migration.file === impact.filledAfter);
      for (const m of set.apply.migrations.slice(loadedAt + 1)) {
        for (const st of m.statements) {
          if (st.status === "not-reached") continue;
          const locks = st.locks
            .filter((l) => l.relkind === "r" || l.relkind === "p")
            .map((l) => `${lockModeName(l.mode)} ${t(l.relation)}`)
            .join(", ");
          rows.push([
            `${t(m.migration.file.split("/").pop() ?? "")}:${st.statement.range.line}`,
            st.durationMs.toFixed(1),
            firstLine(st.statement.sql),
            st.status === "failed" ? c.red(`FAILED ${st.error?.code ?? ""}`) : locks || "-",
          ]);
        }
      }
    }
    out.push(...table(rows).map((r) => `  ${r}`), "");
  }
  if (report.coverage.length) {
    out.push(c.bold("Required indexes"));
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
    out.push(...table(rows), "");
  }
  if (report.probes.length) {
    out.push(c.bold("Probe queries"));
    for (const p of report.probes) {
      const plan = p.error
        ? c.red(`failed: ${t(String(p.error))}`)
        : `${p.topNode}${p.indexesUsed.length ? ` using ${t(p.indexesUsed.join(", "))}` : ""}`;
      const note = p.seqscanDisabled ? c.dim(" (table empty: sequential scans disabled for the plan)") : "";
      const verdict = p.served ? c.green("served") : c.red("not served by a required index");
      out.push(`  ${t(p.query)}`, `    → ${plan}: ${verdict}${note}`);
      if (p.timings)
        out.push(
          `    EXPLAIN ANALYZE: ${p.timings.beforeMs?.toFixed(2) ?? "?"} ms before, ${p.timings.afterMs?.toFixed(2) ?? "?"} ms after`,
        );
    }
    out.push("");
  }
  return `${out.join("\n")}\n`;
}

function firstLine(sql: string): string {
  const line = t(sql.split("\n")[0] ?? "");
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}

function table(rows: string[][]): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colours to measure width
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").length;
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => visible(r[i] ?? "")))) ?? [];
  return rows.map(
    (r) =>
      `  ${r
        .map((cell, i) => (i === r.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - visible(cell))))
        .join("  ")}`,
  );
}
