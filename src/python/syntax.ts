/**
 * Python source → a lezer syntax tree (@lezer/python, pure JS: no Python on the runner image),
 * with located syntax errors and the `# pg-index-lint: ignore[...]` comments. Lezer recovers from
 * errors, so a file with a typo still yields a tree; callers decide whether to trust it.
 */
import type { SyntaxNode, Tree } from "@lezer/common";
import { parser } from "@lezer/python";
import type { InlineIgnore, InputError, SourceRange } from "../model.js";
import { SourceText } from "../parse/source-text.js";

export type { SyntaxNode } from "@lezer/common";

export interface PythonFile {
  file: string;
  text: string;
  tree: Tree;
  source: SourceText;
  /** The first syntax error, if any. */
  errors: InputError[];
}

export function parsePython(text: string, file: string): PythonFile {
  const tree = withBareYields(text);
  const source = new SourceText(text, file);
  const errors: InputError[] = [];
  tree.iterate({
    enter(node) {
      // The first error is the one to fix; lezer's recovery makes later ones echoes of it.
      if (!node.type.isError || errors.length > 0) return;
      const at = Math.min(node.from, text.length);
      const { line, column } = source.position(at);
      const near = text
        .slice(at, at + 20)
        .split("\n")[0]
        ?.trim();
      errors.push({
        message: `Python syntax error${near ? ` near "${near}"` : " at the end of the line"}.`,
        range: { file, line, column, endLine: line, endColumn: column + 1 },
      });
    },
  });
  return { file, text, tree, source, errors };
}

/**
 * The syntax tree of `text`. Python allows `yield` without an operand (`yield`, `x = yield`,
 * `(yield)`), lezer's grammar does not: each such `yield` keyword is read as `(   )`, an empty
 * tuple of the same length, so that every position still points into the file. Nothing pg-index-lint
 * reads depends on what a yield yields.
 */
function withBareYields(text: string): Tree {
  const tree = parser.parse(text);
  let patched = text;
  for (const match of text.matchAll(/\byield\b(?=[ \t]*(?:[\r\n)\]};,#]|$))/g)) {
    if (tree.resolveInner(match.index, 1).name !== "yield") continue; // in a string or a comment
    patched = `${patched.slice(0, match.index)}(   )${patched.slice(match.index + 5)}`;
  }
  return patched === text ? tree : parser.parse(patched);
}

export function textOf(py: PythonFile, node: SyntaxNode): string {
  return py.text.slice(node.from, node.to);
}

export function rangeOf(py: PythonFile, node: { from: number; to: number }): SourceRange {
  return py.source.range(node.from, node.to);
}

/** The node's children, without punctuation tokens (`(`, `,`, `:` …). */
export function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

const PUNCTUATION = new Set(["(", ")", "[", "]", "{", "}", ",", ":", ".", ";"]);

export function meaningfulChildren(node: SyntaxNode): SyntaxNode[] {
  return children(node).filter((c) => !PUNCTUATION.has(c.name) && c.name !== "Comment");
}

/** A dotted name such as `sa.schema.Index` for a VariableName/MemberExpression chain, else null. */
export function dottedName(py: PythonFile, node: SyntaxNode | null): string | null {
  if (!node) return null;
  if (node.name === "VariableName") return textOf(py, node);
  if (node.name === "MemberExpression") {
    const parts = meaningfulChildren(node);
    const object = parts[0];
    const property = parts[1];
    if (parts.length !== 2 || !object || property?.name !== "PropertyName") return null;
    const base = dottedName(py, object);
    return base === null ? null : `${base}.${textOf(py, property)}`;
  }
  return null;
}

/** The last part of a dotted name: `sa.Column` → `Column`. */
export function lastPart(name: string | null): string | null {
  return name === null ? null : (name.split(".").at(-1) ?? null);
}

/** The statements of a Body (or the Script), unwrapping nothing. */
export function statementsOf(body: SyntaxNode): SyntaxNode[] {
  return meaningfulChildren(body).filter((c) => c.name !== "Comment");
}

/** A module-level or class-level `def name(...)`. */
export function findFunction(py: PythonFile, scope: SyntaxNode, name: string): SyntaxNode | null {
  for (const statement of statementsOf(scope)) {
    const def = unwrapDecorated(statement);
    if (def?.name !== "FunctionDefinition") continue;
    const id = def.getChild("VariableName");
    if (id && textOf(py, id) === name) return def;
  }
  return null;
}

/** `@decorator def f` is a DecoratedStatement in lezer-python. */
export function unwrapDecorated(node: SyntaxNode): SyntaxNode | null {
  if (node.name === "DecoratedStatement") {
    return node.getChild("FunctionDefinition") ?? node.getChild("ClassDefinition");
  }
  return node;
}

export interface PythonIgnore {
  rules: string[];
  reason: string;
  /** Where the comment is. */
  range: SourceRange;
  /** Line of the code the comment applies to: its own line when it trails code, else the next code line. */
  targetLine: number;
}

const IGNORE_RE =
  /^#\s*pg-index-lint:\s*ignore\[([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\]\s*(?:[:\-–—]+\s*)?(.*)$/;

/** `# pg-index-lint: ignore[rule-a, rule-b] reason`, on the code's line or the line before it. */
export function pythonIgnores(py: PythonFile): PythonIgnore[] {
  const out: PythonIgnore[] = [];
  py.tree.iterate({
    enter(node) {
      if (node.name !== "Comment") return;
      const match = IGNORE_RE.exec(py.text.slice(node.from, node.to).trim());
      if (!match) return;
      const range = py.source.range(node.from, node.to);
      const lineStart = node.from - (range.column - 1);
      const trailing = py.text.slice(lineStart, node.from).trim() !== "";
      out.push({
        rules: (match[1] ?? "").split(",").map((r) => r.trim()),
        reason: (match[2] ?? "").trim(),
        range,
        targetLine: trailing ? range.line : nextCodeLine(py, range.line),
      });
    },
  });
  return out;
}

function nextCodeLine(py: PythonFile, line: number): number {
  for (let l = line + 1; l <= py.source.lineCount; l++) {
    const text = py.source.lineText(l).trim();
    if (text !== "" && !text.startsWith("#")) return l;
  }
  return line + 1;
}

/**
 * The inline ignores of a Python file, each bound to the code it applies to: the largest construct
 * that starts at the first token of its target line (an `op.create_index(...)` statement, a
 * `key_hash = Column(...)` assignment, an `Index(...)` inside `__table_args__`). A finding
 * anywhere in that construct is covered.
 */
export function inlineIgnores(py: PythonFile): InlineIgnore[] {
  return pythonIgnores(py).map((ignore) => {
    const lineText = py.source.lineText(ignore.targetLine);
    const indent = lineText.length - lineText.trimStart().length;
    const lineStart = lineStartOffset(py, ignore.targetLine);
    const at = lineStart + indent;
    let node: SyntaxNode | null = py.tree.resolveInner(at, 1);
    while (
      node?.parent &&
      node.parent.from === node.from &&
      node.parent.name !== "Script" &&
      node.parent.name !== "Body"
    )
      node = node.parent;
    const found = node && node.from === at && node.name !== "Comment" ? node : null;
    return {
      rules: ignore.rules,
      reason: ignore.reason,
      range: ignore.range,
      statement: found ? rangeOf(py, found) : ignore.range,
    };
  });
}

function lineStartOffset(py: PythonFile, line: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = py.text.indexOf("\n", offset);
    if (next === -1) return py.text.length;
    offset = next + 1;
  }
  return offset;
}
