/**
 * Applying one finding's fix to a file's text, and judging the re-check: is the finding gone, and
 * did the fix bring anything new? Locations follow the JSON v1 contract: lines and columns are
 * 1-based, columns count UTF-16 code units (as JavaScript strings do), and endColumn is exclusive.
 */

/** Offset of (line, column) in `text`, or null when the position is outside it. */
export function offsetOf(text, line, column) {
  if (!Number.isInteger(line) || !Number.isInteger(column) || line < 1 || column < 1) return null;
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) return null;
    start = nl + 1;
  }
  let lineEnd = text.indexOf("\n", start);
  if (lineEnd < 0) lineEnd = text.length;
  // endColumn may point just past the last character of the line (exclusive end), not further.
  if (start + column - 1 > lineEnd) return null;
  return start + column - 1;
}

/**
 * Every edit a finding's fix makes, the replacement first: `fix.replacement` replaces `fix.range`
 * (or the finding's own span when the fix has no range), then `fix.edits` (a new migration file
 * that holds the moved statement, an opt-out line rewritten). Same as src/fix/apply.ts.
 */
export function fixEdits(finding) {
  const range = finding.fix.range ?? finding;
  return [
    {
      file: finding.file,
      line: range.line,
      column: range.column,
      endLine: range.endLine,
      endColumn: range.endColumn,
      text: finding.fix.replacement,
    },
    ...(finding.fix.edits ?? []),
  ];
}

/**
 * The fix applied: `read(file)` gives a file's text (null when it does not exist). Returns the new
 * texts by file, the files it creates, and where the replacement sits in the finding's own file
 * (`start`, `newEnd`, `text`), or `{ ok: false, reason }`.
 */
export function applyFix(finding, read) {
  const byFile = new Map();
  for (const e of fixEdits(finding)) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  const files = new Map();
  const created = new Set();
  let main = null;
  for (const [file, list] of byFile) {
    if (list.some((e) => e.create)) {
      if (list.length > 1) return { ok: false, reason: `${file}: a created file takes one edit` };
      if (read(file) !== null) return { ok: false, reason: `${file} already exists` };
      files.set(file, list[0].text);
      created.add(file);
      continue;
    }
    const text = read(file);
    if (text === null) return { ok: false, reason: `${file} does not exist` };
    const spans = [];
    for (const e of list) {
      const start = offsetOf(text, e.line, e.column);
      const end = offsetOf(text, e.endLine, e.endColumn);
      if (start === null || end === null)
        return {
          ok: false,
          reason: `${file}: range ${e.line}:${e.column}-${e.endLine}:${e.endColumn} is outside the file`,
        };
      if (end < start) return { ok: false, reason: `${file}: range ends before it starts` };
      spans.push({ start, end, text: e.text, main: e === list[0] && file === finding.file });
    }
    spans.sort((a, b) => a.start - b.start);
    for (let i = 1; i < spans.length; i++)
      if (spans[i].start < spans[i - 1].end) return { ok: false, reason: `${file}: edits overlap` };
    let out = text;
    let shift = 0;
    for (const sp of spans) {
      out = out.slice(0, sp.start + shift) + sp.text + out.slice(sp.end + shift);
      if (sp.main) main = { start: sp.start + shift, newEnd: sp.start + shift + sp.text.length };
      shift += sp.text.length - (sp.end - sp.start);
    }
    files.set(file, out);
  }
  return {
    ok: true,
    files,
    created,
    text: files.get(finding.file),
    start: main?.start ?? 0,
    newEnd: main?.newEnd ?? 0,
  };
}

/**
 * A message without the numbers that move when lines move: "line 3", "lines 3–7", "file.sql:4:1".
 * Findings are compared by rule + file + this.
 */
export function normaliseMessage(message) {
  return String(message)
    .replace(/\b(lines?) \d+(?:\s*[–-]\s*\d+)?/g, "$1 N")
    .replace(/(\.[A-Za-z]{1,8}):\d+(?::\d+)?/g, "$1:N");
}

const keyOf = (f) => `${f.rule}|${f.file}|${normaliseMessage(f.message)}`;

function counts(findings) {
  const m = new Map();
  for (const f of findings) m.set(keyOf(f), (m.get(keyOf(f)) ?? 0) + 1);
  return m;
}

/**
 * `stillThere`: a finding of the same rule in the same file starts inside the replacement text,
 * or the same rule+file+message is not any rarer than before. (A fix that only removes text has
 * no inside: the next statement, moved up to where the removed one began, is not the finding.)
 * `added`: findings whose rule+file+message occur more often than before. A finding in a file the
 * fix created counts as one in the fixed file, and a message that names the created file names
 * the fixed one: the statement moved there, with whatever else is true of it.
 */
export function compareFindings(before, after, finding, applied) {
  const created = [...(applied.created ?? [])];
  const moved = (f) => {
    if (!created.length) return f;
    let message = f.message;
    for (const c of created) message = message.split(c).join(finding.file);
    return { ...f, file: created.includes(f.file) ? finding.file : f.file, message };
  };
  const now = after.map(moved);
  const cb = counts(before);
  const ca = counts(now);
  const key = keyOf(finding);
  const positional = after.some((f) => {
    if (f.rule !== finding.rule || f.file !== finding.file) return false;
    const at = offsetOf(applied.text, f.line, f.column);
    return at !== null && at >= applied.start && at < applied.newEnd;
  });
  const stillThere = positional || (ca.get(key) ?? 0) >= (cb.get(key) ?? 0);
  const added = [];
  for (const [k, n] of ca) {
    if (k === key) continue;
    const extra = n - (cb.get(k) ?? 0);
    if (extra <= 0) continue;
    added.push(...after.filter((_, i) => keyOf(now[i]) === k).slice(0, extra));
  }
  return { stillThere, added };
}
