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
 * Every file the fix changes, with its text after the fix: `fix.replacement` at `fix.range` (or the
 * finding's span) and each of `fix.edits` (an import the inserted code needs, a file it creates).
 * `read(file)` gives a file's text, or null when it does not exist. `main` locates the replacement in
 * the fixed text of the finding's file, for `compareFindings`.
 */
export function applyFixEdits(read, finding) {
  const main = {
    file: finding.file,
    range: finding.fix.range ?? finding,
    text: finding.fix.replacement,
    main: true,
  };
  const all = [
    main,
    ...(finding.fix.edits ?? []).map((e) => ({ file: e.file, range: e, text: e.text, create: e.create })),
  ];
  const files = [];
  let located = null;
  for (const file of [...new Set(all.map((e) => e.file))]) {
    const edits = all.filter((e) => e.file === file);
    const original = read(file);
    if (edits.some((e) => e.create)) {
      if (original !== null) return { ok: false, reason: `the fix creates ${file}, which exists` };
      if (edits.length > 1) return { ok: false, reason: `the fix creates ${file} and edits it` };
      files.push({ file, original: null, text: edits[0].text });
      continue;
    }
    if (original === null) return { ok: false, reason: `the fix edits ${file}, which does not exist` };
    const spans = [];
    for (const e of edits) {
      const start = offsetOf(original, e.range.line, e.range.column);
      const end = offsetOf(original, e.range.endLine, e.range.endColumn);
      if (start === null || end === null)
        return {
          ok: false,
          reason: `fix range ${file}:${e.range.line}:${e.range.column}-${e.range.endLine}:${e.range.endColumn} is outside the file`,
        };
      if (end < start) return { ok: false, reason: `fix range in ${file} ends before it starts` };
      spans.push({ ...e, start, end });
    }
    spans.sort((a, b) => a.start - b.start || a.end - b.end);
    for (let i = 1; i < spans.length; i++)
      if (spans[i].start < spans[i - 1].end)
        return { ok: false, reason: `the fix's edits of ${file} overlap` };
    let text = "";
    let at = 0;
    for (const sp of spans) {
      text += original.slice(at, sp.start);
      if (sp.main) located = { start: text.length, newEnd: text.length + sp.text.length };
      text += sp.text;
      at = sp.end;
    }
    text += original.slice(at);
    files.push({ file, original, text });
  }
  const own = files.find((f) => f.file === finding.file);
  return { ok: true, files, text: own.text, ...located };
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
 * `stillThere`: a finding of the same rule in the same file starts inside the replaced text, or the
 * same rule+file+message is not any rarer than before. `added`: findings whose rule+file+message
 * occur more often than before.
 */
export function compareFindings(before, after, finding, applied) {
  const cb = counts(before);
  const ca = counts(after);
  const key = keyOf(finding);
  const positional = after.some((f) => {
    if (f.rule !== finding.rule || f.file !== finding.file) return false;
    const at = offsetOf(applied.text, f.line, f.column);
    return at !== null && at >= applied.start && at <= Math.max(applied.start, applied.newEnd - 1);
  });
  const stillThere = positional || (ca.get(key) ?? 0) >= (cb.get(key) ?? 0);
  const added = [];
  for (const [k, n] of ca) {
    if (k === key) continue;
    const extra = n - (cb.get(k) ?? 0);
    if (extra <= 0) continue;
    added.push(...after.filter((f) => keyOf(f) === k).slice(0, extra));
  }
  return { stillThere, added };
}
