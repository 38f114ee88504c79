/**
 * Tabular exports, CSV with a header or JSON (an array of objects), as located records. The
 * pg_stat_statements and the table-statistics readers share it.
 */
import type { InputError, SourceRange } from "../model.js";
import { SourceText } from "../parse/source-text.js";
import { readCsv } from "./csv.js";

export type RecordValue = string | number | boolean | null;

export interface ExportRecord {
  /** Column name (lower case) → value. A CSV field is a string; JSON keeps its types. */
  values: Map<string, RecordValue>;
  /** The row (CSV) or the object (JSON); `line` is where it starts. */
  range: SourceRange;
}

export interface ExportTable {
  format: "csv" | "json";
  /** Lower-case column names: the CSV header, or every key some JSON object has. */
  columns: Set<string>;
  records: ExportRecord[];
  errors: InputError[];
  /** Where a "missing column" error belongs: the header row, or the start of the JSON array. */
  header: SourceRange;
}

/** JSON when the text starts with `[` or `{`; a CSV header never does. */
export function readExport(text: string, file: string): ExportTable {
  const body = text.replace(/^\uFEFF/, "");
  const first = /\S/.exec(body);
  if (first && (first[0] === "[" || first[0] === "{")) return readJsonExport(body, file);
  return readCsvExport(body, file);
}

function lineRange(file: string, line: number, endLine = line, column = 1): SourceRange {
  return { file, line, column, endLine, endColumn: column + 1 };
}

function readCsvExport(text: string, file: string): ExportTable {
  const csv = readCsv(text);
  const errors: InputError[] = csv.errors.map((e) => ({
    message: `unreadable CSV row: ${e.message}`,
    range: lineRange(file, e.line, e.line, e.column),
  }));
  const [head, ...rows] = csv.rows;
  if (!head) {
    return {
      format: "csv",
      columns: new Set(),
      records: [],
      errors: errors.length ? errors : [{ message: "the export is empty", range: lineRange(file, 1) }],
      header: lineRange(file, 1),
    };
  }
  const names = head.fields.map((f) => f.trim().toLowerCase());
  const records: ExportRecord[] = [];
  for (const row of rows) {
    const range = lineRange(file, row.line, row.endLine);
    if (row.fields.length !== names.length) {
      errors.push({
        message: `unreadable CSV row: it has ${row.fields.length} fields, the header has ${names.length}`,
        range,
      });
      continue;
    }
    const values = new Map<string, RecordValue>();
    names.forEach((name, k) => {
      values.set(name, row.fields[k] ?? "");
    });
    records.push({ values, range });
  }
  errors.sort((a, b) => a.range.line - b.range.line);
  return { format: "csv", columns: new Set(names), records, errors, header: lineRange(file, head.line) };
}

function readJsonExport(text: string, file: string): ExportTable {
  const source = new SourceText(text, file);
  const header = lineRange(file, source.position(text.search(/\S/)).line);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    // V8 names the offset in most messages ("… in JSON at position 42").
    const message = error instanceof Error ? error.message : String(error);
    const at = /position (\d+)/.exec(message);
    const where = at ? source.position(Number(at[1])) : { line: 1, column: 1 };
    return {
      format: "json",
      columns: new Set(),
      records: [],
      errors: [
        { message: `invalid JSON: ${message}`, range: lineRange(file, where.line, where.line, where.column) },
      ],
      header,
    };
  }
  if (!Array.isArray(data)) {
    return {
      format: "json",
      columns: new Set(),
      records: [],
      errors: [{ message: "expected a JSON array of objects (one per row)", range: header }],
      header,
    };
  }
  const starts = elementStarts(text);
  const columns = new Set<string>();
  const records: ExportRecord[] = [];
  const errors: InputError[] = [];
  data.forEach((item: unknown, k) => {
    const start = starts[k] ?? 0;
    const end = starts[k + 1] ?? text.length;
    const a = source.position(start);
    const range: SourceRange = {
      file,
      line: a.line,
      column: a.column,
      endLine: source.position(Math.max(start, lastNonSpace(text, end))).line,
      endColumn: a.column + 1,
    };
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      errors.push({ message: `row ${k + 1} is not a JSON object`, range });
      return;
    }
    const values = new Map<string, RecordValue>();
    for (const [key, value] of Object.entries(item)) {
      const name = key.trim().toLowerCase();
      columns.add(name);
      values.set(
        name,
        value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean"
          ? value
          : JSON.stringify(value),
      );
    }
    records.push({ values, range });
  });
  return { format: "json", columns, records, errors, header };
}

function lastNonSpace(text: string, end: number): number {
  let i = end - 1;
  while (i > 0 && /[\s,\]]/.test(text[i] ?? "")) i--;
  return i;
}

/** Character offsets where each element of the top-level JSON array starts (the text is valid JSON). */
function elementStarts(text: string): number[] {
  const starts: number[] = [];
  let depth = 0;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      if (depth === 1 && expectValue) {
        starts.push(i);
        expectValue = false;
      }
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      continue;
    }
    if (c === " " || c === "\n" || c === "\r" || c === "\t") continue;
    if (depth === 1 && expectValue && c !== "]") {
      starts.push(i);
      expectValue = false;
    }
    if (c === "[" || c === "{") {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 1) expectValue = true;
  }
  return starts;
}

/** A number from a CSV field or a JSON value; undefined when empty or not a number. */
export function numberValue(value: RecordValue | undefined): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (text === "" || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return undefined;
  return Number(text);
}

/** Text of a value; undefined when empty or null. */
export function textValue(value: RecordValue | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const text = String(value);
  return text === "" ? undefined : text;
}

/** The first of `names` that the export has. */
export function pickColumn(columns: Set<string>, ...names: string[]): string | undefined {
  return names.find((n) => columns.has(n));
}
