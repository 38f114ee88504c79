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
 * The text with the fix applied: `fix.replacement` replaces `fix.range`, or the finding's own span
 * when the fix has no range.
 */
export function applyFix(text, finding) {
  const range = finding.fix.range ?? finding;
  const start = offsetOf(text, range.line, range.column);
  const end = offsetOf(text, range.endLine, range.endColumn);
  if (start === null || end === null) {
    return {
      ok: false,
      reason: `fix range ${range.line}:${range.column}-${range.endLine}:${range.endColumn} is outside the file`,
    };
  }
  if (end < start) return { ok: false, reason: "fix range ends before it starts" };
  const replacement = finding.fix.replacement;
  return {
    ok: true,
    text: text.slice(0, start) + replacement + text.slice(end),
    start,
    newEnd: start + replacement.length,
    replaced: text.slice(start, end),
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
