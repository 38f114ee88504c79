/**
 * A fix in Drizzle's own words: the text edits that add `index("posts_author_id_idx").on(t.authorId)`
 * to a table's third argument (creating `(t) => [ … ]` when there is none, keeping the object form
 * when the file uses it), and the import of `index` from drizzle-orm/pg-core when it is missing.
 */
import type { SourceRange } from "../../model.js";
import type { Casing } from "./casing.js";
import { type DrizzleTable, readSchema } from "./reader.js";
import { firstParamName, parseTs, returnedExpression, type TsFile } from "./syntax.js";

export interface TextEdit {
  /** Char offsets into the file's text; `start === end` inserts. */
  start: number;
  end: number;
  text: string;
  range: SourceRange;
}

export interface IndexFix {
  file: string;
  /** The database name of the table. */
  table: string;
  indexName: string;
  /** The entry added to the third argument, e.g. `index("posts_author_id_idx").on(t.authorId)`. */
  code: string;
  /** Non-overlapping edits, in file order. */
  edits: TextEdit[];
}

const MAX_IDENTIFIER = 63;

/**
 * The edits that declare an index on `columns` (database names) of a table in `source`. The
 * table is the pgTable call that contains `table.offset`, or the one named `table.name`.
 */
export function drizzleIndexFix(
  source: { file: string; text: string },
  table: { offset: number } | { name: string },
  columns: string[],
  options: {
    casing?: Casing;
    /** The schema's other files, when the table uses names from them (a creator, an enum). */
    context?: { file: string; text: string }[];
    /** The tables of the schema as already read (with `source` among their files): nothing is parsed again. */
    tables?: DrizzleTable[];
  } = {},
): IndexFix | { error: string } {
  let ts: TsFile;
  let tables: DrizzleTable[];
  if (options.tables) {
    // The tables of a schema already read: no file is parsed again.
    tables = options.tables.filter((t) => t.ts.file === source.file && t.ts.source.text === source.text);
    const first = tables[0];
    if (!first) return { error: "no pgTable declaration there" };
    ts = first.ts;
  } else {
    ts = parseTs(source.file, source.text);
    if (!ts.ast) return { error: `${source.file} does not parse` };
    const others = (options.context ?? [])
      .filter((c) => c.file !== source.file)
      .map((c) => parseTs(c.file, c.text));
    tables = readSchema([ts, ...others], options.casing).tables;
  }
  const found = tables.find((t) =>
    t.ts !== ts
      ? false
      : "offset" in table
        ? (t.call.start ?? 0) <= table.offset && table.offset < (t.call.end ?? 0)
        : t.name === table.name,
  );
  if (!found) return { error: "no pgTable declaration there" };
  const keys: string[] = [];
  for (const column of columns) {
    const c = found.columns.find((col) => col.name === column);
    if (!c)
      return { error: `table "${found.name}" declares no column "${column}" that pg-index-lint can read` };
    keys.push(c.key);
  }
  const indexName = truncate(`${found.name}_${columns.join("_")}_idx`);
  const imported = indexCallee(ts);
  const entry = (param: string) =>
    `${imported.callee}(${JSON.stringify(indexName)}).on(${keys.map((k) => member(param, k)).join(", ")})`;
  const edits: TextEdit[] = [];
  const at = (start: number, end: number, text: string): TextEdit => ({
    start,
    end,
    text,
    range: ts.source.range(start, end),
  });

  let code: string;
  const extra = found.extra;
  if (!extra) {
    const columnsArg = found.call.arguments[1];
    if (!columnsArg) return { error: "the table has no columns argument" };
    code = entry("t");
    edits.push(at(columnsArg.end ?? 0, columnsArg.end ?? 0, `, (t) => [${code}]`));
  } else {
    const param = firstParamName(extra);
    const body = returnedExpression(extra);
    if (!param) return { error: "the third argument takes no table parameter to name columns by" };
    code = entry(param);
    if (body?.type === "ArrayExpression") {
      const last = body.elements.filter((e) => e !== null).at(-1);
      if (!last) edits.push(at((body.start ?? 0) + 1, (body.start ?? 0) + 1, code));
      else edits.push(at(last.end ?? 0, last.end ?? 0, `,${separator(ts, body, last)}${code}`));
    } else if (body?.type === "ObjectExpression") {
      const used = new Set(
        body.properties.flatMap((p) =>
          p.type === "ObjectProperty" && p.key.type === "Identifier" ? [p.key.name] : [],
        ),
      );
      let key = camel(indexName);
      for (let n = 2; used.has(key); n++) key = `${camel(indexName)}${n}`;
      const last = body.properties.at(-1);
      const property = `${key}: ${code}`;
      if (!last) edits.push(at((body.start ?? 0) + 1, (body.start ?? 0) + 1, ` ${property} `));
      else edits.push(at(last.end ?? 0, last.end ?? 0, `,${separator(ts, body, last)}${property}`));
    } else return { error: "the third argument is not `(t) => [ … ]` or `(t) => ({ … })`" };
  }
  if (imported.edit) edits.push(at(imported.edit.at, imported.edit.at, imported.edit.text));
  edits.sort((a, b) => a.start - b.start);
  return { file: source.file, table: found.name, indexName, code, edits };
}

/** One sentence that tells the user what to write, where, and how it reaches the database. */
export function indexFixHelp(fix: IndexFix, line?: number): string {
  const where = line === undefined ? fix.file : `${fix.file}:${line}`;
  return `Add ${fix.code} to the third argument of the "${fix.table}" table (${where}), then run drizzle-kit generate.`;
}

/** Applies non-overlapping edits to a text. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start))
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

function truncate(name: string): string {
  // PostgreSQL keeps the first 63 bytes of a longer name; say so in the code rather than rely on it.
  let out = name;
  while (Buffer.byteLength(out) > MAX_IDENTIFIER) out = out.slice(0, -1);
  return out;
}

function member(param: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${param}.${key}` : `${param}[${JSON.stringify(key)}]`;
}

function camel(name: string): string {
  return name
    .replace(/[_-]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase())
    .replace(/^[^A-Za-z_$]/, "_$&");
}

/** ", " on one line, or a newline with the last entry's indentation when the list spans lines. */
function separator(ts: TsFile, list: { start?: number | null }, last: { start?: number | null }): string {
  const listLine = ts.source.position(list.start ?? 0).line;
  const lastPos = ts.source.position(last.start ?? 0);
  if (lastPos.line === listLine) return " ";
  const indent = /^\s*/.exec(ts.source.lineText(lastPos.line))?.[0] ?? "";
  return `\n${indent}`;
}

/** How `index` is called in this file, and the import edit when pg-core's `index` is not imported. */
function indexCallee(ts: TsFile): { callee: string; edit?: { at: number; text: string } } {
  const body = ts.ast?.program.body ?? [];
  let pgCoreImport: (typeof body)[number] | null = null;
  let lastImport: (typeof body)[number] | null = null;
  for (const statement of body) {
    if (statement.type !== "ImportDeclaration") continue;
    lastImport = statement;
    if (statement.source.value !== "drizzle-orm/pg-core" || statement.importKind === "type") continue;
    for (const spec of statement.specifiers) {
      if (spec.type === "ImportNamespaceSpecifier") return { callee: `${spec.local.name}.index` };
      if (spec.type !== "ImportSpecifier" || spec.importKind === "type") continue;
      const imported = spec.imported.type === "Identifier" ? spec.imported.name : spec.imported.value;
      if (imported === "index") return { callee: spec.local.name };
    }
    if (statement.specifiers.some((s) => s.type === "ImportSpecifier")) pgCoreImport = statement;
  }
  if (pgCoreImport?.type === "ImportDeclaration") {
    const specs = pgCoreImport.specifiers.filter((s) => s.type === "ImportSpecifier");
    const last = specs.at(-1);
    const first = specs[0];
    const multiline =
      first &&
      last &&
      ts.source.position(first.start ?? 0).line !== ts.source.position(pgCoreImport.start ?? 0).line;
    const sep =
      multiline && last
        ? `,\n${/^\s*/.exec(ts.source.lineText(ts.source.position(last.start ?? 0).line))?.[0] ?? ""}`
        : ", ";
    return { callee: "index", edit: { at: last?.end ?? 0, text: `${sep}index` } };
  }
  const at = lastImport ? (lastImport.end ?? 0) : 0;
  const text = lastImport
    ? '\nimport { index } from "drizzle-orm/pg-core";'
    : 'import { index } from "drizzle-orm/pg-core";\n';
  return { callee: "index", edit: { at, text } };
}
