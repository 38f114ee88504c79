/**
 * Inline ignores in Prisma's comment syntax: `// pg-index-lint-ignore rule-a, rule-b: reason` on
 * the line before a field, a block attribute or a block (or at the end of its line) applies to
 * that declaration's range, as `-- pg-index-lint-ignore` does to the next SQL statement.
 */
import type { InlineIgnore, SourceRange } from "../../model.js";
import type { PrismaSyntax, Span } from "./syntax.js";

const IGNORE_RE = /^\s*pg-index-lint-ignore\s+([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s*(?::\s*(.*))?$/;

interface Declaration {
  /** Where the declaration starts: the line a directive before it must precede. */
  start: number;
  /** Last line of the part a trailing directive may follow. */
  lastLine: number;
  range: SourceRange;
}

export function prismaIgnores(syntax: PrismaSyntax): InlineIgnore[] {
  const source = syntax.source;
  const declarations: Declaration[] = [];
  const add = (span: Span, tail: Span = span) => {
    declarations.push({
      start: span.start,
      lastLine: source.position(tail.end).line,
      range: source.range(span.start, span.end),
    });
  };
  for (const block of syntax.blocks) {
    // A directive on (or before) the block's opening line covers the whole block.
    add(block.span, block.headerSpan);
    for (const field of block.fields) add(field.span);
    for (const attribute of block.attributes) add(attribute.span);
    for (const value of block.values) add(value.span);
  }
  declarations.sort((a, b) => a.start - b.start);
  const out: InlineIgnore[] = [];
  for (const comment of syntax.comments) {
    const match = IGNORE_RE.exec(comment.text);
    if (!match) continue;
    const range = source.range(comment.span.start, comment.span.end);
    const line = range.line;
    const lineText = source.lineText(line);
    const trailing = lineText.slice(0, range.column - 1).trim() !== "";
    let target: Declaration | undefined;
    if (trailing) {
      // The innermost declaration that ends on this line: the field, not its model.
      target = declarations
        .filter((d) => d.lastLine === line && d.start < comment.span.start)
        .sort((a, b) => b.start - a.start)[0];
    } else {
      // The next declaration, across further comment lines and blank lines.
      target = declarations.find((d) => d.start > comment.span.end);
      if (target && !onlyCommentsBetween(syntax, comment.span.end, target.start)) target = undefined;
    }
    out.push({
      rules: (match[1] ?? "").split(",").map((r) => r.trim()),
      reason: (match[2] ?? "").trim(),
      range,
      statement: target?.range ?? range,
    });
  }
  return out;
}

/** Between `from` and `to` there is nothing but whitespace and comments. */
function onlyCommentsBetween(syntax: PrismaSyntax, from: number, to: number): boolean {
  const text = syntax.source.text;
  let i = from;
  while (i < to) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") i++;
    else if (c === "/" && text[i + 1] === "/") {
      const nl = text.indexOf("\n", i);
      i = nl === -1 ? to : nl;
    } else return false;
  }
  return true;
}
