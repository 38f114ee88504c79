/**
 * Emits the annotations that src/report/annotations.ts selects (most severe first, within
 * GitHub's caps of 10 error and 10 warning annotations per step and 50 per job) as workflow
 * commands through `@actions/core`.
 */
import * as core from "@actions/core";
import type { Finding } from "../finding.js";
import { omittedNotice, plainLine, toAnnotations } from "../report/annotations.js";

/** Annotates `findings`; returns how many did not fit within the caps. */
export function annotate(findings: Finding[], repoRoot: string, cwd: string): number {
  const { shown, omitted } = toAnnotations(findings, { repoRoot, cwd });
  for (const a of shown) {
    const properties: core.AnnotationProperties = {
      title: a.title,
      file: a.file,
      startLine: a.startLine,
      ...(a.endLine !== undefined ? { endLine: a.endLine } : {}),
      ...(a.startColumn !== undefined ? { startColumn: a.startColumn } : {}),
      ...(a.endColumn !== undefined ? { endColumn: a.endColumn } : {}),
    };
    if (a.level === "error") core.error(a.message, properties);
    else if (a.level === "warning") core.warning(a.message, properties);
    else core.notice(a.message, properties);
  }
  const notice = omittedNotice(omitted);
  if (notice) {
    core.info(`pg-index-lint: ${notice}`);
    // The step log then lists every finding, one inert line each.
    for (const f of omitted) core.info(plainLine(f, { repoRoot, cwd }));
  }
  return omitted.length;
}
