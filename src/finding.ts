/** The one shape every stage reports in, and the JSON v1 contract's finding (DESIGN.md §5). */
import type { SourceRange } from "./model.js";

export type Severity = "error" | "warning";

/**
 * One change to one file: the text of a range is replaced (a zero-width range inserts), or, with
 * `create`, a new file is written. Lines and columns as in `SourceRange`.
 */
export interface FileEdit extends SourceRange {
  text: string;
  /** The file does not exist yet: the fix creates it with `text` (its range is 1:1–1:1). */
  create?: boolean;
}

export interface Fix {
  description: string;
  /** Replaces the text of `range`, or of the finding's own range when there is none. */
  replacement: string;
  /**
   * The text the fix replaces, when it is not the finding's own: removing a BEGIN … COMMIT around
   * a CONCURRENTLY statement rewrites the whole block; an `@@index` goes at the end of its model.
   */
  range?: SourceRange;
  /**
   * What else the fix changes: a new migration file that holds the statement where its runner can
   * run it, an import the inserted code needs. Applied together with the replacement.
   */
  edits?: FileEdit[];
}

export interface Finding extends SourceRange {
  rule: string;
  severity: Severity;
  message: string;
  /** One line on how to fix it. */
  help: string;
  table?: string;
  columns?: string[];
  source: "check" | "verify";
  fix?: Fix;
  /** What verify measured of the statement (the lock it took, for how long), in words. */
  measured?: string;
}

/** A finding's identity across runs: line numbers shift as files grow, so they are left out. */
export function fingerprint(f: Pick<Finding, "rule" | "file" | "message">): string {
  return [f.rule, f.file, f.message.replace(/:\d+(:\d+)?/g, "")].join("\u0000");
}

/**
 * Each finding's fingerprint with its occurrence number among equal ones, in order: identical
 * findings (three CONCURRENTLY statements in one BEGIN block) stay distinct and stable.
 */
export function numberedFingerprints(
  findings: readonly Finding[],
  path: (f: Finding) => string = (f) => f.file,
): { key: string; occurrence: number }[] {
  const seen = new Map<string, number>();
  return findings.map((f) => {
    const key = fingerprint({ ...f, file: path(f) });
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    return { key, occurrence };
  });
}
