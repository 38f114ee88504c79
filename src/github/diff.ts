/**
 * Where a review comment may go: the lines of a file's patch, as the pull request files API
 * returns it (`patch` in a unified diff). A comment takes `line` (and `start_line` for a range) on
 * the RIGHT side, which must lie in one hunk of the diff; the older `position` parameter is
 * deprecated (REST "Create a review for a pull request").
 */

/** For each right-side line in the patch (added or context), the hunk it belongs to. */
export type DiffLines = Map<number, number>;

export function rightSideLines(patch: string | undefined): DiffLines {
  const lines: DiffLines = new Map();
  if (!patch) return lines;
  let hunk = -1;
  let right = 0;
  for (const text of patch.split("\n")) {
    const header = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (header) {
      hunk++;
      right = Number(header[1]);
      continue;
    }
    if (hunk < 0) continue;
    if (text.startsWith("-")) continue;
    // "\ No newline at end of file" belongs to neither side.
    if (text.startsWith("\\")) continue;
    if (text.startsWith("+") || text.startsWith(" ") || text === "") {
      lines.set(right, hunk);
      right++;
    }
  }
  return lines;
}

/**
 * The range to comment on for a finding at `line`..`endLine`: the whole range when it lies in one
 * hunk, else undefined (the finding goes to the summary instead).
 */
export function commentRange(
  lines: DiffLines,
  line: number,
  endLine: number,
): { startLine?: number; line: number } | undefined {
  const hunk = lines.get(line);
  if (hunk === undefined) return undefined;
  for (let n = line; n <= endLine; n++) if (lines.get(n) !== hunk) return undefined;
  return endLine > line ? { startLine: line, line: endLine } : { line };
}
