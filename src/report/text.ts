/**
 * `--format text`: a code frame per finding with the span marked, the rule id, the message and a
 * help line, then one summary line. Colour only when the stream is a terminal.
 */
import { dirname, resolve } from "node:path";
import pc from "picocolors";
import type { Finding } from "../finding.js";
import type { Report } from "../run.js";
import { readTextNear } from "../sources/read.js";
import { terminalLine as t } from "./escape.js";
import { shortenEnd, visibleLength, wrapLine } from "./fit.js";
import type { Reporter } from "./reporter.js";
import { DEFAULT_LOCK_THRESHOLD_MS, formatVerifyText } from "./verify-text.js";

const MAX_FRAME_LINES = 3;
// biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colours to tell code frames
const ANSI = /\x1b\[[0-9;]*m/g;

export interface TextOptions {
  color: boolean;
  /** Columns per line: messages and help wrap to it. Default: no wrapping. */
  width?: number;
  /** Lines after the set lines, before the findings (verify's verdict per set). */
  head?: string[];
  /** Lines after the findings, before the closing summary (verify's tables). */
  tail?: string[];
}

export const textReporter: Reporter = {
  format: "text",
  render: (report, context) => {
    const width = context.width ?? 100;
    const verify = report.verify
      ? formatVerifyText(report.verify, {
          color: context.color,
          width,
          verbose: Boolean(context.verbose),
          lockThresholdMs: context.lockThresholdMs ?? DEFAULT_LOCK_THRESHOLD_MS,
        })
      : undefined;
    // verify's report fits the width (check's keeps its lines whole, for now).
    return formatText(report, { color: context.color, ...(verify ? { width, ...verify } : {}) });
  },
};

type TextInput = Pick<Report, "sets" | "findings" | "summary"> &
  Partial<Pick<Report, "outOfScope" | "omitted">>;

export function formatText(result: TextInput, options: TextOptions): string {
  const c = pc.createColors(options.color);
  const out: string[] = [];
  for (const set of result.sets) {
    const how = set.detected ? "detected" : "from config";
    const version = !set.versioned
      ? ""
      : set.version.version
        ? `${set.version.version} (${set.version.source})`
        : `not pinned, assuming the latest behaviour`;
    const line = `${t(set.path)}: ${set.migrations.length} migration${set.migrations.length === 1 ? "" : "s"}, runner ${set.runner} (${how})${version ? `, version ${version}` : ""}`;
    out.push(...(options.width ? wrapLine(line, options.width, "  ") : [line]).map((l) => c.dim(l)));
  }
  if (result.sets.length) out.push("");
  out.push(...(options.head ?? []));
  // The verdict first, so that a long report does not hide it, and again at the end.
  if (result.findings.length > 0) out.push(summaryLine(result, c), "");
  const sources = new Map<string, string[] | null>();
  for (const finding of result.findings) {
    const lines_ = formatFinding(finding, lines(sources, finding.file), c);
    const width = options.width;
    // The finding's words wrap; a code frame is the file's own text, shown as it is.
    const wrapped = width
      ? lines_.flatMap((l) =>
          /^\s*\S*\s*\|/.test(l.replace(ANSI, "")) ? [cutFrameLine(l, width)] : wrapLine(l, width, "      "),
        )
      : lines_;
    out.push(...wrapped, "");
  }
  const outside = result.outOfScope?.length ?? 0;
  if (outside || result.omitted)
    out.push(
      c.dim(
        `${[
          outside ? `${outside} finding${outside === 1 ? "" : "s"} on tables this change does not touch` : "",
          result.omitted ? `${result.omitted} in files it does not change` : "",
        ]
          .filter(Boolean)
          .join(", and ")} not shown.`,
      ),
      "",
    );
  out.push(...(options.tail ?? []));
  out.push(summaryLine(result, c));
  return `${out.join("\n")}\n`;
}

/** A code frame line wider than the terminal ends in "…": the file's text is there to locate, not to read whole. */
function cutFrameLine(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  return `${shortenEnd(line.replace(ANSI, ""), width)}`;
}

function lines(cache: Map<string, string[] | null>, file: string): string[] | null {
  if (!cache.has(file)) {
    // The snippet is read as the run read the file: a link out of the repository, a FIFO or a
    // device is not opened here either.
    const path = resolve(file);
    cache.set(file, readTextNear(path, dirname(path))?.split(/\r?\n/) ?? null);
  }
  return cache.get(file) ?? null;
}

type Colors = ReturnType<typeof pc.createColors>;

function formatFinding(f: Finding, source: string[] | null, c: Colors): string[] {
  const severity = f.severity === "error" ? c.red(c.bold("error")) : c.yellow(c.bold("warning"));
  const out = [
    `${severity}${c.bold(`[${t(f.rule)}]`)}: ${c.bold(t(f.message))}`,
    `  ${c.blue("-->")} ${t(f.file)}:${f.line}:${f.column}`,
  ];
  if (source) {
    const last = Math.min(f.endLine, f.line + MAX_FRAME_LINES - 1);
    const width = String(last).length;
    const gutter = (n?: number) => c.blue(`${(n === undefined ? "" : String(n)).padStart(width)} |`);
    out.push(`  ${gutter()}`);
    for (let n = f.line; n <= last; n++) {
      const text = t(source[n - 1] ?? "");
      out.push(`  ${gutter(n)} ${text}`);
      const from = n === f.line ? f.column - 1 : text.length - text.trimStart().length;
      const to = n === f.endLine ? f.endColumn - 1 : text.length;
      const marks = Math.max(1, to - from);
      out.push(
        `  ${gutter()} ${" ".repeat(Math.max(0, from))}${(f.severity === "error" ? c.red : c.yellow)("^".repeat(marks))}`,
      );
    }
    if (f.endLine > last)
      out.push(
        `  ${gutter()} ${c.dim(`… ${f.endLine - last} more line${f.endLine - last === 1 ? "" : "s"}`)}`,
      );
  }
  out.push(`  ${c.cyan("= help:")} ${t(f.help)}`);
  if (f.measured) out.push(`  ${c.cyan("= verify measured:")} ${t(f.measured)}`);
  if (f.fix) {
    const span = f.fix.range ? ` (lines ${f.fix.range.line}–${f.fix.range.endLine})` : "";
    const removes = f.fix.replacement === "" && (f.fix.edits?.length ?? 0) > 0;
    out.push(
      `  ${c.cyan(`= fix${span}:`)} ${t(f.fix.description)}${removes ? " (removes the statement here)" : ":"}`,
    );
    if (!removes) for (const line of f.fix.replacement.split("\n")) out.push(`      ${c.green(t(line))}`);
    for (const edit of f.fix.edits ?? []) {
      const where = edit.create
        ? `creates ${t(edit.file)}`
        : edit.line === edit.endLine && edit.column === edit.endColumn
          ? `inserts at ${t(edit.file)}:${edit.line}:${edit.column}`
          : `replaces ${t(edit.file)}:${edit.line}:${edit.column}–${edit.endLine}:${edit.endColumn} with`;
      out.push(`    ${c.cyan(`and ${where}:`)}`);
      for (const line of edit.text.replace(/\n$/, "").split("\n")) out.push(`      ${c.green(t(line))}`);
    }
  }
  return out;
}

function summaryLine(result: Pick<Report, "summary">, c: Colors): string {
  const { errors, warnings, files, statements } = result.summary;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const scope = `in ${plural(files, "file")} (${plural(statements, "statement")})`;
  if (errors === 0 && warnings === 0) return c.green(`✔ no problems ${scope}`);
  const mark = errors > 0 ? c.red("✖") : c.yellow("⚠");
  return `${mark} ${plural(errors, "error")}, ${plural(warnings, "warning")} ${scope}`;
}
