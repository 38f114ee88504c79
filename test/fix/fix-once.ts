/** Writes a repository, applies the first fix of `rule` to it, and checks it again. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { check } from "../../src/check.js";
import { applyEdits, fixEdits } from "../../src/fix/apply.js";
import { type RepoSpec, writeRepo } from "../harness.js";

export async function fixOnce(spec: RepoSpec, rule: string, extra: Record<string, string> = {}) {
  const root = writeRepo(spec);
  for (const [path, text] of Object.entries(extra)) writeFileSync(join(root, path), text);
  const before = (await check({ paths: [root] })).findings;
  const finding = before.find((f) => f.rule === rule);
  expect(finding, `${rule} in ${JSON.stringify(before.map((f) => f.rule))}`).toBeDefined();
  const edits = finding ? fixEdits(finding) : [];
  const applied = applyEdits(edits, (file) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return null;
    }
  });
  if (!applied.ok) throw new Error(applied.reason);
  for (const [file, text] of applied.files) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  const after = (await check({ paths: [root] })).findings;
  const created = edits.filter((e) => e.create).map((e) => e.file.split("/").slice(-2).join("/"));
  const read = (path: string) => readFileSync(join(root, "migrations", path), "utf8");
  return { finding, after, created, read, help: finding?.help ?? "" };
}
