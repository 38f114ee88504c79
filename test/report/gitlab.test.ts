import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type CheckResult, check } from "../../src/check.js";
import type { Finding } from "../../src/finding.js";
import { type CodeQualityIssue, formatGitlab, toCodeQuality } from "../../src/report/gitlab.js";

const EXAMPLE = "examples/factory-service";

function finding(over: Partial<Finding> = {}): Finding {
  return {
    rule: "unindexed-foreign-key",
    severity: "warning",
    message: 'Foreign key "b_a_fkey" on b (a_id) → a has no index on its columns.',
    help: "CREATE INDEX CONCURRENTLY ON b (a_id).",
    file: "db/migrations/003_b.sql",
    line: 4,
    column: 3,
    endLine: 4,
    endColumn: 30,
    source: "check",
    ...over,
  };
}

describe("formatGitlab on the factory-service example", () => {
  let example: CheckResult;
  let issues: CodeQualityIssue[];
  beforeAll(async () => {
    example = await check({ paths: [EXAMPLE] });
    issues = JSON.parse(formatGitlab(example));
  });

  it("is a JSON array with one Code Quality issue per finding, in GitLab's shape", () => {
    expect(Array.isArray(issues)).toBe(true);
    expect(issues).toHaveLength(example.findings.length);
    for (const issue of issues) {
      expect(Object.keys(issue).sort()).toEqual([
        "check_name",
        "description",
        "fingerprint",
        "location",
        "severity",
      ]);
      expect(issue.description.length).toBeGreaterThan(0);
      expect(["info", "minor", "major", "critical", "blocker"]).toContain(issue.severity);
      expect(issue.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(issue.location.path).not.toMatch(/^\.\/|^\//);
      expect(Number.isInteger(issue.location.lines.begin)).toBe(true);
    }
  });

  it("names the rule, maps errors to major and warnings to minor, and spans the finding's lines", () => {
    const byRule = (rule: string) => issues.filter((i) => i.check_name === rule);
    expect(byRule("require-concurrent-index-creation").map((i) => [i.severity, i.location])).toEqual([
      ["major", { path: `${EXAMPLE}/migrations/005_audit_and_sku_indexes.sql`, lines: { begin: 2, end: 3 } }],
      ["major", { path: `${EXAMPLE}/migrations/005_audit_and_sku_indexes.sql`, lines: { begin: 5 } }],
    ]);
    expect(byRule("unindexed-foreign-key").map((i) => i.severity)).toEqual(["minor"]);
  });

  it("gives every issue its own fingerprint, since GitLab shows equal fingerprints once", () => {
    expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(issues.length);
  });

  it("starts without a byte order mark", () => {
    expect(formatGitlab(example).charCodeAt(0)).toBe("[".charCodeAt(0));
  });
});

describe("toCodeQuality", () => {
  it("keeps the fingerprint when the finding moves down the file", () => {
    const [before] = toCodeQuality([finding()]);
    const [after] = toCodeQuality([finding({ line: 9, endLine: 9 })]);
    expect(after?.fingerprint).toBe(before?.fingerprint);
    expect(after?.location.lines.begin).toBe(9);
  });

  it("writes paths relative to the repository root, with forward slashes", () => {
    const [issue] = toCodeQuality([finding({ file: "migrations/003_b.sql" })], {
      repoRoot: resolve("/repo"),
      cwd: resolve("/repo/services/api"),
    });
    expect(issue?.location.path).toBe("services/api/migrations/003_b.sql");
  });

  it("strips a leading ./ from paths", () => {
    const [issue] = toCodeQuality([finding({ file: "./db/migrations/003_b.sql" })]);
    expect(issue?.location.path).toBe("db/migrations/003_b.sql");
  });

  it("puts the help after the message in the description", () => {
    const [issue] = toCodeQuality([finding()]);
    expect(issue?.description).toBe(
      'Foreign key "b_a_fkey" on b (a_id) → a has no index on its columns. CREATE INDEX CONCURRENTLY ON b (a_id).',
    );
  });
});
