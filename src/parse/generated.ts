/**
 * SQL generated from framework code (an Alembic operation, an ORM model declaration), parsed back
 * with libpg-query so that the rest of the pipeline sees ordinary statements. Each generated
 * statement keeps a map from its clauses to the code that produced them, so that a finding about
 * a foreign key points at the line that declares it.
 */
import type { Node } from "@pgsql/types";
import { parseSync } from "libpg-query";
import type { SourceRange } from "../model.js";
import { quoteIdent } from "../schema/names.js";
import { SourceText } from "./source-text.js";

/** A part of a generated statement and the code it came from (char offsets into the SQL). */
export interface Segment {
  start: number;
  end: number;
  range: SourceRange;
}

/** SQL generated for one Python construct, before parsing. */
export class GeneratedSql {
  sql = "";
  readonly segments: Segment[] = [];
  constructor(
    /** The Python construct the statement comes from: the finding location for the statement. */
    readonly range: SourceRange,
    /** Char offset of the construct in the Python file. */
    readonly offset: number,
  ) {}

  add(text: string, from?: SourceRange): this {
    if (from) this.segments.push({ start: this.sql.length, end: this.sql.length + text.length, range: from });
    this.sql += text;
    return this;
  }
}

export interface GeneratedStatement {
  node: Node;
  sql: string;
  range: SourceRange;
  offset: number;
  /** Maps a parser location (UTF-8 byte offset into `sql`) to the Python code behind that clause. */
  locate: (byteLocation: number | undefined) => SourceRange;
}

/** Parses generated SQL. A failure is a bug in the generator or a name we could not quote; it is reported, not thrown. */
export function parseGenerated(generated: GeneratedSql): GeneratedStatement | { error: string } {
  let node: Node | undefined;
  try {
    const result = parseSync(generated.sql);
    const stmts = result.stmts ?? [];
    if (stmts.length !== 1) return { error: `generated ${stmts.length} statements` };
    node = stmts[0]?.stmt;
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  if (!node) return { error: "generated no statement" };
  const text = new SourceText(generated.sql, "");
  const segments = generated.segments;
  return {
    node,
    sql: generated.sql,
    range: generated.range,
    offset: generated.offset,
    locate(byteLocation) {
      if (byteLocation === undefined || byteLocation < 0) return generated.range;
      const at = text.charOffset(byteLocation);
      // The innermost segment that holds the location.
      let best: Segment | null = null;
      for (const s of segments) {
        if (at >= s.start && at < s.end && (!best || s.end - s.start <= best.end - best.start)) best = s;
      }
      return best?.range ?? generated.range;
    },
  };
}

export function qualified(schema: string | null, name: string): string {
  return schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name);
}
