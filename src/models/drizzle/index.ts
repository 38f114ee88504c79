/**
 * Drizzle schema folders → the DDL `drizzle-kit generate` would write, as located statements,
 * without running any of the project's code. Reads every file of the folder; tables, enums and
 * references resolve across files by their exported names.
 */
import type { InlineIgnore, ModelFile, Statement, TxContext } from "../../model.js";
import { type GeneratedSql, parseGenerated } from "../../parse/generated.js";
import type { Casing } from "./casing.js";
import { createEnumSql, createSchemaSql, createTableSql, foreignKeySqls, indexSqls } from "./ddl.js";
import { type DrizzleTable, readSchema, type Span } from "./reader.js";
import { parseTs, type TsFile } from "./syntax.js";

export { type Casing, type CasingSetting, findDrizzleCasing } from "./casing.js";
export { applyEdits, drizzleIndexFix, type IndexFix, indexFixHelp, type TextEdit } from "./fix.js";
export type { DrizzleTable } from "./reader.js";

export interface DrizzleOptions {
  /** drizzle.config's `casing`: how a column declared without a name is named from its key. */
  casing?: Casing;
}

export interface DrizzleSchema {
  files: ModelFile[];
  /** The tables read, for fixes that edit their declarations. */
  tables: DrizzleTable[];
  /** Statements generated. */
  understood: number;
  /** Constructs skipped with a warning. */
  skipped: number;
}

const TX: TxContext = {
  inTransaction: false,
  reason: "autocommit",
  detail: "declared in a Drizzle schema; drizzle-kit generate would write it into the next migration",
};

export function readDrizzleSchema(
  sources: { file: string; text: string }[],
  options: DrizzleOptions = {},
): DrizzleSchema {
  const parsed = sources.map(({ file, text }) => parseTs(file, text));
  const read = readSchema(parsed, options.casing);
  const out = new Map<TsFile, ModelFile>();
  const declarations = new Map<TsFile, Span[]>();
  for (const ts of parsed) {
    out.set(ts, {
      file: ts.file,
      statements: [],
      errors: ts.errors,
      warnings: [...(read.warnings.get(ts) ?? [])],
      ignores: [],
      locators: new Map(),
    });
    declarations.set(ts, []);
  }
  const generated = new Map<TsFile, GeneratedSql[]>();
  const push = (ts: TsFile, g: GeneratedSql) => generated.set(ts, [...(generated.get(ts) ?? []), g]);
  // drizzle-kit's order within a generated migration: schemas, enums, tables, foreign keys, indexes.
  for (const s of read.schemas) push(s.ts, createSchemaSql(s.ts, s.name, s.span));
  for (const e of read.enums) if (e.exported && e.values.length > 0) push(e.ts, createEnumSql(e));
  for (const t of read.tables) push(t.ts, createTableSql(t));
  for (const t of read.tables) for (const g of foreignKeySqls(t)) push(t.ts, g);
  for (const t of read.tables) for (const g of indexSqls(t)) push(t.ts, g);
  for (const t of read.tables) declarations.get(t.ts)?.push(t.declaration, ...t.declarations);

  let understood = 0;
  for (const [ts, list] of generated) {
    const model = out.get(ts);
    if (!model) continue;
    for (const g of list) {
      const statement = parseGenerated(g);
      if ("error" in statement) {
        model.warnings.push({
          message: `pg-index-lint could not turn this declaration into SQL it can parse (${statement.error}); it was skipped.`,
          range: g.range,
        });
        continue;
      }
      const s: Statement = {
        node: statement.node,
        sql: statement.sql,
        range: statement.range,
        offset: statement.offset,
        tx: TX,
        generated: true,
      };
      model.statements.push(s);
      model.locators.set(s, statement.locate);
      understood++;
    }
  }
  for (const ts of parsed) {
    const model = out.get(ts);
    if (!model) continue;
    if (ts.ast) model.ignores = inlineIgnores(ts, declarations.get(ts) ?? []);
    // In reading order, not in the order the passes found them.
    model.warnings.sort((a, b) => a.range.line - b.range.line || a.range.column - b.range.column);
  }
  const skipped = [...out.values()].reduce((n, m) => n + m.warnings.length, 0);
  return { files: [...out.values()], tables: read.tables, understood, skipped };
}

const IGNORE_RE = /^\s*pg-index-lint-ignore\s+([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s*(?::\s*(.*))?$/;

/**
 * `// pg-index-lint-ignore rule-a, rule-b: reason`, on the line before a declaration (a table, a
 * column, an entry of the third argument) or at the end of the line it starts (or ends) on. It
 * applies to that declaration's whole range, so that a finding located at a `.references(...)`
 * inside a column is covered by an ignore on the column.
 */
function inlineIgnores(ts: TsFile, declarations: Span[]): InlineIgnore[] {
  const out: InlineIgnore[] = [];
  const lineOf = (offset: number) => ts.source.position(offset).line;
  for (const comment of ts.ast?.comments ?? []) {
    if (comment.type !== "CommentLine") continue;
    const match = IGNORE_RE.exec(comment.value);
    if (!match) continue;
    const start = comment.start ?? 0;
    const line = lineOf(start);
    const before = ts.source.lineText(line).slice(0, ts.source.position(start).column - 1);
    const trailing = before.trim() !== "";
    let target: Span | undefined;
    if (trailing) {
      // The outermost declaration that starts on this line, else the innermost that ends on it.
      target =
        pick(
          declarations.filter((d) => lineOf(d.start) === line),
          "outer",
        ) ??
        pick(
          declarations.filter((d) => lineOf(d.end) === line && d.end <= start),
          "inner",
        );
    } else {
      let next = line + 1;
      // Skip further comment lines (a stack of ignores, or a JSDoc) down to the declaration.
      while (next <= ts.source.lineCount && /^\s*(\/\/|\/\*|\*)/.test(ts.source.lineText(next))) next++;
      target = pick(
        declarations.filter((d) => lineOf(d.start) === next),
        "outer",
      );
    }
    const range = ts.source.range(start, comment.end ?? start);
    out.push({
      rules: (match[1] ?? "").split(",").map((r) => r.trim()),
      reason: (match[2] ?? "").trim(),
      range,
      statement: target ? ts.source.range(target.start, target.end) : range,
    });
  }
  return out;
}

function pick(spans: Span[], which: "outer" | "inner"): Span | undefined {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start));
  if (which === "outer") return sorted[0];
  return sorted.sort((a, b) => a.end - a.start - (b.end - b.start))[0];
}
