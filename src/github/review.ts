/**
 * One review with an inline comment per finding on a line of the PR's diff. A fixable finding
 * carries a ```suggestion block that replaces the whole lines of its range (GitHub applies a
 * suggestion to the commented lines). Each comment holds a hidden fingerprint, so a re-run does
 * not post the same comment twice.
 */
import { createHash } from "node:crypto";
import type { Finding } from "../finding.js";
import { numberedFingerprints } from "../finding.js";
import type { ApiComment, NewReviewComment, PrFile } from "./api.js";
import { commentRange, rightSideLines } from "./diff.js";

/** More inline comments than this in one review time out on GitHub's side; the rest go to the summary. */
export const MAX_REVIEW_COMMENTS = 50;

const MARKER = /<!-- pg-index-lint:fp=([0-9a-f]{16}-\d+) -->/g;

/**
 * A finding's stable key for review comments: the line-independent fingerprint, hashed, and its
 * occurrence among findings with the same fingerprint (three identical statements in one file).
 */
export function findingKeys(findings: Finding[]): Map<Finding, string> {
  const numbered = numberedFingerprints(findings);
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
  const keys = findingKeys(input.findings);
  const plan: ReviewPlan = { comments: [], outsideDiff: [], alreadyPosted: [] };
  for (const f of input.findings) {
    const key = keys.get(f) as string;
    if (input.posted.has(key)) {
      plan.alreadyPosted.push(f);
      continue;
    }
    const path = input.repoPath(f.file);
    const lines = patches.get(path);
    // A fix that rewrites more than the finding (a whole BEGIN … COMMIT block) anchors the comment
    // on the lines it replaces, when they are all in the diff.
    const span = f.fix?.range ?? f;
    const range = lines
      ? (commentRange(lines, span.line, span.endLine) ??
        (f.fix?.range ? commentRange(lines, f.line, f.endLine) : undefined))
      : undefined;
    if (!range || plan.comments.length >= MAX_REVIEW_COMMENTS) {
      plan.outsideDiff.push(f);
      continue;
    }
    plan.comments.push({
      path,
      body: commentBody(f, key, input.readLines(f.file), input.ruleUrl?.(f.rule)),
      line: range.line,
      side: "RIGHT",
      ...(range.startLine !== undefined ? { start_line: range.startLine, start_side: "RIGHT" as const } : {}),
    });
  }
  return plan;
}

export function commentBody(f: Finding, key: string, lines: string[] | undefined, ruleUrl?: string): string {
  const icon = f.severity === "error" ? "❌" : "⚠️";
  const rule = ruleUrl ? `[${f.rule}](${ruleUrl})` : `\`${f.rule}\``;
  const out = [
    `<!-- pg-index-lint:fp=${key} -->`,
    `${icon} **pg-index-lint** ${rule}: ${f.message}`,
    "",
    f.help,
  ];
  // A fix that also creates or edits other files is more than a suggestion can apply: it is shown.
  const edits = f.fix?.edits ?? [];
  const suggestion = f.fix && edits.length === 0 && lines ? suggestedLines(f, lines) : undefined;
  const fenced = (text: string, info = "") => {
    const fence = "`".repeat(Math.max(3, longestBacktickRun(text) + 1));
    return [`${fence}${info}`, text, fence];
  };
  if (f.fix && suggestion !== undefined) {
    out.push("", `**Fix:** ${f.fix.description}.`, "", ...fenced(suggestion, "suggestion"));
  } else if (f.fix && edits.length > 0) {
    out.push("", `**Fix:** ${f.fix.description}.`);
    if (f.fix.replacement === "") out.push("", "Remove the statement here.");
    else out.push("", "Replace the statement here with:", "", ...fenced(f.fix.replacement, "sql"));
    for (const e of edits) {
      const name = `\`${e.file.replace(/`/g, "'")}\``;
      out.push(
        "",
        e.create
          ? `Create ${name}:`
          : e.line === e.endLine && e.column === e.endColumn
            ? `In ${name}, insert at line ${e.line}:`
            : `In ${name}, replace lines ${e.line}–${e.endLine} with:`,
        "",
        ...fenced(e.text.replace(/\n$/, "")),
      );
    }
  }
  return out.join("\n");
}

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

function longestBacktickRun(text: string): number {
  return Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
}
