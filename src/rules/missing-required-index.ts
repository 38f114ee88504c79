import { displayName, type TableDef } from "../schema/catalog.js";
import { suggestIndex } from "../schema/change.js";
import { coversRequirement, type Requirement, requirementLabel } from "./coverage.js";
import { type Rule, type RuleFinding, ruleMeta } from "./rule.js";

export const missingRequiredIndex: Rule = {
  meta: ruleMeta("missing-required-index", {
    defaultSeverity: "error",
    summary: "An index the config lists under required-indexes does not exist after the migrations.",
    fixable: true,
    finalState: true,
  }),
  checkCatalog({ catalogs, requirements, configFile, wordsFor }) {
    const findings: RuleFinding[] = [];
    for (const req of requirements) {
      const configRange = {
        file: configFile ?? ".pg-index-lint.yml",
        line: req.entry.line,
        column: 1,
        endLine: req.entry.line,
        endColumn: 1,
      };
      const label = requirementLabel(req);
      const why = req.entry.why ? ` It is required because ${lowerFirst(req.entry.why)}.` : "";
      const tables = catalogs.flatMap((c) => {
        const t = c.resolveTable(req.schema, req.table);
        return t ? [t] : [];
      });
      if (tables.length === 0) {
        findings.push({
          range: configRange,
          message: `Required index on ${label}: table "${req.entry.table}" does not exist after the migrations.`,
          help: "Fix the table name in required-indexes, or point migrations at the folder that creates it.",
          table: req.entry.table,
          columns: req.entry.columns,
        });
        continue;
      }
      for (const table of tables) {
        const verdicts = [...table.indexes.values()].map((index) => ({
          index,
          coverage: coversRequirement(index, req),
        }));
        if (verdicts.some((v) => v.coverage.covers)) continue;
        const nearMisses = verdicts
          .filter((v) => v.index.keys[0] && req.keys[0] && sameFirstKey(v.index.keys[0], req.keys[0]))
          .map((v) => `"${v.index.name}" does not count: ${v.coverage.covers ? "" : v.coverage.reason}`);
        const words = wordsFor(table.source);
        const change = { kind: "create-index" as const, index: requiredIndex(table, req) };
        const fix = words.fix?.(change);
        findings.push({
          range: table.source,
          message: `Required index on ${label} is missing (required at ${configRange.file}:${req.entry.line}).${why}${nearMisses.length ? ` ${nearMisses.join("; ")}.` : ""}`,
          help: words.advise(change),
          ...(fix ? { fix } : {}),
          table: displayName(table),
          columns: req.entry.columns,
        });
      }
    }
    return findings;
  },
  checkVerify({ coverage }) {
    return coverage
      .filter((row) => row.proof === "missing" || row.proof === "table missing")
      .map((row) => ({
        range: row.at,
        message: `The migrated database has no index that serves the required ${requirementLabel(row.requirement)}.`,
        help: "Add a migration that builds it CONCURRENTLY.",
        table: row.requirement.entry.table,
        columns: row.requirement.entry.columns,
      }));
  },
};

function sameFirstKey(
  a: { column?: string; expression?: string },
  b: { column?: string; expression?: string },
) {
  return (a.column ?? a.expression) === (b.column ?? b.expression);
}

function lowerFirst(text: string): string {
  const trimmed = text.trim().replace(/\.$/, "");
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1);
}

function requiredIndex(table: TableDef, req: Requirement) {
  return suggestIndex({ schema: table.schema, name: table.name }, req.keys, {
    unique: Boolean(req.entry.unique),
    where: req.where,
  });
}
