/**
 * Positions inside one source text: character offsets to 1-based lines and columns, and
 * libpg-query's UTF-8 byte offsets to character offsets.
 */
import type { SourceRange } from "../model.js";

export class SourceText {
  private readonly lineStarts: number[];
  /** byte offset → char offset; null while the text is pure ASCII (then they are equal). */
  private byteToChar: Uint32Array | null = null;

  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    const starts = [0];
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
    this.lineStarts = starts;
    // libpg-query reports UTF-8 byte offsets; real migrations carry non-ASCII comments.
    if (Buffer.byteLength(text, "utf8") !== text.length) this.byteToChar = buildByteToChar(text);
  }

  charOffset(byteOffset: number): number {
    if (!this.byteToChar) return byteOffset;
    const clamped = Math.min(Math.max(byteOffset, 0), this.byteToChar.length - 1);
    return this.byteToChar[clamped] ?? this.text.length;
  }

  /** 1-based line and column of a character offset. */
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.lineStarts[lo] ?? 0) + 1 };
  }

  range(start: number, end: number): SourceRange {
    const a = this.position(start);
    const b = this.position(end);
    return { file: this.file, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }

  /** The text of line `line` (1-based), without its newline. */
  lineText(line: number): string {
    const start = this.lineStarts[line - 1];
    if (start === undefined) return "";
    const next = this.lineStarts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end).replace(/\r$/, "");
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }
}

function buildByteToChar(text: string): Uint32Array {
  const map = new Uint32Array(Buffer.byteLength(text, "utf8") + 1);
  let byte = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i) ?? 0;
    const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    for (let k = 0; k < width; k++) map[byte + k] = i;
    byte += width;
    if (code >= 0x10000) i++; // a surrogate pair is one code point
  }
  map[byte] = text.length;
  return map;
}
