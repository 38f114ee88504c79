import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/finding.js";
import { commentRange, rightSideLines } from "../../src/github/diff.js";
import { findingKeys, planReview, postedKeys, suggestedLines } from "../../src/github/review.js";
import { scopeFindings } from "../../src/policy/scope.js";
import { Catalog } from "../../src/schema/catalog.js";

const finding = (over: Partial<Finding> = {}): Finding => ({
  rule: "require-concurrent-index-creation",
  severity: "error",
  message: "m",
  help: "h",
  file: "m/005.sql",
  line: 2,
  column: 1,
  endLine: 2,
  endColumn: 10,
  source: "check",
  ...over,
});

describe("diff positions", () => {
  const patch = ["@@ -1,3 +1,4 @@", " a", "-b", "+B", "+C", " d", "@@ -10,2 +11,2 @@", " x", "+y"].join("\n");

  it("maps right-side lines (added and context) to their hunk, skipping deleted lines", () => {
    expect([...rightSideLines(patch)]).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
      [11, 1],
      [12, 1],
    ]);
  });

  it("comments on a range only when it lies in one hunk of the diff", () => {
    const lines = rightSideLines(patch);
    expect(commentRange(lines, 2, 3)).toEqual({ startLine: 2, line: 3 });
    expect(commentRange(lines, 12, 12)).toEqual({ line: 12 });
    expect(commentRange(lines, 4, 11)).toBeUndefined();
    expect(commentRange(lines, 7, 7)).toBeUndefined();
  });
});

describe("review comments", () => {
  it("replaces the finding's whole lines in the suggestion, keeping text around the range", () => {
    const f = finding({
      line: 1,
      column: 3,
      endLine: 2,
      endColumn: 4,
      fix: { description: "d", replacement: "NEW" },
    });
    expect(suggestedLines(f, ["  old", "old; -- tail"])).toBe("  NEW; -- tail");
  });

  it("anchors a schema edit's suggestion on the line it edits, and never suggests it elsewhere", () => {
    const schema = [
      "model Post {",
      "  id       Int  @id",
      "  authorId Int",
      "  author   User @relation(fields: [authorId], references: [id])",
      "}",
    ];
    const f = finding({
      rule: "unindexed-foreign-key",
      file: "prisma/schema.prisma",
      line: 4,
      column: 3,
      endLine: 4,
      endColumn: 62,
      fix: {
        description: "Add @@index([authorId]) to model Post",
        replacement: "\n  @@index([authorId])\n",
        range: { file: "prisma/schema.prisma", line: 5, column: 1, endLine: 5, endColumn: 1 },
      },
    });
    const input = { repoPath: (p: string) => p, readLines: () => schema, posted: new Set<string>() };
    // The whole model is new: the suggestion goes on the model's closing line.
    const added = [
      {
        filename: "prisma/schema.prisma",
        status: "added",
        patch: `@@ -0,0 +1,5 @@\n${schema.map((l) => `+${l}`).join("\n")}`,
      },
    ];
    const [onEdit] = planReview({ ...input, files: added, findings: [f] }).comments;
    expect(onEdit?.line).toBe(5);
    expect(onEdit?.body).toContain("```suggestion\n\n  @@index([authorId])\n}\n```");
    // Only the relation line changed: the comment is on it, with the edit but no suggestion.
    const changed = [
      {
        filename: "prisma/schema.prisma",
        status: "modified",
        patch: `@@ -4,1 +4,1 @@\n-  author User\n+${schema[3]}`,
      },
    ];
    const [onFinding] = planReview({ ...input, files: changed, findings: [f] }).comments;
    expect(onFinding?.line).toBe(4);
    expect(onFinding?.body).not.toContain("suggestion");
    expect(onFinding?.body).toContain(
      "**Fix:** Add @@index([authorId]) to model Post, at line 5:\n\n```\n  @@index([authorId])\n```",
    );
  });

  it("tells identical findings apart and skips those an earlier run posted", () => {
    const a = finding({ line: 1, endLine: 1 });
    const b = finding({ line: 2, endLine: 2 });
    const keys = findingKeys([a, b]);
    expect(keys.get(a)).not.toBe(keys.get(b));
    const files = [{ filename: "svc/m/005.sql", status: "added", patch: "@@ -0,0 +1,2 @@\n+x\n+y" }];
    const input = { files, repoPath: (f: string) => `svc/${f}`, readLines: () => ["x", "y"] };
    const first = planReview({ ...input, findings: [a, b], posted: new Set() });
    expect(first.comments.map((c) => c.line)).toEqual([1, 2]);
    const posted = postedKeys(
      first.comments.map((c, i) => ({ id: i, body: c.body, login: "github-actions[bot]" })),
      "github-actions[bot]",
    );
    const second = planReview({ ...input, findings: [a, b], posted });
    expect(second.comments).toEqual([]);
    expect(second.alreadyPosted).toHaveLength(2);
    // Markers in someone else's comments do not count.
    expect(
      postedKeys([{ id: 1, body: first.comments[0]?.body ?? "", login: "mallory" }], "github-actions[bot]")
        .size,
    ).toBe(0);
  });
});

describe("pull request scope", () => {
  it("reports changed files, final-state findings on touched tables, and keeps the rest apart", () => {
    const statement = finding({ file: "m/005.sql", table: "api_keys" });
    const old = finding({ file: "m/001.sql" });
    const touched = finding({ rule: "missing-required-index", file: "m/002.sql", table: "api_keys" });
    const untouched = finding({ rule: "unindexed-foreign-key", file: "m/003.sql", table: "batches" });
    const scope = scopeFindings(
      [statement, old, touched, untouched],
      new Set(["m/005.sql"]),
      [new Catalog()],
      ".pg-index-lint.yml",
    );
    expect(scope.reported).toEqual([statement, touched]);
    expect(scope.outOfScope).toEqual([untouched]);
    expect(scope.omitted).toEqual([old]);
  });

  it("reports everything when the pull request changes the config", () => {
    const old = finding({ file: "m/001.sql" });
    const scope = scopeFindings([old], new Set([".pg-index-lint.yml"]), [], ".pg-index-lint.yml");
    expect(scope.reported).toEqual([old]);
  });
});
