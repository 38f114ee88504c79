/** `--format json`: the version 1 contract of DESIGN.md §5, field for field. */
import type { Finding } from "../finding.js";
import type { Report } from "../run.js";
import type { VerifyReport } from "../verify/verify.js";
import { toolVersion } from "../version.js";
import type { Reporter } from "./reporter.js";

export const jsonReporter: Reporter = { format: "json", render: (report) => formatJson(report) };

export function formatJson(
  result: Pick<Report, "findings" | "summary"> & { verify?: VerifyReport | null; toolVersion?: string },
): string {
  const report = {
    version: 1,
    tool: { name: "pg-index-lint", version: result.toolVersion ?? toolVersion() },
    findings: result.findings.map(toJson),
    summary: result.summary,
    verify: result.verify ? verifyJson(result.verify) : null,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

function toJson(f: Finding) {
  return {
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    help: f.help,
    file: f.file,
    line: f.line,
    column: f.column,
    endLine: f.endLine,
    endColumn: f.endColumn,
    ...(f.table !== undefined ? { table: f.table } : {}),
    ...(f.columns !== undefined ? { columns: f.columns } : {}),
    source: f.source,
    ...(f.measured !== undefined ? { measured: f.measured } : {}),
    ...(f.fix
      ? {
          fix: {
            description: f.fix.description,
            replacement: f.fix.replacement,
            // Only when the fix rewrites more than the finding's own span.
            ...(f.fix.range
              ? {
                  range: {
                    line: f.fix.range.line,
                    column: f.fix.range.column,
                    endLine: f.fix.range.endLine,
                    endColumn: f.fix.range.endColumn,
                  },
                }
              : {}),
            // What else the fix changes: a file it creates, an opt-out line it rewrites.
            ...(f.fix.edits?.length
              ? {
                  edits: f.fix.edits.map((e) => ({
                    file: e.file,
                    ...(e.create
                      ? { create: true }
                      : { line: e.line, column: e.column, endLine: e.endLine, endColumn: e.endColumn }),
                    text: e.text,
                  })),
                }
              : {}),
          },
        }
      : {}),
  };
}

/** The `verify` section: the database used, per migration its statements with timings and locks, coverage and probes. */
function verifyJson(report: VerifyReport) {
  const ms = (n: number) => Math.round(n * 100) / 100;
  return {
    database: report.engine,
    timedOut: report.timedOut,
    sets: report.sets.map((set) => ({
      path: set.path,
      runner: set.runner,
      differences: set.differences,
      migrations: set.apply.migrations.map((m) => ({
        file: m.migration.file,
        id: m.migration.id,
        status: m.status,
        durationMs: ms(m.durationMs),
        statements: m.statements.map((st) => ({
          line: st.statement.range.line,
          endLine: st.statement.range.endLine,
          status: st.status,
          durationMs: ms(st.durationMs),
          locks: st.locks.map((l) => ({
            relation: l.relation,
            relkind: l.relkind,
            mode: l.mode,
            preexisting: l.preexisting,
            seen: l.seen,
          })),
          ...(st.error ? { error: { code: st.error.code, message: st.error.message } } : {}),
        })),
      })),
    })),
    impact: report.impact
      ? {
          filledAfter: report.impact.filledAfter,
          fills: report.impact.fills.map((f) => ({
            table: f.table,
            rows: f.rows,
            ms: ms(f.ms),
            implied: f.implied,
          })),
        }
      : null,
    coverage: report.coverage.map((row) => ({
      table: row.requirement.entry.table,
      columns: row.requirement.entry.columns,
      ...(row.requirement.entry.where ? { where: row.requirement.entry.where } : {}),
      proof: row.proof,
      ...(row.index ? { index: row.index } : {}),
    })),
    probes: report.probes.map((p) => ({
      table: p.requirement.entry.table,
      query: p.query,
      plan: p.topNode,
      indexesUsed: p.indexesUsed,
      served: p.served,
      seqscanDisabled: p.seqscanDisabled,
      ...(p.error ? { error: p.error } : {}),
      ...(p.timings ? { timings: p.timings } : {}),
    })),
  };
}
