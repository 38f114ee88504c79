/**
 * Applying one finding's fix to a file's text, and judging the re-check: is the finding gone, and
 * did the fix bring anything new? Locations follow the JSON v1 contract: lines and columns are
 * 1-based, columns count UTF-16 code units (as JavaScript strings do), and endColumn is exclusive.
 */
import { applyEdits, fixEdits, offsetOf } from "../../build/fix/apply.js";

/**
 * The fix applied, with the project's own src/fix/apply.ts (from build/): `read(file)` gives a
 * file's text (null when it does not exist). Returns the new texts by file, the files it creates,
 * and where the replacement sits in the finding's own file (`start`, `newEnd`, `text`), or
 * `{ ok: false, reason }`. In the JSON report a fix's range carries no file: it is the finding's.
 */
export function applyFix(finding, read) {
  const range = { ...(finding.fix.range ?? finding), file: finding.file };
  const edits = fixEdits({ ...finding, fix: { ...finding.fix, range } });
  const result = applyEdits(edits, read);
  if (!result.ok) return result;
  // The replacement moves by what the edits before it in the same file add or remove.
  const [main, ...others] = edits;
  const original = read(main.file) ?? "";
  let start = offsetOf(original, main.line, main.column) ?? 0;
  const at = start;
  for (const e of others) {
    if (e.file !== main.file || e.create) continue;
    const from = offsetOf(original, e.line, e.column) ?? 0;
    const to = offsetOf(original, e.endLine, e.endColumn) ?? from;
    if (to <= at) start += e.text.length - (to - from);
  }
  return {
    ok: true,
    files: result.files,
    created: new Set(edits.filter((e) => e.create).map((e) => e.file)),
    text: result.files.get(finding.file),
    start,
    newEnd: start + main.text.length,
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
