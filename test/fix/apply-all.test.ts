/**
 * Every fix the suite produces holds: on every repository the suite checks (test/fix/sources.ts:
 * the runner fixtures, the example service, every rule page's examples), each finding's fix is
 * applied to a fresh copy (src/fix/apply.ts), the copy is checked again (the finding is gone and
 * no finding appears that was not there). Then all the fixes of a repository that apply together
 * are applied to one more copy, which `verify` runs on PGlite: no statement may fail (one PGlite
 * start per repository, not per fix).
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../../src/check.js";
import type { Finding } from "../../src/finding.js";
import { applyEdits, fixEdits } from "../../src/fix/apply.js";
import { displayPath } from "../../src/paths.js";
import { metaOf } from "../../src/rules/index.js";
import { run } from "../../src/run.js";
import { scratchDir } from "../harness.js";
import { type FixSource, fixSources } from "./sources.js";

/** The rules whose findings mean a statement failed or behaved otherwise on the database. */
const FAILURES = new Set(["migration-failed", "replay-mismatch", "syntax-error", "invalid-migration"]);

/** A copy of the source's folder. */
function copyOf(source: FixSource): string {
  const root = join(scratchDir("pg-index-lint-fix-"), "repo");
  cpSync(source.root, root, { recursive: true });
  return root;
}

function options(source: FixSource, root: string) {
  return {
    paths: source.paths.map((p) => join(root, p)),
    ...(source.config ? { config: join(root, source.config) } : {}),
  };
}

/** A finding's identity inside its copy: rule, path in the repository, message without positions. */
function key(f: Finding, root: string, file = f.file): string {
  // Messages name other files by their path, which holds the copy's folder; a query's rank among
  // the needs left changes when another need is fixed, and is not a new finding.
  const message = f.message
    .replaceAll(displayPath(root), "<repo>")
    .replace(/:\d+(:\d+)?/g, "")
    .replace(/; rank \d+ of \d+ by execution time/, "");
  // A finding that names its table and columns is that need, whatever its message adds about
  // the indexes around it (a fixed neighbour changes what "does not count" says).
  const about = f.table && f.columns?.length ? `${f.table} (${f.columns.join(", ")})` : message;
  return [f.rule, relative(root, resolve(file)), about].join(" | ");
}

function counts(keys: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const k of keys) out.set(k, (out.get(k) ?? 0) + 1);
  return out;
}

interface Outcome {
  name: string;
  problem?: string;
}

/** Applies one fix to a fresh copy and checks it again; returns the copy, or why the fix fails. */
async function tryFix(
  source: FixSource,
  base: string,
  before: Finding[],
  finding: Finding,
): Promise<{ root: string } | { problem: string }> {
  const root = copyOf(source);
  // Edits name files as check showed them, inside `base`: the same paths inside this copy.
  const inCopy = (file: string) => join(root, relative(base, resolve(file)));
  const edits = fixEdits(finding).map((e) => ({ ...e, file: inCopy(e.file) }));
  const created = new Set(edits.filter((e) => e.create).map((e) => e.file));
  const result = applyEdits(edits, (file) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return null;
    }
  });
  if (!result.ok) return { problem: `does not apply: ${result.reason}` };
  for (const [file, text] of result.files) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  const after = (await check(options(source, root))).findings;
  // A finding about a statement that moved to a new file is the same finding, moved.
  const fixedFile = relative(base, resolve(finding.file));
  const afterKeys = after.map((f) =>
    key(f, root, created.has(resolve(f.file)) ? join(root, fixedFile) : f.file),
  );
  const beforeCounts = counts(before.map((f) => key(f, base)));
  const afterCounts = counts(afterKeys);
  const fixed = key(finding, base);
  if ((afterCounts.get(fixed) ?? 0) >= (beforeCounts.get(fixed) ?? 0)) {
    return { problem: "the finding is still there after the fix" };
  }
  // A fix that lets a statement PostgreSQL rejected run makes what it builds exist: findings on
  // the final schema about that index (redundant, drifting from the models) are its own, not new.
  const revealed = (k: string) =>
    metaOf(finding.rule).rejectsStatement === true && metaOf(k.split(" | ")[0] ?? "").finalState;
  const added = [...afterCounts]
    .filter(([k, n]) => n > (beforeCounts.get(k) ?? 0) && !revealed(k))
    .map(([k]) => k);
  if (added.length > 0) return { problem: `new findings: ${added.join("; ")}` };
  return { root };
}

async function verifyFailures(source: FixSource, root: string): Promise<Map<string, number>> {
  const report = await run({ command: "verify", ...options(source, root), env: {} });
  return counts(report.findings.filter((f) => FAILURES.has(f.rule)).map((f) => key(f, root)));
}

describe("every fix the suite produces", () => {
  it("applies, removes its finding, brings no new one, and runs on PGlite", { timeout: 0 }, async () => {
    const outcomes: Outcome[] = [];
    const byRule = new Map<string, number>();
    let verified = 0;
    for (const source of fixSources()) {
      const base = copyOf(source);
      const before = (await check(options(source, base))).findings;
      const fixable = before.filter((f) => f.fix);
      if (fixable.length === 0) continue;
      // Each fix is checked on a copy of its own; verify (a PGlite start each) runs once on the
      // source and once with every fix of the source that applies together with the others.
      const together: Finding[] = [];
      for (const finding of fixable) {
        const name = `${source.name}: ${finding.rule} at ${relative(base, resolve(finding.file))}:${finding.line}`;
        byRule.set(finding.rule, (byRule.get(finding.rule) ?? 0) + 1);
        const tried = await tryFix(source, base, before, finding);
        outcomes.push("problem" in tried ? { name, problem: tried.problem } : { name });
        if (!("problem" in tried) && combined(base, [...together, finding]) !== null) together.push(finding);
      }
      if (together.length === 0) continue;
      const root = copyOf(source);
      const files = combined(base, together, root);
      for (const [file, text] of files ?? []) {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text);
      }
      // A statement the static pass still predicts PostgreSQL rejects (a finding no fix removed)
      // fails in verify too: such a source is not verified.
      const after = (await check(options(source, root))).findings;
      // Nor is one that uses a table its migrations never create (no base schema): verify stops there.
      if (after.some((f) => metaOf(f.rule).rejectsStatement || f.rule === "unknown-table")) continue;
      const failures = await verifyFailures(source, root);
      verified += together.length;
      // A failure the unfixed repository has too (an index from outside its history) is not the
      // fixes': the source is verified unfixed only then, to keep PGlite starts few.
      const baseline = failures.size > 0 ? await verifyFailures(source, base) : new Map<string, number>();
      const worse = [...failures.keys()].filter((k) => (failures.get(k) ?? 0) > (baseline.get(k) ?? 0));
      if (worse.length)
        outcomes.push({
          name: `${source.name}: ${together.length} fixes`,
          problem: `verify on PGlite: ${worse.join("; ")}`,
        });
    }
    const failing = outcomes.filter((o) => o.problem);
    console.log(
      `fixes tried: ${outcomes.length} (${[...byRule].map(([r, n]) => `${r} ${n}`).join(", ")}); verified on PGlite: ${verified}; failing: ${failing.length}`,
    );
    expect(failing.map((o) => `${o.name}: ${o.problem}`)).toEqual([]);
    // The suite produces at least this many fixes; fewer means a source or a rule stopped offering them.
    expect(outcomes.length).toBeGreaterThanOrEqual(MIN_FIXES);
    expect(verified).toBeGreaterThanOrEqual(MIN_VERIFIED);
  });
});

/** The files after applying all of `findings`' fixes inside `root` (a copy of `base`); null when they overlap. */
function combined(base: string, findings: Finding[], root = base): Map<string, string> | null {
  const inCopy = (file: string) => join(root, relative(base, resolve(file)));
  const edits = findings.flatMap(fixEdits).map((e) => ({ ...e, file: inCopy(e.file) }));
  const result = applyEdits(edits, (file) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return null;
    }
  });
  return result.ok ? result.files : null;
}

/** Measured on this suite (see the count the test prints); raise it when fixes are added. */
const MIN_FIXES = 25;
const MIN_VERIFIED = 20;
