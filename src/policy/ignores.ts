/**
 * Inline ignores (`-- pg-index-lint-ignore rule: reason`, and each source's own comment syntax).
 * A finding is covered by an ignore of its rule on the statement that contains the finding's
 * start: findings about a clause (a foreign key, a table) start inside their statement.
 */
import type { InlineIgnore, SourceRange } from "../model.js";

export class Ignores {
  private readonly byFile = new Map<string, InlineIgnore[]>();
  private readonly used = new Set<string>();

  add(list: readonly InlineIgnore[]): void {
    for (const ignore of list) {
      const inFile = this.byFile.get(ignore.range.file) ?? [];
      inFile.push(ignore);
      this.byFile.set(ignore.range.file, inFile);
    }
  }

  covers(range: SourceRange, rule: string): InlineIgnore | undefined {
    return this.byFile
      .get(range.file)
      ?.find((ignore) => ignore.rules.includes(rule) && contains(ignore.statement, range.line, range.column));
  }

  /** Like `covers`, and remembers the ignore as used. */
  suppress(range: SourceRange, rule: string): boolean {
    const ignore = this.covers(range, rule);
    if (ignore) this.used.add(usedKey(ignore, rule));
    return ignore !== undefined;
  }

  *unused(): Iterable<{ ignore: InlineIgnore; rule: string }> {
    for (const list of this.byFile.values()) {
      for (const ignore of list) {
        for (const rule of ignore.rules) if (!this.used.has(usedKey(ignore, rule))) yield { ignore, rule };
      }
    }
  }
}

function usedKey(ignore: InlineIgnore, rule: string): string {
  return `${ignore.range.file}:${ignore.range.line}:${ignore.range.column}:${rule}`;
}

function contains(r: SourceRange, line: number, column: number): boolean {
  const afterStart = line > r.line || (line === r.line && column >= r.column);
  const beforeEnd = line < r.endLine || (line === r.endLine && column <= r.endColumn);
  return afterStart && beforeEnd;
}
