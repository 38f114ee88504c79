import { type Catalog, displayName, type TableDef } from "../schema/catalog.js";
import { quoteIdent } from "../schema/names.js";
import { coversRequirement, keyLabel, type Requirement } from "./coverage.js";
import { type Rule, type RuleFinding, ruleMeta } from "./rule.js";

export const missingRequiredIndex: Rule = {
  meta: ruleMeta("missing-required-index", {
    defaultSeverity: "error",
    summary: "An index the config lists under required-indexes does not exist after the migrations.",
    fixable: false,
  }),
  checkCatalog({ catalogs, requirements, configFile }) {
    const findings: RuleFinding[] = [];
    for (const req of requirements) {
      const configRange = {
        file: configFile ?? ".pg-index-lint.yml",
        line: req.entry.line,
        column: 1,
        endLine: req.entry.line,
        endColumn: 1,
      };
      const label = `${req.entry.table} (${req.keys.map(keyLabel).join(", ")})${req.where ? ` WHERE ${req.where}` : ""}`;
      const why = req.entry.why ? ` It is required because ${lowerFirst(req.entry.why)}.` : "";
      const tables = catalogs.flatMap((c) => {
        const t = c.resolveTable(req.schema, req.table);
        return t ? [{ catalog: c, table: t }] : [];
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
      for (const { catalog, table } of tables) {
        const verdicts = [...table.indexes.values()].map((index) => ({
          index,
          coverage: coversRequirement(index, req),
        }));
        if (verdicts.some((v) => v.coverage.covers)) continue;
        const nearMisses = verdicts
          .filter((v) => v.index.keys[0] && req.keys[0] && sameFirstKey(v.index.keys[0], req.keys[0]))
          .map((v) => `"${v.index.name}" does not count: ${v.coverage.covers ? "" : v.coverage.reason}`);
        findings.push({
          range: table.source,
          message: `Required index on ${label} is missing (required at ${configRange.file}:${req.entry.line}).${why}${nearMisses.length ? ` ${nearMisses.join("; ")}.` : ""}`,
          help: `Add a migration with: ${suggestedIndex(catalog, table, req)}`,
          table: displayName(table),
          columns: req.entry.columns,
        });
      }
    }
    return findings;
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

function suggestedIndex(_catalog: Catalog, table: TableDef, req: Requirement): string {
  const columns = req.keys.map(
    (k) => (k.column ? quoteIdent(k.column) : `(${k.expression})`) + (k.desc ? " DESC" : ""),
  );
  const name = `idx_${table.name}_${req.keys.map((k) => k.column ?? "expr").join("_")}`.slice(0, 63);
  return `CREATE ${req.entry.unique ? "UNIQUE " : ""}INDEX CONCURRENTLY ${quoteIdent(name)} ON ${displayName(table)} (${columns.join(", ")})${req.where ? ` WHERE ${req.where}` : ""};`;
}
