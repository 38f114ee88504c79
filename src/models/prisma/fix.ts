/**
 * Fixes in Prisma's own words: a missing index is an `@@index([...])` line in the model block,
 * which `prisma migrate dev` then turns into a migration. Nobody should hand-write the
 * `CREATE INDEX` of a Prisma-managed table.
 */
import type { SourceRange } from "../../model.js";
import { type Block, parsePrismaSyntax } from "./syntax.js";

/** Insert `text` at a zero-width range (line/column 1-based, endColumn exclusive, as SourceRange). */
export interface TextEdit extends SourceRange {
  text: string;
}

/** `@@index([authorId])`, `@@index([tenantId, createdAt])`. */
export function prismaIndexAttribute(fields: string[]): string {
  return `@@index([${fields.join(", ")}])`;
}

/** The help sentence of a finding: "Add @@index([authorId]) to model Post". */
export function prismaIndexHelp(model: string, fields: string[]): string {
  return `Add ${prismaIndexAttribute(fields)} to model ${model}`;
}

/**
 * The edit that adds `@@index([fields])` to `model` in `schema`: a new line after the model's last
 * `@@` attribute, or after its last field (then preceded by a blank line, as `prisma format` lays
 * block attributes out), indented like that line. A plain `@@index` on a prefix of the fields is
 * widened in place instead, so that the fix leaves no redundant index behind. Null when the file
 * has no such model block.
 */
export function prismaIndexEdit(
  schema: { file: string; text: string },
  model: string,
  fields: string[],
): TextEdit | null {
  const syntax = parsePrismaSyntax(schema.text, schema.file);
  const block = syntax.blocks.find((b: Block) => b.kind === "model" && b.name === model);
  if (!block) return null;
  const lastAttribute = block.attributes.at(-1);
  const lastField = block.fields.at(-1);
  const anchor = lastAttribute?.span ?? lastField?.span;
  const source = syntax.source;
  const attribute = prismaIndexAttribute(fields);
  // A plain @@index on a prefix of the fields would become redundant beside the new one: widen it.
  for (const existing of block.attributes) {
    if (existing.name !== "index") continue;
    const declared = /^@@index\(\s*\[([\w\s,]*)\]\s*\)$/.exec(
      schema.text.slice(existing.span.start, existing.span.end),
    );
    const prefix = declared?.[1]
      ?.split(",")
      .map((f) => f.trim())
      .filter(Boolean);
    if (!prefix || prefix.length === 0 || prefix.length >= fields.length) continue;
    if (prefix.every((f, i) => f === fields[i])) {
      const start = source.position(existing.span.start);
      const end = source.position(existing.span.end);
      return { file: schema.file, ...start, endLine: end.line, endColumn: end.column, text: attribute };
    }
  }
  const close = source.position(block.closeAt);
  if (!anchor || source.position(anchor.end).line >= close.line) {
    // "}" shares its line with the header or the last declaration (`model A { id Int @id }`):
    // insert before it; otherwise an empty block gets the line before its "}".
    if (close.line === source.position(block.span.start).line || anchor)
      return {
        file: schema.file,
        ...close,
        endLine: close.line,
        endColumn: close.column,
        text: `${attribute} `,
      };
    return at(schema.file, close.line, `  ${attribute}\n`);
  }
  // The anchor may span lines (arguments written across lines): insert after its last one.
  const line = source.position(anchor.end).line;
  const lineText = source.lineText(source.position(anchor.start).line);
  const indent = /^[ \t]*/.exec(lineText)?.[0] ?? "  ";
  const blank = lastAttribute ? "" : "\n";
  return at(schema.file, line + 1, `${blank}${indent}${attribute}\n`);
}

function at(file: string, line: number, text: string): TextEdit {
  return { file, line, column: 1, endLine: line, endColumn: 1, text };
}
