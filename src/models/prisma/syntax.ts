/**
 * A lenient reader of the Prisma schema language, after Prisma's own grammar
 * (prisma/prisma-engines `psl/schema-ast/src/parser/datamodel.pest`): top-level `model`, `view`,
 * `type`, `enum`, `datasource` and `generator` blocks; fields with a type, `?`/`[]` modifiers and
 * `@attributes`; `@@block` attributes; expressions (strings, numbers, paths, arrays, function calls);
 * `//` and `///` comments. It never throws: what it cannot read becomes a located error and the
 * reader goes on at the next line, as Prisma's own CATCH_ALL rules do.
 */
import type { InputError } from "../../model.js";
import { SourceText } from "../../parse/source-text.js";

/** Char offsets into the file's text. */
export interface Span {
  start: number;
  end: number;
}

export type Expr =
  | { kind: "string"; value: string; span: Span }
  | { kind: "number"; value: string; span: Span }
  /** An identifier or a dotted path: `Desc`, `true`, `db.VarChar`, `Cascade`. */
  | { kind: "path"; value: string; span: Span }
  | { kind: "array"; items: Expr[]; span: Span }
  | { kind: "call"; name: string; args: Arg[]; span: Span }
  /** `{ key: value }`: Prisma 7.4's object filters for partial indexes. */
  | { kind: "object"; entries: Arg[]; span: Span };

export interface Arg {
  /** Null for a positional argument. */
  name: string | null;
  /** Null for an empty named argument (`fields:`), which Prisma's grammar allows while typing. */
  value: Expr | null;
  span: Span;
}

export interface Attribute {
  /** Without the `@` or `@@`: `id`, `relation`, `db.VarChar`. */
  name: string;
  args: Arg[];
  span: Span;
}

export interface Field {
  name: string;
  nameSpan: Span;
  /** The base type: `String`, a model or enum name, or the text of `Unsupported("…")`. */
  type: string;
  /** Set for `Unsupported("…")`: the database type it names. */
  unsupported: string | null;
  list: boolean;
  optional: boolean;
  attributes: Attribute[];
  /** From the field name to the end of its last attribute (trailing comment excluded). */
  span: Span;
}

export interface ConfigProperty {
  key: string;
  value: Expr | null;
  span: Span;
}

export interface EnumValue {
  name: string;
  attributes: Attribute[];
  span: Span;
}

export type BlockKind = "model" | "view" | "type" | "enum" | "datasource" | "generator";

export interface Block {
  kind: BlockKind;
  name: string;
  nameSpan: Span;
  /** From the keyword to the closing brace. */
  span: Span;
  /** The span of the `{ … }` line that opens the block, keyword to `{`. */
  headerSpan: Span;
  fields: Field[];
  attributes: Attribute[];
  values: EnumValue[];
  properties: ConfigProperty[];
  /** Offset of the closing `}`; the text length when the block is not closed. */
  closeAt: number;
}

export interface Comment {
  span: Span;
  /** The text after `//` or `///`. */
  text: string;
  doc: boolean;
}

export interface PrismaSyntax {
  file: string;
  source: SourceText;
  blocks: Block[];
  comments: Comment[];
  errors: InputError[];
}

type TokenKind =
  | "ident"
  | "string"
  | "number"
  | "punct"
  | "at"
  | "atat"
  | "newline"
  | "comment"
  | "unknown"
  | "eof";

interface Token {
  kind: TokenKind;
  /** Source text, or the decoded value of a string. */
  text: string;
  start: number;
  end: number;
}

const IDENT_START = /[A-Za-z0-9_]/;
const IDENT_PART = /[A-Za-z0-9_-]/;

function tokenize(text: string, comments: Comment[], errors: Span[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === " " || c === "\t" || c === "\f" || c === "\v" || c === "\u00a0" || c === "\ufeff") {
      i++;
    } else if (c === "\n" || c === "\r") {
      const end = c === "\r" && text[i + 1] === "\n" ? i + 2 : i + 1;
      tokens.push({ kind: "newline", text: "\n", start: i, end });
      i = end;
    } else if (c === "/" && text[i + 1] === "/") {
      let end = i;
      while (end < text.length && text[end] !== "\n" && text[end] !== "\r") end++;
      const doc = text[i + 2] === "/";
      comments.push({ span: { start: i, end }, text: text.slice(i + (doc ? 3 : 2), end), doc });
      tokens.push({ kind: "comment", text: text.slice(i, end), start: i, end });
      i = end;
    } else if (c === "/" && text[i + 1] === "*") {
      // Block comments: newer Prisma grammars accept them, and real schemas use them.
      const close = text.indexOf("*/", i + 2);
      const end = close === -1 ? text.length : close + 2;
      if (close === -1) errors.push({ start: i, end: i + 2 });
      comments.push({
        span: { start: i, end },
        text: text.slice(i + 2, close === -1 ? end : close),
        doc: false,
      });
      tokens.push({ kind: "comment", text: text.slice(i, end), start: i, end });
      i = end;
    } else if (c === '"') {
      // JSON string rules, as the grammar's string_literal: escapes, no raw control characters.
      let value = "";
      let j = i + 1;
      let closed = false;
      while (j < text.length) {
        const d = text[j] as string;
        if (d === '"') {
          closed = true;
          j++;
          break;
        }
        if (d === "\n" || d === "\r") break;
        if (d === "\\" && j + 1 < text.length) {
          const e = text[j + 1] as string;
          const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" };
          if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) {
            value += String.fromCharCode(Number.parseInt(text.slice(j + 2, j + 6), 16));
            j += 6;
          } else {
            value += simple[e] ?? e;
            j += 2;
          }
          continue;
        }
        value += d;
        j++;
      }
      if (!closed) errors.push({ start: i, end: j });
      tokens.push({ kind: "string", text: value, start: i, end: j });
      i = j;
    } else if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(text[i + 1] ?? ""))) {
      const match = /^-?[0-9]+(\.[0-9]+)?/.exec(text.slice(i, i + 64)) as RegExpExecArray;
      const after = text[i + match[0].length] ?? "";
      if (c !== "-" && IDENT_PART.test(after)) {
        // An identifier may start with a digit (ASCII_ALPHANUMERIC).
        let j = i;
        while (j < text.length && IDENT_PART.test(text[j] as string)) j++;
        tokens.push({ kind: "ident", text: text.slice(i, j), start: i, end: j });
        i = j;
      } else {
        tokens.push({ kind: "number", text: match[0], start: i, end: i + match[0].length });
        i += match[0].length;
      }
    } else if (IDENT_START.test(c)) {
      let j = i;
      while (j < text.length && IDENT_PART.test(text[j] as string)) j++;
      tokens.push({ kind: "ident", text: text.slice(i, j), start: i, end: j });
      i = j;
    } else if (c === "@") {
      const two = text[i + 1] === "@";
      tokens.push({ kind: two ? "atat" : "at", text: two ? "@@" : "@", start: i, end: i + (two ? 2 : 1) });
      i += two ? 2 : 1;
    } else if ("{}()[],:=?!.".includes(c)) {
      tokens.push({ kind: "punct", text: c, start: i, end: i + 1 });
      i++;
    } else {
      const width = (text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
      tokens.push({ kind: "unknown", text: text.slice(i, i + width), start: i, end: i + width });
      i += width;
    }
  }
  tokens.push({ kind: "eof", text: "", start: text.length, end: text.length });
  return tokens;
}

const BLOCK_KEYWORDS = new Set<string>(["model", "view", "type", "enum", "datasource", "generator"]);

class Parser {
  private pos = 0;
  readonly blocks: Block[] = [];
  readonly errors: InputError[] = [];

  constructor(
    private readonly tokens: Token[],
    private readonly source: SourceText,
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== "eof") this.pos++;
    return token;
  }

  private isPunct(text: string, token = this.peek()): boolean {
    return token.kind === "punct" && token.text === text;
  }

  error(message: string, span: Span): void {
    const range = this.source.range(span.start, Math.max(span.end, span.start + 1));
    this.errors.push({ message: `Prisma schema error: ${message}`, range });
  }

  /** Skips comments and newlines. */
  private skipBlank(): void {
    while (this.peek().kind === "newline" || this.peek().kind === "comment") this.next();
  }

  /** Skips the rest of the line, the newline included. */
  private skipLine(): void {
    while (this.peek().kind !== "newline" && this.peek().kind !== "eof") this.next();
    if (this.peek().kind === "newline") this.next();
  }

  /** Expects the end of a line: a comment, a newline, the end of the file, or a closing brace. */
  private endOfLine(what: string): void {
    if (this.peek().kind === "comment") this.next();
    const token = this.peek();
    if (token.kind === "newline") {
      this.next();
      return;
    }
    if (token.kind === "eof" || this.isPunct("}")) return;
    this.error(`unexpected "${token.text}" after ${what}.`, token);
    this.skipLine();
  }

  parse(): void {
    for (;;) {
      this.skipBlank();
      const token = this.peek();
      if (token.kind === "eof") return;
      if (token.kind === "ident" && BLOCK_KEYWORDS.has(token.text)) {
        // `type Alias = Base @attr` is a type alias (a grammar rule Prisma never shipped); skip it.
        if (token.text === "type" && this.isPunct("=", this.peek(2))) {
          this.skipLine();
          continue;
        }
        this.block();
        continue;
      }
      if (token.kind === "ident" && this.isPunct("{", this.peek(1))) {
        this.error(
          `"${token.text}" is not a Prisma block type (model, enum, view, type, datasource, generator).`,
          token,
        );
        this.skipBlock();
        continue;
      }
      this.error(`unexpected "${token.text}"; expected a model, enum, datasource or generator block.`, token);
      this.skipLine();
    }
  }

  /** Skips an unknown `name { … }` block up to its closing brace. */
  private skipBlock(): void {
    let depth = 0;
    for (;;) {
      const token = this.next();
      if (token.kind === "eof") return;
      if (this.isPunct("{", token)) depth++;
      if (this.isPunct("}", token) && --depth <= 0) return;
    }
  }

  private block(): void {
    const keyword = this.next();
    const kind = keyword.text as BlockKind;
    const nameToken = this.peek();
    if (nameToken.kind !== "ident") {
      this.error(`a ${kind} needs a name.`, nameToken);
      this.skipLine();
      return;
    }
    this.next();
    const open = this.peek();
    if (!this.isPunct("{")) {
      this.error(`expected "{" after ${kind} ${nameToken.text}.`, open);
      this.skipLine();
      return;
    }
    this.next();
    const block: Block = {
      kind,
      name: nameToken.text,
      nameSpan: { start: nameToken.start, end: nameToken.end },
      span: { start: keyword.start, end: open.end },
      headerSpan: { start: keyword.start, end: open.end },
      fields: [],
      attributes: [],
      values: [],
      properties: [],
      closeAt: this.source.text.length,
    };
    // BLOCK_OPEN takes anything up to the newline after "{".
    while (this.peek().kind !== "newline" && this.peek().kind !== "eof" && !this.isPunct("}")) this.next();
    for (;;) {
      this.skipBlank();
      const token = this.peek();
      if (token.kind === "eof") {
        this.error(`${kind} ${block.name} is not closed: "}" is missing.`, block.nameSpan);
        block.span.end = this.source.text.length;
        break;
      }
      if (this.isPunct("}")) {
        this.next();
        block.closeAt = token.start;
        block.span.end = token.end;
        break;
      }
      if (token.kind === "atat") {
        block.attributes.push(this.attribute());
        this.endOfLine("a block attribute");
        continue;
      }
      if (token.kind === "ident" && BLOCK_KEYWORDS.has(token.text) && this.isPunct("{", this.peek(2))) {
        // A new block inside an unclosed one: Prisma reports the missing brace; we recover here.
        this.error(`${kind} ${block.name} is not closed: "}" is missing.`, block.nameSpan);
        block.span.end = token.start;
        block.closeAt = token.start;
        this.blocks.push(block);
        return;
      }
      if (token.kind !== "ident") {
        this.error(`this line is not a valid ${lineKind(kind)}.`, token);
        this.skipLine();
        continue;
      }
      if (kind === "datasource" || kind === "generator") this.property(block);
      else if (kind === "enum") this.enumValue(block);
      else this.field(block);
    }
    this.blocks.push(block);
  }

  private property(block: Block): void {
    const key = this.next();
    if (!this.isPunct("=")) {
      this.error(`expected "=" after ${key.text}.`, this.peek());
      this.skipLine();
      return;
    }
    this.next();
    const value = this.expression();
    block.properties.push({
      key: key.text,
      value,
      span: { start: key.start, end: value?.span.end ?? key.end },
    });
    this.endOfLine("a value");
  }

  private enumValue(block: Block): void {
    const name = this.next();
    const attributes: Attribute[] = [];
    while (this.peek().kind === "at") attributes.push(this.attribute());
    const end = attributes.at(-1)?.span.end ?? name.end;
    block.values.push({ name: name.text, attributes, span: { start: name.start, end } });
    this.endOfLine("an enum value");
  }

  private field(block: Block): void {
    const name = this.next();
    if (this.isPunct(":")) this.next(); // LEGACY_COLON
    let type = "";
    let unsupported: string | null = null;
    let list = false;
    let optional = false;
    let end = name.end;
    const first = this.peek();
    if (this.isPunct("[")) {
      // legacy_list_type: [Type]
      this.next();
      const base = this.path();
      type = base?.value ?? "";
      if (this.isPunct("]")) end = this.next().end;
      list = true;
    } else if (first.kind === "ident") {
      if (first.text === "Unsupported" && this.isPunct("(", this.peek(1))) {
        this.next();
        this.next();
        const literal = this.peek();
        if (literal.kind === "string") {
          unsupported = literal.text;
          this.next();
        } else this.error('Unsupported(…) takes a string, e.g. Unsupported("tsvector").', literal);
        if (this.isPunct(")")) end = this.next().end;
        type = `Unsupported`;
      } else {
        const base = this.path();
        type = base?.value ?? "";
        end = base?.span.end ?? end;
      }
      if (this.isPunct("[") && this.isPunct("]", this.peek(1))) {
        this.next();
        end = this.next().end;
        list = true;
      }
      if (this.isPunct("?")) {
        end = this.next().end;
        optional = true;
      } else if (this.isPunct("!")) end = this.next().end;
    }
    const attributes: Attribute[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === "at") {
        const attribute = this.attribute();
        attributes.push(attribute);
        end = attribute.span.end;
        continue;
      }
      break;
    }
    if (!type && attributes.length === 0) {
      this.error(`field "${name.text}" has no type.`, name);
    }
    block.fields.push({
      name: name.text,
      nameSpan: { start: name.start, end: name.end },
      type,
      unsupported,
      list,
      optional,
      attributes,
      span: { start: name.start, end },
    });
    this.endOfLine(`field ${name.text}`);
  }

  /** `@name(args)` or `@@name(args)`; the current token is the `@` or `@@`. */
  private attribute(): Attribute {
    const at = this.next();
    const path = this.path();
    if (!path) {
      this.error(`"${at.text}" must be followed by an attribute name.`, at);
      return { name: "", args: [], span: { start: at.start, end: at.end } };
    }
    let end = path.span.end;
    let args: Arg[] = [];
    // No space between the name and "(" is the norm, but the grammar allows whitespace there.
    if (this.isPunct("(")) {
      const list = this.argumentList();
      args = list.args;
      end = list.end;
    }
    return { name: path.value, args, span: { start: at.start, end } };
  }

  private path(): { value: string; span: Span } | null {
    const first = this.peek();
    if (first.kind !== "ident") return null;
    this.next();
    let value = first.text;
    let end = first.end;
    while (this.isPunct(".") && this.peek(1).kind === "ident" && this.peek().start === end) {
      this.next();
      const part = this.next();
      value += `.${part.text}`;
      end = part.end;
    }
    return { value, span: { start: first.start, end } };
  }

  /** Inside brackets, newlines and comments are skipped: leniency beyond Prisma's one-line rule. */
  private skipInner(): void {
    while (this.peek().kind === "newline" || this.peek().kind === "comment") this.next();
  }

  private argumentList(): { args: Arg[]; end: number } {
    const open = this.next();
    const args: Arg[] = [];
    for (;;) {
      this.skipInner();
      const token = this.peek();
      if (this.isPunct(")")) {
        this.next();
        return { args, end: token.end };
      }
      if (token.kind === "eof" || this.isPunct("}")) {
        this.error('an argument list is not closed: ")" is missing.', open);
        return { args, end: token.start };
      }
      const arg = this.argument();
      if (!arg) {
        this.error(`unexpected "${token.text}" in an argument list.`, token);
        this.next();
        continue;
      }
      args.push(arg);
      this.skipInner();
      if (this.isPunct(",")) this.next();
      else if (!this.isPunct(")")) {
        const bad = this.peek();
        if (bad.kind === "eof" || this.isPunct("}")) continue;
        this.error(`expected "," or ")" in an argument list, found "${bad.text}".`, bad);
        this.next();
      }
    }
  }

  private argument(): Arg | null {
    const token = this.peek();
    if (token.kind === "ident" && this.isPunct(":", this.peek(1))) {
      this.next();
      this.next();
      this.skipInner();
      if (this.isPunct(",") || this.isPunct(")")) {
        return { name: token.text, value: null, span: { start: token.start, end: token.end + 1 } };
      }
      const value = this.expression();
      return { name: token.text, value, span: { start: token.start, end: value?.span.end ?? token.end } };
    }
    const value = this.expression();
    return value ? { name: null, value, span: value.span } : null;
  }

  private expression(): Expr | null {
    const token = this.peek();
    switch (token.kind) {
      case "string":
        this.next();
        return { kind: "string", value: token.text, span: { start: token.start, end: token.end } };
      case "number":
        this.next();
        return { kind: "number", value: token.text, span: { start: token.start, end: token.end } };
      case "ident": {
        const path = this.path() as { value: string; span: Span };
        if (this.isPunct("(")) {
          const list = this.argumentList();
          return {
            kind: "call",
            name: path.value,
            args: list.args,
            span: { start: path.span.start, end: list.end },
          };
        }
        return { kind: "path", value: path.value, span: path.span };
      }
      case "punct":
        if (token.text === "[") return this.array();
        if (token.text === "{") return this.object();
        return null;
      default:
        return null;
    }
  }

  private array(): Expr {
    const open = this.next();
    const items: Expr[] = [];
    for (;;) {
      this.skipInner();
      const token = this.peek();
      if (this.isPunct("]")) {
        this.next();
        return { kind: "array", items, span: { start: open.start, end: token.end } };
      }
      if (token.kind === "eof" || this.isPunct(")") || this.isPunct("}")) {
        this.error('a list is not closed: "]" is missing.', open);
        return { kind: "array", items, span: { start: open.start, end: token.start } };
      }
      const item = this.expression();
      if (item) items.push(item);
      else {
        this.error(`unexpected "${token.text}" in a list.`, token);
        this.next();
      }
      this.skipInner();
      if (this.isPunct(",")) this.next();
    }
  }

  private object(): Expr {
    const open = this.next();
    const entries: Arg[] = [];
    for (;;) {
      this.skipInner();
      const token = this.peek();
      if (this.isPunct("}")) {
        this.next();
        return { kind: "object", entries, span: { start: open.start, end: token.end } };
      }
      if (token.kind === "eof" || this.isPunct(")")) {
        this.error('an object is not closed: "}" is missing.', open);
        return { kind: "object", entries, span: { start: open.start, end: token.start } };
      }
      const entry = this.argument();
      if (entry) entries.push(entry);
      else {
        this.error(`unexpected "${token.text}" in an object.`, token);
        this.next();
      }
      this.skipInner();
      if (this.isPunct(",")) this.next();
    }
  }
}

function lineKind(kind: BlockKind): string {
  if (kind === "enum") return "enum value or attribute";
  if (kind === "datasource" || kind === "generator") return "key = value line";
  return "field or attribute definition";
}

/** Reads one `.prisma` file. */
export function parsePrismaSyntax(text: string, file: string): PrismaSyntax {
  const source = new SourceText(text, file);
  const comments: Comment[] = [];
  const unclosed: Span[] = [];
  const tokens = tokenize(text, comments, unclosed);
  const parser = new Parser(tokens, source);
  for (const span of unclosed)
    parser.error(
      text.startsWith("/*", span.start)
        ? 'a comment is not closed: "*/" is missing.'
        : "a string is not closed: '\"' is missing.",
      span,
    );
  parser.parse();
  return { file, source, blocks: parser.blocks, comments, errors: parser.errors };
}

/** A named argument, or the positional one at `position` when there is no named one. */
export function argument(args: Arg[], name: string, position?: number): Expr | null {
  const named = args.find((a) => a.name === name);
  if (named) return named.value;
  if (position === undefined) return null;
  return args.filter((a) => a.name === null)[position]?.value ?? null;
}

export function stringOf(expr: Expr | null | undefined): string | null {
  return expr?.kind === "string" ? expr.value : null;
}

export function pathOf(expr: Expr | null | undefined): string | null {
  return expr?.kind === "path" ? expr.value : null;
}
