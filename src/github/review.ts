/**
 * One review with an inline comment per finding on a line of the PR's diff. A fixable finding
 * carries a ```suggestion block that replaces the whole lines of its range (GitHub applies a
 * suggestion to the commented lines). Each comment holds a hidden fingerprint, so a re-run does
 * not post the same comment twice.
 */

import { createHash } from "node:crypto";
import type { Finding } from "../finding.js";
import { numberedFingerprints } from "../finding.js";
import { codeSpan, fencedBlock, longestRun, markdownText, splitPostgresMessage } from "../report/escape.js";
import { metaOf } from "../rules/index.js";
import type { ApiComment, NewReviewComment, PrFile } from "./api.js";
import { commentRange, rightSideLines } from "./diff.js";

/** More inline comments than this in one review time out on GitHub's side; the rest go to the summary. */
export const MAX_REVIEW_COMMENTS = 50;

const MARKER = /<!-- pg-index-lint:fp=([0-9a-f]{16}-\d+) -->/g;

/**
 * A finding's stable key for review comments: the line-independent fingerprint, hashed, and its
 * occurrence among findings with the same fingerprint (three identical statements in one file).
 */
export function findingKeys(
  findings: Finding[],
  path: (f: Finding) => string = (f) => f.file,
): Map<Finding, string> {
  // Keyed by the repository path: two steps in a monorepo may both have migrations/001.sql.
  const numbered = numberedFingerprints(findings, path);
  return new Map(
    findings.map((f, i) => {
      const { key, occurrence } = numbered[i] as { key: string; occurrence: number };
      return [f, `${createHash("sha256").update(key).digest("hex").slice(0, 16)}-${occurrence}`];
    }),
  );
}

/** Fingerprints already posted in review comments by `viewer`. */
export function postedKeys(comments: ApiComment[], viewer: string): Set<string> {
  const keys = new Set<string>();
  for (const c of comments) {
    if (c.login !== viewer) continue;
    for (const m of c.body.matchAll(MARKER)) if (m[1]) keys.add(m[1]);
  }
  return keys;
}

export interface ReviewPlan {
  comments: NewReviewComment[];
  /** Findings on lines outside the diff (or over the cap): the summary lists them. */
  outsideDiff: Finding[];
  /** Findings already commented on by an earlier run. */
  alreadyPosted: Finding[];
}

export interface ReviewInput {
  findings: Finding[];
  files: PrFile[];
  /** Repository path of a finding's file (findings are relative to the working directory). */
  repoPath: (file: string) => string;
  /** The file's current lines, for suggestions; undefined when it cannot be read. */
  readLines: (file: string) => string[] | undefined;
  posted: Set<string>;
  ruleUrl?: (rule: string) => string | undefined;
}

export function planReview(input: ReviewInput): ReviewPlan {
  const patches = new Map(input.files.map((f) => [f.filename, rightSideLines(f.patch)]));
  const keys = findingKeys(input.findings, (f) => input.repoPath(f.file));
  const plan: ReviewPlan = { comments: [], outsideDiff: [], alreadyPosted: [] };
  for (const f of input.findings) {
    const key = keys.get(f) as string;
    if (input.posted.has(key)) {
      plan.alreadyPosted.push(f);
      continue;
    }
    // A fix anchors the comment on the lines it edits (a whole BEGIN … COMMIT block, the end of
    // the model block an `@@index` goes into), so that its suggestion replaces those lines. When
    // they are outside the diff, the comment goes on the finding's lines and shows the edit
    // without a suggestion, which would replace the wrong lines.
    const span = f.fix?.range ?? f;
    const spanLines = patches.get(input.repoPath(span.file));
    const onFix = spanLines ? commentRange(spanLines, span.line, span.endLine) : undefined;
    const ownLines = patches.get(input.repoPath(f.file));
    const range = onFix ?? (f.fix?.range && ownLines ? commentRange(ownLines, f.line, f.endLine) : undefined);
    if (!range || plan.comments.length >= MAX_REVIEW_COMMENTS) {
      plan.outsideDiff.push(f);
      continue;
    }
    const anchor = onFix ? span.file : f.file;
    plan.comments.push({
      path: input.repoPath(anchor),
      body: commentBody(f, key, onFix ? input.readLines(anchor) : undefined, input.ruleUrl?.(f.rule)),
      line: range.line,
      side: "RIGHT",
      ...(range.startLine !== undefined ? { start_line: range.startLine, start_side: "RIGHT" as const } : {}),
    });
  }
  return plan;
}

/**
 * A review comment: everything from the repository (the message's names and SQL, PostgreSQL's
 * words, the help) is inert text; PostgreSQL's message is quoted in a fenced block of its own.
 */
export function commentBody(f: Finding, key: string, lines: string[] | undefined, ruleUrl?: string): string {
  const icon = f.severity === "error" ? "❌" : "⚠️";
  const ruleId = codeSpan(f.rule, { max: 80 });
  const rule = ruleUrl ? `[${ruleId}](${ruleUrl})` : ruleId;
  const postgres = metaOf(f.rule).quotesPostgres ? splitPostgresMessage(f.message) : undefined;
  const out = postgres
    ? [
        `<!-- pg-index-lint:fp=${key} -->`,
        `${icon} **pg-index-lint** ${rule}: PostgreSQL rejected this statement (SQLSTATE ${markdownText(postgres.code)}):`,
        "",
        fencedBlock(postgres.postgres, "text", POSTGRES_MESSAGE_LIMIT),
        "",
        markdownText(postgres.after),
      ]
    : [`<!-- pg-index-lint:fp=${key} -->`, `${icon} **pg-index-lint** ${rule}: ${markdownText(f.message)}`];
  out.push("", markdownText(f.help));
  // A fix that creates another file (the statement moved to a new migration) is never a
  // suggestion: applied alone, it would drop the statement. Edits in existing files (an import)
  // may follow a suggestion, listed to make by hand.
  const edits = f.fix?.edits ?? [];
  const suggestion = f.fix && lines && edits.every((e) => !e.create) ? suggestedLines(f, lines) : undefined;
  if (f.fix && suggestion !== undefined) {
    out.push("", `**Fix:** ${markdownText(f.fix.description)}.`, "", fenced("suggestion", suggestion, false));
  } else if (f.fix) {
    const at = f.fix.range ?? f;
    const where = `${at.file === f.file ? "line " : `${markdownText(at.file)}:`}${at.line}`;
    if (f.fix.replacement === "" && edits.length > 0)
      out.push("", `**Fix:** ${markdownText(f.fix.description)}: remove the statement at ${where}.`);
    else
      out.push(
        "",
        `**Fix:** ${markdownText(f.fix.description)}, at ${where}:`,
        "",
        fenced("", f.fix.replacement),
      );
  }
  for (const e of edits) {
    const name = codeSpan(e.file, { max: 200 });
    out.push(
      "",
      e.create
        ? `Also create ${name}:`
        : e.line === e.endLine && e.column === e.endColumn
          ? `Also in ${name}, insert at line ${e.line}:`
          : `Also in ${name}, replace lines ${e.line}–${e.endLine} with:`,
      "",
      fenced("", e.text),
    );
  }
  return out.join("\n");
}

/** The longest PostgreSQL message quoted in a review comment. */
const POSTGRES_MESSAGE_LIMIT = 1000;

/**
 * The replacement for the finding's whole lines: the fix replaces the range's text, and the text
 * before its first column and after its last column stays.
 */
export function suggestedLines(f: Finding, lines: string[]): string | undefined {
  if (!f.fix) return undefined;
  const span = f.fix.range ?? f;
  const first = lines[span.line - 1];
  const last = lines[span.endLine - 1];
  if (first === undefined || last === undefined) return undefined;
  return `${first.slice(0, span.column - 1)}${f.fix.replacement}${last.slice(span.endColumn - 1)}`;
}

/** A code block whose fence is longer than any run of backticks in `text`. */
function fenced(info: string, text: string, trim = true): string {
  const fence = "`".repeat(Math.max(3, longestRun(text, "`") + 1));
  return `${fence}${info}\n${trim ? text.replace(/^\n+|\n+$/g, "") : text}\n${fence}`;
}
