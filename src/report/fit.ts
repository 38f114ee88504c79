/**
 * Lines that fit a terminal: paths shortened in the middle, text cut at the end, and the column
 * that carries the finding wrapped, never cut. Widths count visible characters (ANSI colours are
 * not counted).
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colours to measure width
const ANSI = /\x1b\[[0-9;]*m/g;

export const visibleLength = (s: string): number => [...s.replace(ANSI, "")].length;

/** `packages/prisma/migrations/2024…_x/migration.sql` → `packages/pri…/migration.sql`. */
export function shortenMiddle(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 1) return "…";
  const keepEnd = Math.ceil((max - 1) / 2);
  const keepStart = max - 1 - keepEnd;
  return `${chars.slice(0, keepStart).join("")}…${chars.slice(chars.length - keepEnd).join("")}`;
}

/** Cut at the end with an ellipsis. */
export function shortenEnd(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return max <= 1 ? "…" : `${chars.slice(0, max - 1).join("")}…`;
}

/**
 * Breaks a line at spaces so that each piece fits `width`; continuation lines start with
 * `indent`. A word longer than a line is split. Colour codes stay with their words.
 */
export function wrapLine(line: string, width: number, indent = ""): string[] {
  if (visibleLength(line) <= width) return [line];
  const lead = line.match(/^ */)?.[0] ?? "";
  const words = line.slice(lead.length).split(" ");
  const out: string[] = [];
  let current = lead;
  let fresh = true;
  const room = Math.max(8, width - visibleLength(indent));
  for (let word of words) {
    while (visibleLength(word) > room) {
      // A word wider than a line: split it, where no colour codes are (they never are this long).
      const space = width - visibleLength(current) - (fresh ? 0 : 1);
      if (space < 4 && !fresh) {
        out.push(current);
        current = indent;
        fresh = true;
        continue;
      }
      const plain = [...word];
      const take = fresh ? width - visibleLength(current) : space;
      current += `${fresh ? "" : " "}${plain.slice(0, take).join("")}`;
      out.push(current);
      word = plain.slice(take).join("");
      current = indent;
      fresh = true;
    }
    const next = fresh ? current + word : `${current} ${word}`;
    if (visibleLength(next) <= width || fresh) {
      current = next;
      fresh = false;
    } else {
      out.push(current);
      current = indent + word;
      fresh = false;
    }
  }
  out.push(current);
  return out;
}

export interface Column {
  /** How the column gives way when the table is too wide: "middle" for paths, "end" for text, "wrap" for the last. */
  fit: "middle" | "end" | "wrap" | "none";
  /** The narrowest it gets. */
  min?: number;
  /** The widest it gets, even when there is room. */
  max?: number;
}

/**
 * Lays out rows as columns two spaces apart, after a two-space indent, within `width`. Columns
 * with `fit: "end"` give way first, then "middle"; the last column ("wrap") takes what is left
 * and continues on further lines under itself.
 */
export function fitTable(rows: string[][], columns: Column[], width: number): string[] {
  const n = columns.length;
  const natural = columns.map((col, i) =>
    Math.min(col.max ?? Number.POSITIVE_INFINITY, Math.max(...rows.map((r) => visibleLength(r[i] ?? "")))),
  );
  const widths = [...natural];
  const available = width - 2 - 2 * (n - 1);
  // The last column carries what the table is for: it keeps at least a third of the room.
  const lastMin = Math.min(
    natural[n - 1] ?? 0,
    Math.max(columns[n - 1]?.min ?? 16, Math.floor(available * 0.35)),
  );
  const used = () => widths.slice(0, n - 1).reduce((a, b) => a + b, 0);
  for (const kind of ["end", "middle"] as const) {
    for (let i = 0; i < n - 1; i++) {
      const col = columns[i] as Column;
      if (col.fit !== kind) continue;
      const over = used() + lastMin - available;
      if (over > 0) widths[i] = Math.max(col.min ?? 8, (widths[i] ?? 0) - over);
    }
  }
  widths[n - 1] = Math.max(8, available - used());
  const out: string[] = [];
  for (const row of rows) {
    const cells = row.slice(0, n - 1).map((cell, i) => {
      const w = widths[i] ?? 0;
      const col = columns[i] as Column;
      let text = cell;
      if (visibleLength(cell) > w) text = col.fit === "middle" ? shortenMiddle(cell, w) : shortenEnd(cell, w);
      return text + " ".repeat(Math.max(0, w - visibleLength(text)));
    });
    const prefix = `  ${cells.join("  ")}${n > 1 ? "  " : ""}`;
    const pieces = wrapLine(row[n - 1] ?? "", widths[n - 1] ?? 8);
    const pad = " ".repeat(visibleLength(prefix));
    pieces.forEach((piece, i) => {
      out.push(`${i === 0 ? prefix : pad}${piece}`.trimEnd());
    });
  }
  return out;
}
