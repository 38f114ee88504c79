/**
 * Python string literals → their value, with a map from each character of the value back to its
 * offset in the source file, so that SQL found inside `op.execute("…")` can be located exactly.
 * Escapes make the two differ (`\n` is two source characters for one value character), and
 * implicit concatenation (`"a" "b"`) or `+` joins several literals into one value.
 */
import type { PythonFile, SyntaxNode } from "./syntax.js";
import { meaningfulChildren } from "./syntax.js";

export interface StringValue {
  value: string;
  /** `offsets[i]` is the source offset of `value[i]`; `offsets[value.length]` is just past the last. */
  offsets: number[];
}

export type StringResult = { ok: true; string: StringValue } | { ok: false; why: string };

/** Reads a literal string node (String, FormatString, ContinuedString, `+` of literals). */
export function readString(py: PythonFile, node: SyntaxNode): StringResult {
  switch (node.name) {
    case "String":
      return readPiece(py, node.from, node.to);
    case "FormatString": {
      // An f-string without replacement fields is a plain string; with them it is computed.
      if (node.getChild("FormatReplacement")) return { ok: false, why: "an f-string with {…} fields" };
      return readPiece(py, node.from, node.to);
    }
    case "ContinuedString":
      return join(meaningfulChildren(node).map((c) => readString(py, c)));
    case "ParenthesizedExpression": {
      const inner = meaningfulChildren(node);
      return inner.length === 1 && inner[0] ? readString(py, inner[0]) : { ok: false, why: "not a string" };
    }
    case "BinaryExpression": {
      const parts = meaningfulChildren(node);
      if (
        parts.length === 3 &&
        parts[1]?.name === "ArithOp" &&
        py.text.slice(parts[1].from, parts[1].to) === "+"
      )
        return join([readString(py, parts[0] as SyntaxNode), readString(py, parts[2] as SyntaxNode)]);
      return { ok: false, why: "an expression, not a string literal" };
    }
    default:
      return { ok: false, why: "not a string literal" };
  }
}

function join(parts: StringResult[]): StringResult {
  let value = "";
  const offsets: number[] = [];
  for (const part of parts) {
    if (!part.ok) return part;
    value += part.string.value;
    offsets.push(...part.string.offsets.slice(0, -1));
  }
  const last = parts.at(-1);
  offsets.push(last?.ok ? (last.string.offsets.at(-1) ?? 0) : 0);
  return { ok: true, string: { value, offsets } };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "0": "\0",
};

function readPiece(py: PythonFile, from: number, to: number): StringResult {
  const text = py.text;
  let i = from;
  let prefix = "";
  while (i < to && /[a-zA-Z]/.test(text[i] ?? "")) prefix += (text[i++] ?? "").toLowerCase();
  if (prefix.includes("b")) return { ok: false, why: "a bytes literal" };
  const raw = prefix.includes("r");
  const quote = text[i] ?? '"';
  const triple = text.slice(i, i + 3) === quote.repeat(3);
  const open = triple ? 3 : 1;
  const start = i + open;
  const end = to - open;
  if (end < start) return { ok: false, why: "an unterminated string" };
  let value = "";
  const offsets: number[] = [];
  for (let j = start; j < end; ) {
    const c = text[j] ?? "";
    if (c !== "\\" || raw) {
      if (c === "\r" && text[j + 1] === "\n") {
        // Python reads CRLF inside a triple-quoted string as one newline.
        value += "\n";
        offsets.push(j);
        j += 2;
        continue;
      }
      value += c;
      offsets.push(j);
      j++;
      continue;
    }
    const next = text[j + 1] ?? "";
    if (next === "\n") {
      j += 2; // line continuation: nothing in the value
      continue;
    }
    if (next === "\r" && text[j + 2] === "\n") {
      j += 3;
      continue;
    }
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined && !(next === "0" && /[0-7]/.test(text[j + 2] ?? ""))) {
      value += simple;
      offsets.push(j);
      j += 2;
      continue;
    }
    const hex = next === "x" ? 2 : next === "u" ? 4 : next === "U" ? 8 : 0;
    if (hex) {
      const digits = text.slice(j + 2, j + 2 + hex);
      if (/^[0-9a-fA-F]+$/.test(digits) && digits.length === hex) {
        const ch = String.fromCodePoint(Number.parseInt(digits, 16));
        for (const unit of ch) {
          value += unit;
          offsets.push(j);
        }
        j += 2 + hex;
        continue;
      }
    }
    const octal = /^[0-7]{1,3}/.exec(text.slice(j + 1, j + 4));
    if (octal) {
      value += String.fromCharCode(Number.parseInt(octal[0], 8));
      offsets.push(j);
      j += 1 + octal[0].length;
      continue;
    }
    if (next === "N") {
      const close = text.indexOf("}", j);
      if (close !== -1 && close < end) return { ok: false, why: "a \\N{…} escape" };
    }
    // An unknown escape keeps its backslash, as Python does.
    value += "\\";
    offsets.push(j);
    j++;
  }
  offsets.push(end);
  return { ok: true, string: { value, offsets } };
}
