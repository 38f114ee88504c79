import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/finding.js";
import {
  COMMENT_LIMIT,
  COMMENT_MARKER,
  formatMarkdown,
  reportedFindings,
} from "../../src/report/markdown.js";

const finding = (over: Partial<Finding> = {}): Finding => ({
  rule: "require-concurrent-index-creation",
  severity: "error",
  message: 'CREATE INDEX on existing table "api_keys" without CONCURRENTLY takes a SHARE lock.',
  help: "Use CREATE INDEX CONCURRENTLY.",
  file: "migrations/005.sql",
  line: 2,
  column: 1,
  endLine: 3,
  endColumn: 46,
  source: "check",
  ...over,
});

const result = (findings: Finding[]) => ({
  findings,
  config: ".pg-index-lint.yml",
  requirements: [],
  summary: {
    errors: findings.filter((f) => f.severity === "error").length,
    warnings: findings.filter((f) => f.severity === "warning").length,
    files: 5,
    statements: 11,
  },
});

describe("formatMarkdown", () => {
  it("starts the PR comment with the hidden marker and a verdict that says the check fails", () => {
    const text = formatMarkdown(result([finding()]), { marker: true });
    expect(text.startsWith(`${COMMENT_MARKER}\n<!-- pg-index-lint:findings=1 -->\n### pg-index-lint\n`)).toBe(
      true,
    );
    expect(text).toContain(
      "❌ **1 error, 0 warnings** in 5 files (11 statements). This check fails (fail-on: error).",
    );
  });

  it("records how many findings it reported in a hidden marker the next run reads back", () => {
    expect(reportedFindings(formatMarkdown(result([finding(), finding()]), { marker: true }))).toBe(2);
    expect(reportedFindings(formatMarkdown(result([]), { marker: true }))).toBe(0);
    // Prose that looks like a verdict is not data.
    expect(reportedFindings("❌ **1 error, 0 warnings** in 5 files")).toBeNull();
  });

  it("links locations and rule pages when given URLs", () => {
    const text = formatMarkdown(result([finding()]), {
      fileUrl: (file, line, end) => `https://x/${file}#L${line}-L${end}`,
      ruleUrl: (rule) => `https://x/rules/${rule}.md`,
    });
    expect(text).toContain(
      "| ❌ | [`require-concurrent-index-creation`](https://x/rules/require-concurrent-index-creation.md) | [migrations/005.sql:2](https://x/migrations/005.sql#L2-L3) |",
    );
  });

  it("keeps pipes and markup in messages from breaking the table", () => {
    const text = formatMarkdown(result([finding({ message: "a | b <details>\nc" })]));
    expect(text).toContain("a \\| b &lt;details&gt; c");
  });

  it("does not fail on warnings at fail-on error, and does at fail-on warning", () => {
    const warning = finding({ severity: "warning" });
    expect(formatMarkdown(result([warning]))).not.toContain("This check fails");
    expect(formatMarkdown(result([warning]), { failOn: "warning" })).toContain(
      "This check fails (fail-on: warning)",
    );
  });

  it("says everything is fixed when an earlier run reported findings", () => {
    expect(formatMarkdown(result([]), { previouslyFailing: true })).toContain("✅ **All fixed.**");
    expect(formatMarkdown(result([]))).toContain("✅ **No problems** in 5 files (11 statements).");
  });

  it("lists findings outside the pull request's scope apart", () => {
    const other = finding({ rule: "unindexed-foreign-key", severity: "warning", table: "batches" });
    const text = formatMarkdown(result([]), { outOfScope: [other], omitted: 2 });
    expect(text).toContain(
      "<details><summary>1 finding on tables this pull request does not touch</summary>",
    );
    expect(text).toContain("2 older findings in files this pull request does not change are not shown.");
  });

  it("falls back to a shorter form over GitHub's comment size limit", () => {
    const many = Array.from({ length: 400 }, (_, i) => finding({ line: i + 1, message: "x".repeat(300) }));
    const full = formatMarkdown(result(many));
    expect(full.length).toBeGreaterThan(COMMENT_LIMIT);
    const short = formatMarkdown(result(many), { maxLength: COMMENT_LIMIT, marker: true });
    expect(short.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(short.startsWith(COMMENT_MARKER)).toBe(true);
    expect(short).toContain("… and 300 more");
    expect(short).toContain("Shortened to fit GitHub's comment size limit");
  });
});
