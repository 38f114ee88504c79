/** `--format json`: the version 1 contract of DESIGN.md §5, field for field. */
import type { CheckResult } from "../check.js";
import type { Finding } from "../finding.js";

export function formatJson(result: CheckResult): string {
  const report = {
    version: 1,
    findings: result.findings.map(toJson),
    summary: result.summary,
    verify: null,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

function toJson(f: Finding) {
  return {
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    file: f.file,
    line: f.line,
    column: f.column,
    endLine: f.endLine,
    endColumn: f.endColumn,
    ...(f.table !== undefined ? { table: f.table } : {}),
    ...(f.columns !== undefined ? { columns: f.columns } : {}),
    source: f.source,
    ...(f.fix ? { fix: { description: f.fix.description, replacement: f.fix.replacement } } : {}),
  };
}
