import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../../src/check.js";
import type { Finding } from "../../src/finding.js";
import {
  type Annotation,
  escapeData,
  escapeProperty,
  formatGithub,
  GITHUB_ANNOTATION_LIMITS,
  toAnnotations,
  workflowCommand,
} from "../../src/report/annotations.js";

function finding(over: Partial<Finding> = {}): Finding {
  return {
    rule: "require-concurrent-index-creation",
    severity: "error",
    message: 'CREATE INDEX on existing table "t" without CONCURRENTLY blocks writes.',
    help: "Use CREATE INDEX CONCURRENTLY.",
    file: "migrations/002_idx.sql",
    line: 3,
    column: 1,
    endLine: 3,
    endColumn: 27,
    source: "check",
    ...over,
  };
}

function many(n: number, severity: Finding["severity"], file: string): Finding[] {
  return Array.from({ length: n }, (_, i) => finding({ severity, file, line: i + 1, endLine: i + 1 }));
}

function summary(findings: Finding[]) {
  return {
    findings,
    summary: {
      errors: findings.filter((f) => f.severity === "error").length,
      warnings: findings.filter((f) => f.severity === "warning").length,
      files: 1,
      statements: findings.length,
    },
  };
}

/** Reads a workflow command back as the runner does: split on `::` and `,`, then unescape. */
function parseCommand(line: string): { level: string; properties: Record<string, string>; message: string } {
  const match = /^::(\w+) ([^:]*)::(.*)$/.exec(line);
  if (!match) throw new Error(`not a workflow command: ${line}`);
  const decode = (s: string) =>
    s
      .replaceAll("%0D", "\r")
      .replaceAll("%0A", "\n")
      .replaceAll("%3A", ":")
      .replaceAll("%2C", ",")
      .replaceAll("%25", "%");
  const properties: Record<string, string> = {};
  for (const pair of (match[2] as string).split(",")) {
    const [key, value] = pair.split("=");
    properties[key as string] = decode(value as string);
  }
  return { level: match[1] as string, properties, message: decode(match[3] as string) };
}

describe("workflow command escaping", () => {
  it("escapes %, CR and LF in the message, and also : and , in properties", () => {
    expect(escapeData("50% done\r\nnext: a, b")).toBe("50%25 done%0D%0Anext: a, b");
    expect(escapeProperty("50% done\r\nnext: a, b")).toBe("50%25 done%0D%0Anext%3A a%2C b");
  });

  it("escapes % first, so an escape sequence in the text survives", () => {
    expect(escapeData("literal %0A")).toBe("literal %250A");
  });

  it("writes properties in @actions/core's order and round-trips awkward values", () => {
    const annotation: Annotation = {
      level: "error",
      message: "line one: 100%\nline two, with a comma\r\nthree",
      title: "pg-index-lint: rule, with: colon",
      file: "db/mig,rations/00:1 100%.sql",
      startLine: 4,
      endLine: 4,
      startColumn: 2,
      endColumn: 9,
    };
    const line = workflowCommand(annotation);
    expect(line).toBe(
      "::error file=db/mig%2Crations/00%3A1 100%25.sql,line=4,endLine=4,col=2,endColumn=9," +
        "title=pg-index-lint%3A rule%2C with%3A colon::line one: 100%25%0Aline two, with a comma%0D%0Athree",
    );
    expect(line).not.toMatch(/[\r\n]/);
    expect(parseCommand(line)).toEqual({
      level: "error",
      properties: {
        file: annotation.file,
        line: "4",
        endLine: "4",
        col: "2",
        endColumn: "9",
        title: annotation.title,
      },
      message: annotation.message,
    });
  });
});

describe("toAnnotations", () => {
  it("carries file, lines, columns, title and a message with the help", () => {
    const { shown, omitted } = toAnnotations([finding()]);
    expect(omitted).toEqual([]);
    expect(shown).toEqual([
      {
        level: "error",
        message:
          'CREATE INDEX on existing table "t" without CONCURRENTLY blocks writes.\nUse CREATE INDEX CONCURRENTLY.',
        title: "pg-index-lint: require-concurrent-index-creation",
        file: "migrations/002_idx.sql",
        startLine: 3,
        endLine: 3,
        startColumn: 1,
        endColumn: 27,
      },
    ]);
  });

  it("leaves columns out when the finding spans lines, as GitHub requires", () => {
    const [a] = toAnnotations([finding({ line: 2, endLine: 3, column: 1, endColumn: 46 })]).shown;
    expect(a).toMatchObject({ startLine: 2, endLine: 3 });
    expect(a).not.toHaveProperty("startColumn");
    expect(a).not.toHaveProperty("endColumn");
  });

  it("never writes an end column before the start column", () => {
    const [a] = toAnnotations([finding({ column: 5, endColumn: 5 })]).shown;
    expect(a).toMatchObject({ startColumn: 5, endColumn: 5 });
  });

  it("shows errors before warnings, and at most 10 of each", () => {
    const findings = [...many(15, "warning", "a.sql"), ...many(12, "error", "b.sql")];
    const { shown, omitted } = toAnnotations(findings);
    expect(shown.map((a) => a.level)).toEqual([...Array(10).fill("error"), ...Array(10).fill("warning")]);
    expect(shown.slice(0, 10).map((a) => a.startLine)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(omitted).toHaveLength(7);
    expect(omitted.filter((f) => f.severity === "error").map((f) => f.line)).toEqual([11, 12]);
    expect(omitted.filter((f) => f.severity === "warning").map((f) => f.line)).toEqual([11, 12, 13, 14, 15]);
  });

  it("keeps the most severe findings when the job's budget is smaller than the step's", () => {
    const findings = [...many(3, "warning", "a.sql"), ...many(3, "error", "b.sql")];
    const { shown, omitted } = toAnnotations(findings, { limits: { total: 4 } });
    expect(shown.map((a) => `${a.level}:${a.startLine}`)).toEqual([
      "error:1",
      "error:2",
      "error:3",
      "warning:1",
    ]);
    expect(omitted.map((f) => `${f.severity}:${f.line}`)).toEqual(["warning:2", "warning:3"]);
  });

  it("uses GitHub's documented caps by default", () => {
    expect(GITHUB_ANNOTATION_LIMITS).toEqual({ error: 10, warning: 10, notice: 10, total: 50 });
  });

  it("writes paths relative to the repository root", () => {
    const [a] = toAnnotations([finding()], { repoRoot: resolve("/repo"), cwd: resolve("/repo/svc") }).shown;
    expect(a?.file).toBe("svc/migrations/002_idx.sql");
  });
});

describe("formatGithub", () => {
  it("prints one workflow command per annotation and a summary line", () => {
    const out = formatGithub(summary([finding(), finding({ severity: "warning", line: 7, endLine: 8 })]));
    expect(out.split("\n")).toEqual([
      "::error file=migrations/002_idx.sql,line=3,endLine=3,col=1,endColumn=27," +
        "title=pg-index-lint%3A require-concurrent-index-creation::" +
        'CREATE INDEX on existing table "t" without CONCURRENTLY blocks writes.%0AUse CREATE INDEX CONCURRENTLY.',
      "::warning file=migrations/002_idx.sql,line=7,endLine=8," +
        "title=pg-index-lint%3A require-concurrent-index-creation::" +
        'CREATE INDEX on existing table "t" without CONCURRENTLY blocks writes.%0AUse CREATE INDEX CONCURRENTLY.',
      "pg-index-lint: 1 error, 1 warning in 1 file",
      "",
    ]);
  });

  it("says how many findings were not annotated, and lists them in the log", () => {
    const out = formatGithub(summary(many(12, "error", "b.sql"))).split("\n");
    expect(out.filter((l) => l.startsWith("::error"))).toHaveLength(10);
    const notice = out.find((l) => l.startsWith("::notice"));
    expect(notice && parseCommand(notice).message).toBe(
      "2 more findings are not annotated: GitHub shows at most 10 error and 10 warning annotations per step. " +
        "The step log lists them all.",
    );
    expect(out.filter((l) => l.startsWith("b.sql:"))).toEqual([
      'b.sql:11:1: error [require-concurrent-index-creation] CREATE INDEX on existing table "t" without CONCURRENTLY blocks writes.',
      'b.sql:12:1: error [require-concurrent-index-creation] CREATE INDEX on existing table "t" without CONCURRENTLY blocks writes.',
    ]);
  });

  it("annotates the example's findings at their lines", async () => {
    const result = await check({ paths: ["examples/factory-service"] });
    const commands = formatGithub(result)
      .split("\n")
      .filter((l) => l.startsWith("::"))
      .map(parseCommand);
    expect(commands).toHaveLength(result.findings.length);
    expect(commands.map((c) => c.level)).toEqual([
      ...result.findings.filter((f) => f.severity === "error").map(() => "error"),
      ...result.findings.filter((f) => f.severity === "warning").map(() => "warning"),
    ]);
    const fk = commands.find((c) => c.properties.title?.endsWith("unindexed-foreign-key"));
    expect(fk?.properties).toMatchObject({
      file: "examples/factory-service/migrations/003_create_batches.sql",
      line: "3",
      endLine: "3",
    });
  });
});
