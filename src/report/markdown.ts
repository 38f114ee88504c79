/**
 * `--format markdown`: the report as GitHub-flavoured Markdown, for the Action's living PR comment
 * and the job summary. A verdict line, the findings table (links to lines and rule pages), then
 * verify's lock, coverage and impact tables. Over `maxLength` it falls back to a shorter form:
 * GitHub rejects an issue comment over 65,536 characters ("Body is too long").
 */
import type { Finding } from "../finding.js";
import { coversRequirement, requirementLabel } from "../rules/coverage.js";
import type { Report } from "../run.js";
import { lockModeName } from "../schema/locks.js";
import type { VerifyReport } from "../verify/verify.js";
import type { Reporter } from "./reporter.js";

/** GitHub's limit for an issue or PR comment body, in characters. */
export const COMMENT_LIMIT = 65_536;

/** The hidden marker that identifies our living PR comment. */
export const COMMENT_MARKER = "<!-- pg-index-lint -->";

/**
 * A hidden line with the numbers behind the verdict, written from the report, so that the next
 * run can tell that this comment reported findings without reading its prose.
 */
export function verdictMarker(summary: { errors: number; warnings: number }): string {
  return `<!-- pg-index-lint:findings=${summary.errors + summary.warnings} -->`;
}

/** How many findings an earlier comment reported, from its verdict marker; null without one. */
export function reportedFindings(body: string): number | null {
  const match = /<!-- pg-index-lint:findings=(\d+) -->/.exec(body);
  return match ? Number(match[1]) : null;
}

export const markdownReporter: Reporter = {
  format: "markdown",
  render: (report) =>
    formatMarkdown(report, {
      failOn: report.verdict.failOn,
      outOfScope: report.outOfScope,
      omitted: report.omitted,
    }),
};

export interface MarkdownOptions {
  /** A link to a line range; the location is plain text without it. */
  fileUrl?: (file: string, line: number, endLine: number) => string;
  /** A link to a rule's page; the rule id is plain text without it. */
  ruleUrl?: (rule: string) => string | undefined;
  /**
   * Findings outside the pull request's scope (final-state findings on tables it does not touch):
   * listed apart, and they do not count towards the verdict.
   */
  outOfScope?: Finding[];
  /** Statement findings in files the pull request does not change, left out entirely. */
  omitted?: number;
  /** The level that fails the check, for the verdict line. Default "error". */
  failOn?: "error" | "warning" | "never";
  /** An earlier run reported findings: a clean result then says they are fixed. */
  previouslyFailing?: boolean;
  /** Prefix the hidden marker of the living PR comment. */
  marker?: boolean;
  /** Longest allowed output; a shorter form beyond it. Default: no limit. */
  maxLength?: number;
  /** A line under the verdict, e.g. "for 1a2b3c4 (workflow run)". */
  footer?: string;
}

type Result = Pick<Report, "findings" | "summary" | "requirements"> &
  Partial<Pick<Report, "sets" | "modelSets">> & { verify?: VerifyReport | null };

export function formatMarkdown(result: Result, options: MarkdownOptions = {}): string {
  const verify = result.verify ?? null;
  const full = render(result, verify, options, "full");
  if (!options.maxLength || full.length <= options.maxLength) return full;
  const short = render(result, verify, options, "short");
  if (short.length <= options.maxLength) return short;
  return render(result, verify, options, "minimal");
}

type Form = "full" | "short" | "minimal";

/** How many findings the short form lists before it stops. */
const SHORT_FINDINGS = 100;

function render(result: Result, verify: VerifyReport | null, options: MarkdownOptions, form: Form): string {
  const out: string[] = [];
  if (options.marker) out.push(COMMENT_MARKER, verdictMarker(result.summary));
  out.push("### pg-index-lint", "", verdict(result, options));
  if (options.footer) out.push("", `<sub>${options.footer}</sub>`);
  const findings = result.findings;
  if (findings.length) {
    out.push("", "#### Findings", "");
    const listed = form === "full" ? findings : form === "short" ? findings.slice(0, SHORT_FINDINGS) : [];
    if (listed.length) out.push(...findingsTable(listed, options, form));
    if (listed.length < findings.length)
      out.push(
        "",
        `… and ${findings.length - listed.length} more: the full report is in the job summary and the annotations.`,
      );
  }
  const outside = options.outOfScope ?? [];
  if (outside.length) {
    out.push(
      "",
      `<details><summary>${count(outside.length, "finding")} on tables this pull request does not touch</summary>`,
      "",
    );
    if (form === "full") out.push(...findingsTable(outside, options, form));
    else out.push("Listed in the job summary.");
    out.push("", "</details>");
  }
  if (options.omitted)
    out.push(
      "",
      `<sub>${count(options.omitted, "older finding")} in files this pull request does not change ${options.omitted === 1 ? "is" : "are"} not shown.</sub>`,
    );
  if (verify && form !== "minimal") out.push(...verifySections(verify, options, form));
  if (!verify && result.requirements.length && form !== "minimal") out.push(...staticCoverage(result));
  if (form !== "full")
    out.push(
      "",
      "<sub>Shortened to fit GitHub's comment size limit; the job summary has the full report.</sub>",
    );
  return `${out.join("\n")}\n`;
}

function verdict(result: Result, options: MarkdownOptions): string {
  const { errors, warnings, files, statements } = result.summary;
  const scope = `in ${count(files, "file")} (${count(statements, "statement")})`;
  const failOn = options.failOn ?? "error";
  if (errors === 0 && warnings === 0) {
    return options.previouslyFailing
      ? `✅ **All fixed.** The problems reported earlier are gone: no findings ${scope}.`
      : `✅ **No problems** ${scope}.`;
  }
  const blocking = failOn !== "never" && (errors > 0 || (failOn === "warning" && warnings > 0));
  const mark = errors > 0 ? "❌" : "⚠️";
  const tail = blocking ? ` This check fails (fail-on: ${failOn}).` : "";
  return `${mark} **${count(errors, "error")}, ${count(warnings, "warning")}** ${scope}.${tail}`;
}

function findingsTable(findings: Finding[], options: MarkdownOptions, form: Form): string[] {
  const rows = ["| | Rule | Where | Finding |", "|---|---|---|---|"];
  for (const f of findings) {
    const icon = f.severity === "error" ? "❌" : "⚠️";
    const ruleUrl = options.ruleUrl?.(f.rule);
    const rule = ruleUrl ? `[\`${f.rule}\`](${ruleUrl})` : `\`${f.rule}\``;
    const place = `${f.file}:${f.line}`;
    const where = options.fileUrl
      ? `[${cell(place)}](${options.fileUrl(f.file, f.line, f.endLine)})`
      : cell(place);
    const measured = f.measured ? `<br>**Measured:** ${cell(f.measured)}` : "";
    const message =
      form === "full" ? `${cell(f.message)}${measured}<br>**Fix:** ${cell(f.help)}` : cell(f.message);
    rows.push(`| ${icon} | ${rule} | ${where} | ${message} |`);
  }
  return rows;
}

function verifySections(report: VerifyReport, options: MarkdownOptions, form: Form): string[] {
  const out: string[] = [];
  const engine =
    report.engine.kind === "pglite"
      ? `embedded PGlite (${report.engine.version})`
      : report.engine.description;
  for (const set of report.sets) {
    const all = set.apply.migrations;
    const applied = all.filter((m) => m.status === "applied").length;
    const failure = set.apply.failure;
    const stop = failure
      ? `; stopped at ${failure.statement.range.file}:${failure.statement.range.line} (SQLSTATE ${failure.error?.code})`
      : set.apply.timedOut
        ? "; stopped: out of time"
        : "";
    out.push(
      "",
      `#### Verify: \`${set.path}\` on ${engine}`,
      "",
      `${applied} of ${all.length} migrations applied${stop}.`,
    );
    if (form === "full") {
      out.push("", "<details><summary>Locks taken, per statement</summary>", "");
      out.push("| Statement | ms | Locks |", "|---|---:|---|");
      for (const m of all) {
        for (const st of m.statements) {
          if (st.status === "not-reached") continue;
          const locks = st.locks
            .filter((l) => l.relkind === "r" || l.relkind === "p")
            .map((l) => `${lockModeName(l.mode)} ${l.relation}${l.preexisting ? "" : " (new)"}`)
            .join(", ");
          const status =
            st.status === "failed"
              ? `**failed** (SQLSTATE ${st.error?.code ?? "?"})`
              : `${locks || "–"}${st.status === "rolled-back" ? " (rolled back)" : ""}`;
          const range = st.statement.range;
          const place = `${range.file}:${range.line}`;
          const where = options.fileUrl
            ? `[${cell(place)}](${options.fileUrl(range.file, range.line, range.endLine)})`
            : cell(place);
          out.push(
            `| ${where} ${code(firstLine(st.statement.sql))} | ${st.durationMs.toFixed(1)} | ${cell(status)} |`,
          );
        }
      }
      out.push("", "</details>");
    }
  }
  if (report.coverage.length) {
    out.push("", "#### Required indexes", "", "| Requirement | Proof |", "|---|---|");
    for (const row of report.coverage) {
      const proof =
        row.proof === "proven"
          ? `✅ proven by \`${row.index}\``
          : row.proof === "invalid"
            ? `❌ invalid: \`${row.index}\``
            : `❌ ${row.proof}`;
      out.push(`| ${cell(requirementLabel(row.requirement))} | ${proof} |`);
    }
  }
  if (report.impact && form === "full") {
    const impact = report.impact;
    out.push("", `#### Impact with synthetic rows (loaded after \`${impact.filledAfter}\`)`, "");
    out.push("| Table | Rows | Load ms |", "|---|---:|---:|");
    for (const fill of impact.fills)
      out.push(`| ${fill.table} | ${fill.rows.toLocaleString("en-US")} | ${fill.ms.toFixed(0)} |`);
    const timed = report.probes.filter((p) => p.timings);
    if (timed.length) {
      out.push("", "| Probe query | Before ms | After ms |", "|---|---:|---:|");
      for (const p of timed)
        out.push(
          `| ${code(p.query)} | ${p.timings?.beforeMs?.toFixed(2) ?? "?"} | ${p.timings?.afterMs?.toFixed(2) ?? "?"} |`,
        );
    }
  }
  return out;
}

/** Without verify: each requirement, and whether the replayed schema covers it. */
function staticCoverage(result: Result): string[] {
  const out = ["", "#### Required indexes", "", "| Requirement | Replayed schema |", "|---|---|"];
  // The schema the rules judged: the migrations', or the models' when there are no migrations.
  const catalogs = result.sets?.length
    ? result.sets.map((s) => s.catalog)
    : (result.modelSets ?? []).map((s) => s.catalog);
  for (const req of result.requirements) {
    const covered = catalogs.some((catalog) => {
      const table = catalog.resolveTable(req.schema, req.table);
      return table !== undefined && [...table.indexes.values()].some((i) => coversRequirement(i, req).covers);
    });
    out.push(`| ${cell(requirementLabel(req))} | ${covered ? "✅ covered" : "❌ missing"} |`);
  }
  return out;
}

/** Text safe inside a table cell: no pipes or line breaks, HTML-significant characters escaped. */
function cell(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll("|", "\\|")
    .replace(/\r?\n/g, " ");
}

/** A code span inside a table cell: only the pipe needs escaping there. */
function code(text: string): string {
  return `\`${text.replace(/\r?\n/g, " ").replaceAll("|", "\\|").replaceAll("`", "'")}\``;
}

function firstLine(sql: string): string {
  const line = sql.split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
