/** The one shape every stage reports in, and the JSON v1 contract's finding (DESIGN.md §5). */
import type { SourceRange } from "./model.js";

export type Severity = "error" | "warning";

export interface Fix {
  description: string;
  /** Replaces the text of `range`, or of the finding's own range when there is none. */
  replacement: string;
  /**
   * The text the fix replaces, when it is not the finding's own: removing a BEGIN … COMMIT around
   * a CONCURRENTLY statement rewrites the whole block.
   */
  range?: SourceRange;
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
}
