/**
 * A small static evaluator for the Python that migrations and models are written in: literals,
 * lists, tuples, dicts, calls (by dotted name), attribute references and comparisons. Names
 * resolve through simple assignments in scope (`table = "api_keys"`). Anything else is
 * `unknown` with a reason, so that callers can say what they skipped and why.
 */
import { readString, type StringValue } from "./strings.js";
import { dottedName, meaningfulChildren, type PythonFile, type SyntaxNode, textOf } from "./syntax.js";

export type PyValue =
  | { kind: "str"; value: string; string: StringValue; node: SyntaxNode }
  | { kind: "num"; value: number; node: SyntaxNode }
  | { kind: "bool"; value: boolean; node: SyntaxNode }
  | { kind: "none"; node: SyntaxNode }
  | { kind: "seq"; items: PyValue[]; node: SyntaxNode }
  | { kind: "dict"; entries: [PyValue, PyValue][]; node: SyntaxNode }
  | {
      kind: "call";
      /** Dotted name of the callee, e.g. `sa.Column`; null when it is not a plain name. */
      callee: string | null;
      /** The object a method is called on (`x.is_(None)` → x), when the callee is not a plain name. */
      target: PyValue | null;
      method: string | null;
      args: PyValue[];
      kwargs: Map<string, PyValue>;
      /** `*args` or `**kwargs` were passed: the call's full arguments are unknown. */
      spread: boolean;
      node: SyntaxNode;
    }
  /** A name or attribute path that did not resolve to a value: `Integer`, `ApiKey.id`, `sa.func.now`. */
  | { kind: "ref"; path: string; node: SyntaxNode }
  | { kind: "compare"; op: string; left: PyValue; right: PyValue; node: SyntaxNode }
  | { kind: "unary"; op: string; operand: PyValue; node: SyntaxNode }
  | { kind: "logic"; op: "and" | "or"; left: PyValue; right: PyValue; node: SyntaxNode }
  | { kind: "unknown"; why: string; node: SyntaxNode };

/** Simple assignments visible at a point, innermost scope first. */
export class Scope {
  private readonly names = new Map<string, SyntaxNode[]>();
  constructor(
    readonly py: PythonFile,
    readonly parent: Scope | null = null,
  ) {}

  /** Records `NAME = expr` and `NAME: T = expr` statements of a body (not nested ones). */
  collect(statements: SyntaxNode[]): this {
    for (const statement of statements) {
      if (statement.name !== "AssignStatement") continue;
      const parts = meaningfulChildren(statement).filter((c) => c.name !== "TypeDef");
      // a = b = value, or a = value; tuple targets are not followed.
      const value = parts.at(-1);
      if (!value) continue;
      for (let i = 0; i < parts.length - 1; i++) {
        const target = parts[i];
        if (target?.name !== "VariableName") continue;
        const name = textOf(this.py, target);
        const list = this.names.get(name) ?? [];
        list.push(value);
        this.names.set(name, list);
      }
    }
    return this;
  }

  /** The value expression of the last assignment to `name` before `before`, in this or an outer scope. */
  lookup(name: string, before: number): SyntaxNode | null {
    const list = this.names.get(name);
    if (list) {
      const earlier = list.filter((n) => n.from < before);
      const found = earlier.at(-1) ?? list.at(-1);
      if (found) return found;
    }
    return this.parent ? this.parent.lookup(name, Number.POSITIVE_INFINITY) : null;
  }
}

export function evaluate(scope: Scope, node: SyntaxNode, depth = 0): PyValue {
  const py = scope.py;
  if (depth > 20) return { kind: "unknown", why: "too deeply nested", node };
  switch (node.name) {
    case "String":
    case "FormatString":
    case "ContinuedString": {
      const read = readString(py, node);
      return read.ok
        ? { kind: "str", value: read.string.value, string: read.string, node }
        : { kind: "unknown", why: read.why, node };
    }
    case "Number": {
      const value = Number(textOf(py, node).replace(/_/g, ""));
      return Number.isNaN(value) ? { kind: "unknown", why: "a number", node } : { kind: "num", value, node };
    }
    case "Boolean":
      return { kind: "bool", value: textOf(py, node) === "True", node };
    case "None":
      return { kind: "none", node };
    case "ParenthesizedExpression": {
      const inner = meaningfulChildren(node);
      return inner.length === 1 && inner[0]
        ? evaluate(scope, inner[0], depth + 1)
        : { kind: "unknown", why: "an expression", node };
    }
    case "ArrayExpression":
    case "TupleExpression": {
      const items: PyValue[] = [];
      for (const child of meaningfulChildren(node)) {
        if (child.name === "*") return { kind: "unknown", why: "a sequence built with *", node };
        items.push(evaluate(scope, child, depth + 1));
      }
      return { kind: "seq", items, node };
    }
    case "DictionaryExpression": {
      const parts = meaningfulChildren(node);
      const entries: [PyValue, PyValue][] = [];
      for (let i = 0; i < parts.length; i += 2) {
        const key = parts[i];
        const value = parts[i + 1];
        if (!key || !value || key.name === "**")
          return { kind: "unknown", why: "a dict built with **", node };
        entries.push([evaluate(scope, key, depth + 1), evaluate(scope, value, depth + 1)]);
      }
      return { kind: "dict", entries, node };
    }
    case "VariableName": {
      const name = textOf(py, node);
      const bound = scope.lookup(name, node.from);
      if (bound && bound !== node) {
        const value = evaluate(scope, bound, depth + 1);
        // Keep the use site as the node, so that locations point where the value is used.
        if (value.kind !== "unknown") return { ...value, node } as PyValue;
        return value;
      }
      return { kind: "ref", path: name, node };
    }
    case "MemberExpression": {
      const name = dottedName(py, node);
      if (name !== null) {
        // A name bound to a value, e.g. `t = sa.table(...)`; `t.c.x` stays a ref with the path.
        return { kind: "ref", path: name, node };
      }
      return { kind: "unknown", why: "a subscript or computed attribute", node };
    }
    case "CallExpression":
      return evaluateCall(scope, node, depth);
    case "BinaryExpression":
      return evaluateBinary(scope, node, depth);
    case "UnaryExpression": {
      const parts = meaningfulChildren(node);
      const op = parts[0] ? textOf(py, parts[0]) : "";
      const operand = parts[1];
      if (!operand) return { kind: "unknown", why: "an expression", node };
      const value = evaluate(scope, operand, depth + 1);
      if (op === "-" && value.kind === "num") return { kind: "num", value: -value.value, node };
      return { kind: "unary", op, operand: value, node };
    }
    default:
      return { kind: "unknown", why: describeNode(node), node };
  }
}

function evaluateCall(scope: Scope, node: SyntaxNode, depth: number): PyValue {
  const py = scope.py;
  const calleeNode = node.firstChild;
  const argList = node.getChild("ArgList");
  const callee = dottedName(py, calleeNode);
  let target: PyValue | null = null;
  let method: string | null = null;
  if (calleeNode?.name === "MemberExpression") {
    const parts = meaningfulChildren(calleeNode);
    const object = parts[0];
    const property = parts[1];
    if (object && property?.name === "PropertyName") {
      method = textOf(py, property);
      target = evaluate(scope, object, depth + 1);
    }
  }
  const args: PyValue[] = [];
  const kwargs = new Map<string, PyValue>();
  let spread = false;
  const parts = argList ? meaningfulChildren(argList) : [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as SyntaxNode;
    if (part.name === "*" || part.name === "**") {
      spread = true;
      i++;
      continue;
    }
    const next = parts[i + 1];
    if (part.name === "VariableName" && next?.name === "AssignOp") {
      const value = parts[i + 2];
      if (value) kwargs.set(textOf(py, part), evaluate(scope, value, depth + 1));
      i += 2;
      continue;
    }
    args.push(evaluate(scope, part, depth + 1));
  }
  return { kind: "call", callee, target, method, args, kwargs, spread, node };
}

function evaluateBinary(scope: Scope, node: SyntaxNode, depth: number): PyValue {
  const py = scope.py;
  const parts = meaningfulChildren(node);
  const left = parts[0];
  const right = parts.at(-1);
  if (!left || !right || parts.length < 3) return { kind: "unknown", why: "an expression", node };
  const ops = parts
    .slice(1, -1)
    .map((p) => textOf(py, p))
    .join(" ");
  if (ops === "and" || ops === "or") {
    return {
      kind: "logic",
      op: ops,
      left: evaluate(scope, left, depth + 1),
      right: evaluate(scope, right, depth + 1),
      node,
    };
  }
  if (["==", "!=", "is", "is not", "<", ">", "<=", ">=", "in", "not in"].includes(ops)) {
    return {
      kind: "compare",
      op: ops,
      left: evaluate(scope, left, depth + 1),
      right: evaluate(scope, right, depth + 1),
      node,
    };
  }
  if (ops === "+" || ops === "&" || ops === "|") {
    const a = evaluate(scope, left, depth + 1);
    const b = evaluate(scope, right, depth + 1);
    if (ops === "+" && a.kind === "str" && b.kind === "str") {
      const offsets = [...a.string.offsets.slice(0, -1), ...b.string.offsets];
      return { kind: "str", value: a.value + b.value, string: { value: a.value + b.value, offsets }, node };
    }
    // SQLAlchemy overloads & and | as and_() / or_().
    if (ops === "&") return { kind: "logic", op: "and", left: a, right: b, node };
    if (ops === "|") return { kind: "logic", op: "or", left: a, right: b, node };
    return { kind: "unknown", why: "a computed value (+)", node };
  }
  return { kind: "unknown", why: `a computed value (${ops})`, node };
}

function describeNode(node: SyntaxNode): string {
  switch (node.name) {
    case "ArrayComprehensionExpression":
    case "DictionaryComprehensionExpression":
    case "SetComprehensionExpression":
    case "ComprehensionExpression":
      return "a comprehension";
    case "LambdaExpression":
      return "a lambda";
    case "ConditionalExpression":
      return "a conditional expression";
    default:
      return "a computed value";
  }
}

/** The value as a plain string, or null. */
export function str(value: PyValue | undefined): string | null {
  return value?.kind === "str" ? value.value : null;
}

export function bool(value: PyValue | undefined): boolean | null {
  return value?.kind === "bool" ? value.value : null;
}

/** `op.f("name")` and `conv("name")` mark a final name; they are still the string. */
export function nameValue(value: PyValue | undefined): string | null {
  if (!value) return null;
  if (value.kind === "str") return value.value;
  if (
    value.kind === "call" &&
    (value.callee?.endsWith(".f") ||
      value.callee === "f" ||
      value.callee?.endsWith("conv") ||
      value.callee === "quoted_name")
  )
    return str(value.args[0]);
  return null;
}

export function items(value: PyValue | undefined): PyValue[] | null {
  if (!value) return null;
  if (value.kind === "seq") return value.items;
  return null;
}

/** The last part of a call's callee: `sa.Column` → `Column`. */
export function calleeName(value: PyValue | undefined): string | null {
  if (value?.kind !== "call") return null;
  if (value.callee) return value.callee.split(".").at(-1) ?? null;
  return value.method;
}
