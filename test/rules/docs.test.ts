/**
 * Runs every example on every rule page (rules/<id>.md), so that the docs cannot drift from the
 * code. A page's ```sql bad``` block must produce at least one finding of the page's rule, and a
 * ```sql good``` block none. Attributes after the tag choose the runner (`runner=golang-migrate`)
 * and its version (`version=5.22`); a `-- file: NAME` line starts another migration file; a
 * ```yaml config``` block adds config keys to every later example on the page.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { RunnerId } from "../../src/model.js";
import { RULES, UNUSED_IGNORE } from "../../src/rules/index.js";
import { checkRepo, type RepoSpec } from "../harness.js";

interface Example {
  kind: "bad" | "good";
  spec: RepoSpec;
  line: number;
}

function examplesOf(markdown: string): Example[] {
  const examples: Example[] = [];
  let config: Record<string, unknown> = {};
  const fence = /^```(\w+)([^\n]*)\n([\s\S]*?)^```/gm;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    const [, lang, info = "", body = ""] = m;
    const words = info.trim().split(/\s+/);
    const line = markdown.slice(0, m.index).split("\n").length;
    if (lang === "yaml" && words[0] === "config") {
      config = { ...config, ...(parse(body) as Record<string, unknown>) };
      continue;
    }
    if (lang !== "sql" || (words[0] !== "bad" && words[0] !== "good")) continue;
    const attrs = Object.fromEntries(words.slice(1).map((w) => w.split("=") as [string, string]));
    const spec: RepoSpec = { files: splitFiles(body), config };
    if (attrs.runner) spec.runner = attrs.runner as RunnerId;
    if (attrs.version) spec.version = attrs.version;
    examples.push({ kind: words[0], spec, line });
  }
  return examples;
}

function splitFiles(body: string): Record<string, string> | string {
  if (!/^-- file: /m.test(body)) return body;
  const files: Record<string, string> = {};
  let current: string | null = null;
  for (const line of body.split("\n")) {
    const marker = /^-- file: (\S+)\s*$/.exec(line);
    if (marker?.[1]) {
      current = marker[1];
      files[current] = "";
    } else if (current) files[current] += `${line}\n`;
  }
  return files;
}

const pages = readdirSync("rules").filter((f) => f.endsWith(".md"));
const ids = [...RULES.map((r) => r.meta.id), UNUSED_IGNORE.id];

describe("rule pages", () => {
  it("exist for every rule", () => {
    expect(pages.sort()).toEqual(ids.map((id) => `${id}.md`).sort());
  });

  for (const page of pages) {
    const id = page.replace(/\.md$/, "");
    const examples = examplesOf(readFileSync(`rules/${page}`, "utf8"));
    describe(page, () => {
      it("has at least one bad and one good example", () => {
        expect(examples.some((e) => e.kind === "bad")).toBe(true);
        expect(examples.some((e) => e.kind === "good")).toBe(true);
      });
      for (const example of examples) {
        it(`${example.kind} example at line ${example.line}`, async () => {
          const result = await checkRepo(example.spec);
          expect(result.findings.filter((f) => f.rule === "syntax-error")).toEqual([]);
          const hits = result.findings.filter((f) => f.rule === id);
          if (example.kind === "bad") expect(hits.length).toBeGreaterThan(0);
          else expect(hits).toEqual([]);
        });
      }
    });
  }
});
