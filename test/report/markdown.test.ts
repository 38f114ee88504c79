import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/finding.js";
import {
  COMMENT_LIMIT,
  COMMENT_MARKER,
  commentMarker,
  formatMarkdown,
  reportedFindings,
} from "../../src/report/markdown.js";
import type { VerifyReport } from "../../src/verify/verify.js";

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

  it("over GitHub's comment size limit, lists whole findings with their Fix lines and says where the rest are", () => {
    const many = Array.from({ length: 400 }, (_, i) => finding({ line: i + 1, message: "x".repeat(300) }));
    const full = formatMarkdown(result(many));
    expect(full.length).toBeGreaterThan(COMMENT_LIMIT);
    const short = formatMarkdown(result(many), {
      maxLength: COMMENT_LIMIT,
      marker: true,
      moreAt: "the job summary lists every finding",
    });
    expect(short.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(short.startsWith(COMMENT_MARKER)).toBe(true);
    const rows = short.split("\n").filter((l) => l.startsWith("| ❌"));
    expect(rows.length).toBeGreaterThan(100);
    // Every row listed keeps its Fix line.
    expect(rows.every((r) => r.includes("<br>**Fix:** Use CREATE INDEX CONCURRENTLY. |"))).toBe(true);
    expect(short).toContain(
      `… and ${400 - rows.length} more findings that did not fit here: the job summary lists every finding.`,
    );
    expect(short).toContain("Shortened to fit GitHub's size limit");
  });

  it("with 10,000 findings stays under the limit and counts every finding it leaves out", () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      finding({ file: `migrations/${String(i).padStart(5, "0")}_x.sql`, message: "m".repeat(120) }),
    );
    const text = formatMarkdown(result(many), { maxLength: COMMENT_LIMIT, marker: true, moreAt: "X" });
    expect(text.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    const listed = text.split("\n").filter((l) => l.startsWith("| ❌")).length;
    expect(listed).toBeGreaterThan(0);
    expect(text).toContain(`… and ${10_000 - listed} more findings that did not fit here: X.`);
  });

  it("lets a long migration name in a Fix line wrap, so the finding column stays on screen", () => {
    const help = "Move it to a migration of its own, 20230505085909_update_unique_constraint_concurrently.";
    const text = formatMarkdown(result([finding({ help })]));
    expect(text).toContain(
      "**Fix:** Move it to a migration of its own, 20230505085909<wbr>_update<wbr>_unique<wbr>_constraint<wbr>_concurrently.",
    );
    // Short words are left alone.
    expect(text).not.toMatch(/Move<wbr>|own,<wbr>/);
  });

  it("shortens a long path to the migration's own name, with the full path as the link's title", () => {
    const file = "prisma/migrations/20240229123456_add_a_rather_long_descriptive_name/migration.sql";
    const text = formatMarkdown(result([finding({ file })]), {
      fileUrl: (f, line) => `https://x/${f}#L${line}`,
    });
    const row = text.split("\n").find((l) => l.startsWith("| ❌")) ?? "";
    // Break opportunities after "/" and before "_" keep the column narrow; they are the only HTML.
    const cellText = row.split(" | ")[2] ?? "";
    expect(cellText).toContain("/<wbr>migration.sql:2");
    const where = cellText.replaceAll("<wbr>", "");
    expect(where).toMatch(
      /^\[20240229123456_add_a_rather_lon…\/migration\.sql:2\]\(https:\/\/x\/prisma\/migrations\/20240229123456/,
    );
    expect(where).toContain(
      `"prisma/migrations/20240229123456_add_a_rather_long_descriptive_name/migration.sql:2"`,
    );
    // The shown text is at most 48 characters (before Markdown escapes).
    const shown = /^\[(.*?)\]\(/.exec(where)?.[1]?.replaceAll("\\", "") ?? "";
    expect(shown.length).toBeLessThanOrEqual(48);
  });

  it("keys the marker and the title by the step, so two steps keep two comments", () => {
    const a = formatMarkdown(result([]), { marker: true, key: "services/a" });
    const b = formatMarkdown(result([]), { marker: true, key: "services/b, config x.yml" });
    expect(a.split("\n")[0]).toBe(commentMarker("services/a"));
    expect(b.split("\n")[0]).toBe(commentMarker("services/b, config x.yml"));
    expect(commentMarker("services/a")).not.toBe(commentMarker("services/b, config x.yml"));
    expect(commentMarker("")).toBe(COMMENT_MARKER);
    // A key cannot end the HTML comment early.
    expect(commentMarker("x --> <img src=y>")).toBe(
      "<!-- pg-index-lint key=x%20--%3E%20%3Cimg%20src%3Dy%3E -->",
    );
    expect(a).toContain("### pg-index-lint: services/a\n");
  });

  it("leaves the per-statement lock table out when asked (the PR comment), and keeps it by default (the summary)", () => {
    const verify = {
      engine: {
        kind: "server",
        version: "PostgreSQL 17.2",
        description: "postgres://ci@db.internal:5432/postgres",
      },
      sets: [
        {
          path: "migrations",
          runner: "psql",
          differences: 0,
          apply: {
            migrations: [
              {
                status: "applied",
                migration: { file: "migrations/001.sql" },
                statements: [
                  {
                    status: "applied",
                    durationMs: 1.5,
                    locks: [],
                    statement: {
                      sql: "CREATE TABLE a (id int)",
                      range: { file: "migrations/001.sql", line: 1, endLine: 1 },
                    },
                  },
                ],
              },
            ],
            failures: [],
          },
        },
      ],
      coverage: [],
      probes: [],
      impact: null,
    } as unknown as VerifyReport;
    const withLocks = formatMarkdown({ ...result([]), verify });
    const without = formatMarkdown({ ...result([]), verify }, { locks: false });
    expect(withLocks).toContain("Locks taken, per statement");
    expect(without).not.toContain("Locks taken, per statement");
    // The server's (masked) URL is not in the Markdown at all.
    expect(withLocks).toContain("#### Verify: `migrations` on PostgreSQL 17.2");
    expect(withLocks).not.toContain("db.internal");
  });
});
