/**
 * `--format markdown`: the report as GitHub-flavoured Markdown, for the Action's living PR comment
 * and the job summary. A verdict line, the findings table (links to lines and rule pages), then
 * verify's lock, coverage and impact tables. Over `maxLength` (GitHub rejects an issue comment over
 * 65,536 characters, "Body is too long") it lists the findings that fit, each whole with its Fix
 * line, and says where the rest are. Everything from the repository is inert text (escape.ts).
 */

import type { Finding } from "../finding.js";
import { coversRequirement, requirementLabel } from "../rules/coverage.js";
import { metaOf } from "../rules/index.js";
import type { Report } from "../run.js";
import { lockModeName } from "../schema/locks.js";
import type { VerifyReport } from "../verify/verify.js";
import { codeSpan, commentSafe, markdownText, shortenPath, splitPostgresMessage } from "./escape.js";
import type { Reporter } from "./reporter.js";

/** GitHub's limit for an issue or PR comment body, in characters. */
export const COMMENT_LIMIT = 65_536;

/** The hidden marker that identifies our living PR comment (a step without a key). */
export const COMMENT_MARKER = "<!-- pg-index-lint -->";

/**
 * The first line of a step's living PR comment: two steps with different keys (working
 * directories, configs or `name` inputs) keep two comments. No key: the plain marker.
 */
export function commentMarker(key?: string): string {
  return key ? `<!-- pg-index-lint key=${commentSafe(key)} -->` : COMMENT_MARKER;
}

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
  /**
   * What tells this report from another step's in the same pull request (its `name` input, or its
   * working directory and config): part of the marker and of the title.
   */
  key?: string;
  /** Longest allowed output; findings that do not fit are counted, and `moreAt` says where they are. */
  maxLength?: number;
  /** Where the findings that did not fit are, e.g. "the job summary". */
  moreAt?: string;
  /**
   * The per-statement lock table of verify. Default true; the PR comment leaves it to the job
   * summary, so that a long history never pushes findings out of the comment.
   */
  locks?: boolean;
  /** A line under the verdict, e.g. "for 1a2b3c4 (workflow run)". */
  footer?: string;
}

type Result = Pick<Report, "findings" | "summary" | "requirements"> &
  Partial<Pick<Report, "sets" | "modelSets">> & { verify?: VerifyReport | null };

/** Characters kept free for the "… and N more" line and the closing note. */
const RESERVE = 1_000;

/** The longest location shown in the findings table: long paths are cut in the middle. */
const WHERE_WIDTH = 48;

export function formatMarkdown(result: Result, options: MarkdownOptions = {}): string {
  const verify = result.verify ?? null;
  const head = header(result, options);
  const rows = result.findings.length ? findingRows(result.findings, options) : [];
  const forms: Form[] = ["full", "short", "minimal"];
  for (const form of forms) {
    const tail = tailSections(result, verify, options, form);
    const text = assemble(head, rows, tail, options, form);
    if (text !== undefined) return text;
  }
  // Not even the header fits: the verdict alone.
  return `${head.join("\n")}\n`;
}

type Form = "full" | "short" | "minimal";

function header(result: Result, options: MarkdownOptions): string[] {
  const out: string[] = [];
  if (options.marker) out.push(commentMarker(options.key), verdictMarker(result.summary));
  out.push(`### pg-index-lint${options.key ? `: ${markdownText(options.key, 200)}` : ""}`, "");
  out.push(verdict(result, options));
  if (options.footer) out.push("", `<sub>${options.footer}</sub>`);
  return out;
}

/**
 * The header, as many finding rows as fit (each whole, with its Fix line), then the other
 * sections; undefined when the sections of this form leave no room.
 */
function assemble(
  head: string[],
  rows: string[],
  tail: string[],
  options: MarkdownOptions,
  form: Form,
): string | undefined {
  const max = options.maxLength ?? Number.POSITIVE_INFINITY;
  const fixed = lengthOf(head) + lengthOf(tail) + (rows.length ? lengthOf(TABLE_HEAD) + 40 : 0);
  if (fixed + (Number.isFinite(max) ? RESERVE : 0) > max) return undefined;
  const out = [...head];
  let listed = 0;
  if (rows.length) {
    out.push("", "#### Findings", "", ...TABLE_HEAD);
    let used = fixed;
    for (const row of rows) {
      if (used + row.length + 1 + RESERVE > max) break;
      out.push(row);
      used += row.length + 1;
      listed++;
    }
    if (listed === 0) out.splice(out.length - TABLE_HEAD.length, TABLE_HEAD.length, "");
    if (listed < rows.length) {
      const rest = rows.length - listed;
      out.push(
        "",
        `… and ${count(rest, listed ? "more finding" : "finding")} that did not fit here: ${options.moreAt ?? "the full report has them all"}.`,
      );
    }
  }
  out.push(...tail);
  if (form !== "full" || listed < rows.length)
    out.push("", "<sub>Shortened to fit GitHub's size limit; the job summary has the full report.</sub>");
  return `${out.join("\n")}\n`;
}

function lengthOf(lines: string[]): number {
  return lines.reduce((n, line) => n + line.length + 1, 0);
}

function tailSections(
  result: Result,
  verify: VerifyReport | null,
  options: MarkdownOptions,
  form: Form,
): string[] {
  const out: string[] = [];
  const outside = options.outOfScope ?? [];
  if (outside.length) {
    out.push(
      "",
      `<details><summary>${count(outside.length, "finding")} on tables this pull request does not touch</summary>`,
      "",
    );
    if (form === "full") out.push(...TABLE_HEAD, ...findingRows(outside, options));
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
  return out;
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

const TABLE_HEAD = ["| | Rule | Where | Finding |", "|---|---|---|---|"];

function findingRows(findings: Finding[], options: MarkdownOptions): string[] {
  return findings.map((f) => {
    const icon = f.severity === "error" ? "❌" : "⚠️";
    const ruleUrl = options.ruleUrl?.(f.rule);
    const ruleId = codeSpan(f.rule, { table: true, max: 80 });
    const rule = ruleUrl ? `[${ruleId}](${ruleUrl})` : ruleId;
    const where = location(f.file, f.line, f.endLine, options);
    const measured = f.measured ? `<br>**Measured:** ${breakable(cell(f.measured))}` : "";
    return `| ${icon} | ${rule} | ${where} | ${message(f)}${measured}<br>**Fix:** ${breakable(cell(f.help))} |`;
  });
}

/** A finding's message for a cell; PostgreSQL's own words quoted in a code span, capped. */
function message(f: Finding): string {
  const postgres = metaOf(f.rule).quotesPostgres ? splitPostgresMessage(f.message) : undefined;
  if (!postgres) return breakable(cell(f.message));
  return `PostgreSQL rejected this statement (SQLSTATE ${cell(postgres.code)}): ${codeSpan(postgres.postgres, { table: true, max: 300 })}. ${breakable(cell(postgres.after))}`;
}

/**
 * Escaped cell text with break opportunities (`<wbr>`, which GitHub keeps) after each `/` and
 * before each `_` of a long word: a table is as wide as its longest words, and a migration path
 * or name of 50 characters would otherwise push the finding column off the screen. Before `_`,
 * never after it: a `_` after a tag could open emphasis, and one before a letter cannot close it.
 */
function breakable(escaped: string): string {
  return escaped.replace(/[^\s]{24,}/g, (word) =>
    word.replace(/\//g, "/<wbr>").replace(/\\?_/g, (u) => `<wbr>${u}`),
  );
}

/** `file:line`, cut in the middle when long, linked to the lines when a URL is known. */
function location(file: string, line: number, endLine: number, options: MarkdownOptions): string {
  const full = `${file}:${line}`;
  const shown = breakable(cell(shortenPath(full, WHERE_WIDTH)));
  if (!options.fileUrl) return shown;
  const title = full.length > WHERE_WIDTH ? ` "${cell(full).replaceAll('"', "&quot;")}"` : "";
  return `[${shown}](${linkTarget(options.fileUrl(file, line, endLine))}${title})`;
}

/**
 * A link destination: anything but URL characters percent-encoded (UTF-8), so that spaces, `@`,
 * parentheses, brackets or control bytes from a file name can neither end the link nor show.
 */
function linkTarget(url: string): string {
  return url.replace(/[^A-Za-z0-9\-._~:/?#!$&'*+,;=%]/gu, (ch) =>
    encodeURIComponent(ch).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
  );
}

function verifySections(report: VerifyReport, options: MarkdownOptions, form: Form): string[] {
  const out: string[] = [];
  // The server's description names its (masked) URL: user, host, port and database stay out.
  const engine =
    report.engine.kind === "pglite"
      ? `embedded PGlite (${markdownText(report.engine.version, 80)})`
      : markdownText(report.engine.version, 80);
  for (const set of report.sets) {
    const all = set.apply.migrations;
    const applied = all.filter((m) => m.status === "applied").length;
    const failure = set.apply.failure;
    const stop = failure
      ? `; stopped at ${cell(`${failure.statement.range.file}:${failure.statement.range.line}`)} (SQLSTATE ${cell(failure.error?.code ?? "?")})`
      : set.apply.timedOut
        ? "; stopped: out of time"
        : "";
    out.push(
      "",
      `#### Verify: ${codeSpan(set.path)} on ${engine}`,
      "",
      `${applied} of ${all.length} migrations applied${stop}.`,
    );
    if (form === "full" && options.locks !== false) {
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
              ? `**failed** (SQLSTATE ${cell(st.error?.code ?? "?")})`
              : cell(`${locks || "–"}${st.status === "rolled-back" ? " (rolled back)" : ""}`);
          const range = st.statement.range;
          const where = location(range.file, range.line, range.endLine, options);
          out.push(
            `| ${where} ${code(firstLine(st.statement.sql))} | ${st.durationMs.toFixed(1)} | ${status} |`,
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
          ? `✅ proven by ${code(row.index ?? "")}`
          : row.proof === "invalid"
            ? `❌ invalid: ${code(row.index ?? "")}`
            : `❌ ${cell(row.proof)}`;
      out.push(`| ${cell(requirementLabel(row.requirement))} | ${proof} |`);
    }
  }
  if (report.impact && form === "full") {
    const impact = report.impact;
    out.push("", `#### Impact with synthetic rows (loaded after ${codeSpan(impact.filledAfter)})`, "");
    out.push("| Table | Rows | Load ms |", "|---|---:|---:|");
    for (const fill of impact.fills)
      out.push(`| ${cell(fill.table)} | ${fill.rows.toLocaleString("en-US")} | ${fill.ms.toFixed(0)} |`);
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

/** Repository text inside a table cell: inert Markdown and HTML, one line, capped. */
function cell(text: string): string {
  return markdownText(text);
}

/** A code span inside a table cell. */
function code(text: string): string {
  return codeSpan(text, { table: true });
}

function firstLine(sql: string): string {
  const line = sql.split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
