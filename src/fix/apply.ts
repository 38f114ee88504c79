/**
 * Applying a finding's fix: its replacement and its other edits, to the texts of the files they
 * touch. The fix-application test and bench/realworld use it to prove that every fix applies and
 * brings no new finding. Positions follow `SourceRange`: 1-based lines and columns, columns in
 * UTF-16 code units (JavaScript string offsets), an exclusive end column.
 */
import type { FileEdit, Finding } from "../finding.js";

/** Every edit a finding's fix makes, the replacement first. Empty when it has no fix. */
export function fixEdits(finding: Finding): FileEdit[] {
  const fix = finding.fix;
  if (!fix) return [];
  const range = fix.range ?? finding;
  return [
    {
      file: range.file,
      line: range.line,
      column: range.column,
      endLine: range.endLine,
      endColumn: range.endColumn,
      text: fix.replacement,
    },
    ...(fix.edits ?? []),
  ];
}

/** Offset of (line, column) in `text`, or null when the position is outside it. */
export function offsetOf(text: string, line: number, column: number): number | null {
  if (!Number.isInteger(line) || !Number.isInteger(column) || line < 1 || column < 1) return null;
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) return null;
    start = nl + 1;
  }
  const lineEnd = text.indexOf("\n", start) < 0 ? text.length : text.indexOf("\n", start);
  // An exclusive end may point just past the line's last character, not further.
  if (start + column - 1 > lineEnd) return null;
  return start + column - 1;
}

export type EditResult = { ok: true; files: Map<string, string> } | { ok: false; reason: string };

/**
 * The files after the edits. `read` gives a file's current text (null when it does not exist).
 * Edits to one file must not overlap; a created file must not exist yet.
 */
export function applyEdits(edits: readonly FileEdit[], read: (file: string) => string | null): EditResult {
  const files = new Map<string, string>();
  const byFile = new Map<string, FileEdit[]>();
  for (const edit of edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
  for (const [file, list] of byFile) {
    const created = list.filter((e) => e.create);
    if (created.length > 0) {
      if (list.length > 1) return { ok: false, reason: `${file}: a created file takes one edit` };
      if (read(file) !== null) return { ok: false, reason: `${file} already exists` };
      files.set(file, created[0]?.text ?? "");
      continue;
    }
    const text = read(file);
    if (text === null) return { ok: false, reason: `${file} does not exist` };
    const spans: { start: number; end: number; text: string }[] = [];
    for (const edit of list) {
      const start = offsetOf(text, edit.line, edit.column);
      const end = offsetOf(text, edit.endLine, edit.endColumn);
      if (start === null || end === null || end < start)
        return {
          ok: false,
          reason: `${file}: range ${edit.line}:${edit.column}-${edit.endLine}:${edit.endColumn} is not in the file`,
        };
      spans.push({ start, end, text: edit.text });
    }
    spans.sort((a, b) => a.start - b.start);
    for (let i = 1; i < spans.length; i++) {
      if ((spans[i]?.start ?? 0) < (spans[i - 1]?.end ?? 0))
        return { ok: false, reason: `${file}: edits overlap` };
    }
    let out = text;
    for (const span of [...spans].reverse()) out = out.slice(0, span.start) + span.text + out.slice(span.end);
    files.set(file, out);
  }
  return { ok: true, files };
}
