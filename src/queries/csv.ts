/**
 * A CSV reader for exports written by psql's `\copy … WITH (FORMAT csv, HEADER)` and by
 * spreadsheets: RFC 4180 (quoted fields, `""` for a quote, line breaks inside quoted fields),
 * LF or CRLF line ends, an optional UTF-8 byte order mark. Each row keeps the line it starts on,
 * so that a query can be located at its row.
 */

export interface CsvRow {
  fields: string[];
  /** 1-based line where the row starts, and where it ends (a quoted field can span lines). */
  line: number;
  endLine: number;
}

export interface CsvError {
  message: string;
  line: number;
  column: number;
}

export interface CsvResult {
  rows: CsvRow[];
  /** Rows that could not be read; they are not in `rows`. */
  errors: CsvError[];
}

export function readCsv(input: string): CsvResult {
  const text = input.startsWith("\uFEFF") ? input.slice(1) : input;
  const rows: CsvRow[] = [];
  const errors: CsvError[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = text.length;

  while (i < n) {
    const rowLine = line;
    const fields: string[] = [];
    let error: CsvError | null = null;
    // One row: fields until an unquoted line break or the end of the text.
    for (;;) {
      let value = "";
      if (text[i] === '"') {
        const openLine = line;
        const openColumn = i - lineStart + 1;
        i++;
        let closed = false;
        while (i < n) {
          const quote = text.indexOf('"', i);
          const end = quote === -1 ? n : quote;
          // Count the line breaks the field spans, for the lines of the rows after it.
          for (let nl = text.indexOf("\n", i); nl !== -1 && nl < end; nl = text.indexOf("\n", nl + 1)) {
            line++;
            lineStart = nl + 1;
          }
          value += text.slice(i, end);
          i = end;
          if (quote === -1) break;
          if (text[quote + 1] === '"') {
            value += '"';
            i = quote + 2;
            continue;
          }
          i = quote + 1;
          closed = true;
          break;
        }
        if (!closed) {
          error ??= {
            message: `a quoted field opened here is never closed (the rest of the file, ${line - openLine + 1} lines, is inside it)`,
            line: openLine,
            column: openColumn,
          };
          break;
        }
        // RFC 4180 §2.7: after the closing quote comes a comma or the end of the record.
        if (i < n && text[i] !== "," && text[i] !== "\n" && !(text[i] === "\r" && text[i + 1] === "\n")) {
          error ??= {
            message: "text after the closing quote of a field (a quote inside a field must be doubled)",
            line,
            column: i - lineStart + 1,
          };
          while (i < n && text[i] !== "," && text[i] !== "\n") i++;
        }
      } else {
        const start = i;
        while (i < n && text[i] !== "," && text[i] !== "\n") {
          // RFC 4180 §2.5: a field that holds a quote must be quoted as a whole.
          if (text[i] === '"')
            error ??= {
              message: "a quote inside an unquoted field (quote the whole field and double the quote)",
              line,
              column: i - lineStart + 1,
            };
          i++;
        }
        value = text.slice(start, i);
        if (value.endsWith("\r") && (i >= n || text[i] === "\n")) value = value.slice(0, -1);
      }
      fields.push(value);
      if (i < n && text[i] === ",") {
        i++;
        continue;
      }
      break;
    }
    const endLine = line;
    if (i < n && text[i] === "\r" && text[i + 1] === "\n") i++;
    if (i < n && text[i] === "\n") {
      i++;
      line++;
      lineStart = i;
    }
    if (error) errors.push(error);
    // A blank line holds no record (the file's last line break, or spacing between rows).
    else if (!(fields.length === 1 && fields[0] === "")) rows.push({ fields, line: rowLine, endLine });
  }
  return { rows, errors };
}
