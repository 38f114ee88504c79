/** The one shape every stage reports in, and the JSON v1 contract's finding (DESIGN.md §5). */
import type { SourceRange } from "./model.js";

export type Severity = "error" | "warning";

export interface Fix {
  description: string;
  /** Replaces the text of the finding's range. */
  replacement: string;
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
