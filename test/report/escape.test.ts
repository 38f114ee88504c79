import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/finding.js";
import { formatGithub } from "../../src/report/annotations.js";
import {
  codeSpan,
  fencedBlock,
  inertLogLine,
  markdownText,
  shortenPath,
  visibleControls,
} from "../../src/report/escape.js";
import { formatText } from "../../src/report/text.js";

const ZWJ = "\u200D";
const hasControl = (text: string) => ["\u0000", "\u001b", "\r"].some((c) => text.includes(c));

describe("markdownText", () => {
  it("keeps links, mentions, HTML, pipes, backticks and line breaks inert", () => {
    const text = markdownText("[x](https://evil.example) @octocat #12 <img src=x> a|b `c\nd **e**");
    expect(text).toBe(
      `\\[x\\](https:${ZWJ}//evil.example) @${ZWJ}octocat #${ZWJ}12 &lt;img src=x&gt; a\\|b \\\`c d \\*\\*e\\*\\*`,
    );
  });

  it("breaks bare autolinks and caps long text", () => {
    expect(markdownText("see www.evil.example")).toBe(`see www${ZWJ}.evil.example`);
    expect(markdownText("_em_ idx_api_keys __init__")).toBe("\\_em\\_ idx_api_keys \\_\\_init\\_\\_");
    expect(markdownText("y".repeat(5000), 100)).toBe(`${"y".repeat(99)}…`);
  });
});

describe("codeSpan and fencedBlock", () => {
  it("fence with more backticks than the text holds, so the text cannot close them", () => {
    expect(codeSpan("a``b")).toBe("```a``b```");
    expect(codeSpan("`x")).toBe("`` `x ``");
    expect(codeSpan("a|b", { table: true })).toBe("`a\\|b`");
    expect(fencedBlock("x\n````\ny")).toBe("`````\nx\n````\ny\n`````");
    expect(fencedBlock("z".repeat(50), "text", 10)).toBe(`\`\`\`text\n${"z".repeat(9)}…\n\`\`\``);
  });
});

describe("terminal and log text", () => {
  it("shows ESC, NUL and CR as escapes", () => {
    expect(visibleControls("a\u001b[2Jb\u0000c\u007fd\te")).toBe("a\\x1b[2Jb\\x00c\\x7fd\te");
  });

  it("keeps a log line from starting or holding a workflow command", () => {
    const line = inertLogLine("::error::x\n::add-mask::y ##[warning]z");
    expect(line).not.toMatch(/::|##\[|\n/);
    expect(line).toBe(`:${ZWJ}:error:${ZWJ}:x :${ZWJ}:add-mask:${ZWJ}:y #${ZWJ}#[warning]z`);
  });
});

describe("shortenPath", () => {
  it("keeps the end that names the migration: the file with the folders that fit, else its folder's beginning", () => {
    const prisma = "prisma/migrations/20240229123456_add_a_rather_long_descriptive_name/migration.sql:12";
    expect(shortenPath(prisma, 48)).toBe("20240229123456_add_a_rather_lo…/migration.sql:12");
    expect(shortenPath("services/billing/db/migrations/000123_add_index.up.sql:4", 48)).toBe(
      "…/db/migrations/000123_add_index.up.sql:4",
    );
    const file = `${"a".repeat(40)}_${"b".repeat(40)}.sql:3`;
    expect(shortenPath(`db/${file}`, 48)).toBe(`${"a".repeat(24)}…${"b".repeat(17)}.sql:3`);
    for (const path of [prisma, `db/${file}`]) expect(shortenPath(path, 48).length).toBeLessThanOrEqual(48);
    expect(shortenPath("a/b.sql:1", 48)).toBe("a/b.sql:1");
  });
});

const hostile: Finding = {
  rule: "require-concurrent-index-creation",
  severity: "error",
  message: 'Index "x\u001b[2J" on "t"\r\n::error file=a::pwned %0A',
  help: "Use CONCURRENTLY.\u0000",
  file: "m/::set-output name=x::1\u001b.sql",
  line: 1,
  column: 1,
  endLine: 1,
  endColumn: 2,
  source: "check",
};
const summary = { errors: 1, warnings: 0, files: 1, statements: 1 };

describe("--format github and text with hostile names", () => {
  it("encodes the message and file of a workflow command, and control bytes are visible", () => {
    const out = formatGithub({ findings: [hostile], summary } as never);
    const lines = out.split("\n");
    expect(lines[0]).toBe(
      '::error file=m/%3A%3Aset-output name=x%3A%3A1\\x1b.sql,line=1,endLine=1,col=1,endColumn=2,title=pg-index-lint%3A require-concurrent-index-creation::Index "x\\x1b[2J" on "t"%0D%0A::error file=a::pwned %250A%0AUse CONCURRENTLY.\\x00',
    );
    expect(hasControl(out)).toBe(false);
  });

  it("writes plain lines for findings over the caps that cannot be read as commands", () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ ...hostile, line: i + 1 }));
    const out = formatGithub({ findings: many, summary: { ...summary, errors: 12 } } as never);
    const plain = out.split("\n").filter((l) => l.startsWith("m/"));
    expect(plain).toHaveLength(2);
    for (const l of plain) expect(l.includes("::") || hasControl(l)).toBe(false);
  });

  it("text output shows control bytes as escapes", () => {
    const out = formatText({ sets: [], findings: [hostile], summary }, { color: false });
    expect(hasControl(out)).toBe(false);
    expect(out).toContain('Index "x\\x1b[2J" on "t"');
  });
});
