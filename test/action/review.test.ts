import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/finding.js";
import { commentRange, rightSideLines } from "../../src/github/diff.js";
import { commentBody, findingKeys, planReview, postedKeys, suggestedLines } from "../../src/github/review.js";
import { scopeFindings } from "../../src/policy/scope.js";
import { markdownText } from "../../src/report/escape.js";
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
      `**Fix:** ${markdownText("Add @@index([authorId]) to model Post")}, at line 5:\n\n\`\`\`\n  @@index([authorId])\n\`\`\``,
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

describe("review comments carry repository text as data", () => {
  it("escapes Markdown, HTML and mentions in the message, help and fix description", () => {
    const f = finding({
      line: 1,
      endLine: 1,
      column: 1,
      endColumn: 24,
      message: 'Index "[x](https://evil.example)" on "<b>t</b>" by @octocat | `y',
      help: "# Ping @admins\n> quote",
      fix: { description: "**bold** <img src=z>", replacement: "CREATE INDEX CONCURRENTLY i ON t (a);" },
    });
    const body = commentBody(f, "k", ["CREATE INDEX i ON t (a);"]);
    expect(body).toContain(
      '\\[x\\](https:\u200D//evil.example)" on "&lt;b&gt;t&lt;/b&gt;" by @\u200Doctocat \\| \\`y',
    );
    expect(body).toContain("\n\\# Ping @\u200Dadmins &gt; quote\n");
    expect(body).toContain("**Fix:** \\*\\*bold\\*\\* &lt;img src=z&gt;.");
    expect(body).not.toMatch(/<b>|<img|@octocat|@admins/);
  });

  it("quotes PostgreSQL's message in a fence no backtick run in it can close, capped", () => {
    const pg = "unterminated quoted string at or near \"'abc ``` **x** @octocat";
    const f = finding({
      rule: "migration-failed",
      message: `PostgreSQL rejected this statement: ${pg}${"z".repeat(3000)} (SQLSTATE 42601). The runner stops here.`,
    });
    const body = commentBody(f, "k", undefined);
    const lines = body.split("\n");
    const open = lines.indexOf("````text");
    expect(open).toBeGreaterThan(0);
    expect(lines[open + 1]?.startsWith(pg)).toBe(true);
    expect(lines[open + 2]).toBe("````");
    expect((lines[open + 1] ?? "").length).toBeLessThanOrEqual(1000);
    expect(body).toContain("PostgreSQL rejected this statement (SQLSTATE 42601):");
    expect(lines[open + 4]).toBe("The runner stops here.");
  });

  it("keys review comments by the repository path: two services with the same file keep apart", () => {
    const a = finding({ file: "migrations/001.sql" });
    const b = finding({ file: "migrations/001.sql", line: 3 });
    const one = findingKeys([a], (f) => `services/a/${f.file}`).get(a);
    const two = findingKeys([b], (f) => `services/b/${f.file}`).get(b);
    expect(one).not.toBe(two);
  });
});

describe("pull request scope", () => {
  const tableDef = (name: string, file: string) => ({
    schema: "public",
    name,
    columns: new Map(),
    indexes: new Map(),
    foreignKeys: new Map(),
    createdIn: 0,
    source: { file, line: 1, column: 1, endLine: 1, endColumn: 2 },
    partitioned: false,
  });

  it("scopes a finding located at the config to the table its requirement names", () => {
    const catalog = new Catalog();
    catalog.tables.set("public.orders", tableDef("orders", "m/002.sql") as never);
    catalog.tables.set("public.users", tableDef("users", "m/001.sql") as never);
    const config = ".pg-index-lint.yml";
    const at = { file: config, line: 4, endLine: 4 };
    // Written qualified, as configs often do: still the table the change creates.
    const orders = finding({ rule: "missing-required-index", ...at, table: "public.orders" });
    const users = finding({ rule: "missing-required-index", ...at, line: 7, endLine: 7, table: "Users" });
    // A table that no longer exists: a changed migration that drops it answers for it.
    const gone = finding({ rule: "missing-required-index", ...at, line: 9, endLine: 9, table: "invoices" });
    const never = finding({ rule: "missing-required-index", ...at, line: 11, endLine: 11, table: "ghosts" });
    const migrations = [
      { file: "m/002.sql", statements: [{ sql: "CREATE TABLE orders (id int)" }] },
      { file: "m/003.sql", statements: [{ sql: 'DROP TABLE "invoices"' }] },
    ] as never;
    const scope = scopeFindings(
      [orders, users, gone, never],
      new Set(["m/002.sql", "m/003.sql"]),
      [catalog],
      config,
      migrations,
    );
    expect(scope.reported).toEqual([orders, gone]);
    expect(scope.outOfScope).toEqual([users, never]);
  });

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
