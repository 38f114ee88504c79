/**
 * TypeScript source for the Drizzle reader: parsed with @babel/parser (pure JS, no type checker,
 * nothing executed), with the small set of expression helpers the reader needs to follow builder
 * chains such as `integer("a").notNull().references(() => users.id)`.
 */
import { parse } from "@babel/parser";
import type {
  CallExpression,
  Comment,
  Expression,
  File,
  Node,
  ObjectProperty,
  TemplateLiteral,
} from "@babel/types";
import type { InputError, SourceRange } from "../../model.js";
import { SourceText } from "../../parse/source-text.js";

export interface TsFile {
  /** Display path. */
  file: string;
  text: string;
  source: SourceText;
  /** Null when the file does not parse; `errors` says where. */
  ast: File | null;
  errors: InputError[];
}

export function parseTs(file: string, text: string): TsFile {
  const source = new SourceText(text, file);
  const jsx = /\.[jt]sx$/.test(file);
  try {
    const ast = parse(text, {
      sourceType: "module",
      // `decorators-legacy` costs nothing and keeps a schema folder that also holds decorated
      // classes parseable; `jsx` only for .tsx/.jsx, where `<T>x` casts are not allowed anyway.
      plugins: jsx ? ["typescript", "decorators-legacy", "jsx"] : ["typescript", "decorators-legacy"],
      errorRecovery: false,
    });
    return { file, text, source, ast, errors: [] };
  } catch (error) {
    const e = error as { message?: string; pos?: number };
    const at = typeof e.pos === "number" ? Math.min(e.pos, text.length) : 0;
    const range = source.range(at, at);
    range.endColumn = range.column + 1;
    // Babel appends "(line:column)" to its message; the range already says where.
    const message = String(e.message ?? error).replace(/\s*\(\d+:\d+\)$/, "");
    return {
      file,
      text,
      source,
      ast: null,
      errors: [{ message: `TypeScript syntax error: ${message}`, range }],
    };
  }
}

export function rangeOf(
  ts: TsFile,
  node: Node | { start?: number | null; end?: number | null },
): SourceRange {
  return ts.source.range(node.start ?? 0, node.end ?? node.start ?? 0);
}

/** Strips what only the type checker reads: `x as T`, `x satisfies T`, `x!`, `<T>x`, parentheses. */
export function unwrap(node: Node | null | undefined): Node | null {
  let n = node ?? null;
  while (n) {
    if (
      n.type === "TSAsExpression" ||
      n.type === "TSSatisfiesExpression" ||
      n.type === "TSNonNullExpression" ||
      n.type === "TSTypeAssertion" ||
      n.type === "ParenthesizedExpression"
    )
      n = n.expression;
    else return n;
  }
  return null;
}

/** A string that is written out in the code: `"x"`, `'x'` or a template without substitutions. */
export function literalString(node: Node | null | undefined): string | null {
  const n = unwrap(node);
  if (n?.type === "StringLiteral") return n.value;
  if (n?.type === "TemplateLiteral" && n.expressions.length === 0) return n.quasis[0]?.value.cooked ?? null;
  return null;
}

export type Literal = string | number | boolean | null;

/** A literal value, or undefined when the expression is anything else. */
export function literalValue(node: Node | null | undefined): Literal | undefined {
  const n = unwrap(node);
  if (!n) return undefined;
  const s = literalString(n);
  if (s !== null) return s;
  if (n.type === "NumericLiteral") return n.value;
  if (n.type === "BooleanLiteral") return n.value;
  if (n.type === "NullLiteral") return null;
  if (n.type === "UnaryExpression" && n.operator === "-" && unwrap(n.argument)?.type === "NumericLiteral") {
    return -(unwrap(n.argument) as { value: number }).value;
  }
  return undefined;
}

/** `a.b.c` as ["a", "b", "c"]; null for anything else (computed members, calls…). */
export function memberPath(node: Node | null | undefined): string[] | null {
  const n = unwrap(node);
  if (n?.type === "Identifier") return [n.name];
  if (n?.type === "MemberExpression" && !n.computed && n.property.type === "Identifier") {
    const head = memberPath(n.object);
    return head ? [...head, n.property.name] : null;
  }
  return null;
}

export interface ChainCall {
  /** The method or function name. */
  name: string;
  args: CallExpression["arguments"];
  call: CallExpression;
  /** From the start of the method name (or the callee) to the end of the call. */
  start: number;
  end: number;
}

/**
 * A builder chain `root(...).m1(...).m2(...)`: `rootPath` names the root callee (`["pgTable"]`,
 * `["t", "integer"]`, `["auth", "table"]`), `root` is its call and `methods` the calls after it
 * in source order. Null when the expression is not such a chain.
 */
export interface Chain {
  rootPath: string[];
  root: ChainCall;
  methods: ChainCall[];
  node: Node;
}

export function chainOf(node: Node | null | undefined): Chain | null {
  const top = unwrap(node);
  let n = top;
  const methods: ChainCall[] = [];
  while (n?.type === "CallExpression") {
    const callee = unwrap(n.callee);
    if (callee?.type === "MemberExpression" && !callee.computed && callee.property.type === "Identifier") {
      const objectPath = memberPath(callee.object);
      const inner = unwrap(callee.object);
      // `t.integer()` or `auth.table()`: the whole member path is the root's name.
      if (objectPath && inner?.type !== "CallExpression") {
        return {
          rootPath: [...objectPath, callee.property.name],
          root: call(callee.property.name, n, callee.start ?? 0),
          methods: methods.reverse(),
          node: top as Node,
        };
      }
      methods.push(call(callee.property.name, n, callee.property.start ?? 0));
      n = inner;
      continue;
    }
    if (callee?.type === "Identifier") {
      return {
        rootPath: [callee.name],
        root: call(callee.name, n, callee.start ?? 0),
        methods: methods.reverse(),
        node: top as Node,
      };
    }
    return null;
  }
  // A bare column reference with methods (`t.a.desc()`) is a chain whose root is no call.
  return null;
}

function call(name: string, node: CallExpression, start: number): ChainCall {
  return { name, args: node.arguments, call: node, start, end: node.end ?? start };
}

/** The expression a `() => x` or `function () { return x }` returns, or null. */
export function returnedExpression(node: Node | null | undefined): Node | null {
  const n = unwrap(node);
  if (n?.type !== "ArrowFunctionExpression" && n?.type !== "FunctionExpression") return null;
  if (n.body.type !== "BlockStatement") return unwrap(n.body);
  const statements = n.body.body;
  const last = statements.at(-1);
  if (statements.length === 1 && last?.type === "ReturnStatement") return unwrap(last.argument);
  return null;
}

/** The first parameter's name of a function expression, or null. */
export function firstParamName(node: Node | null | undefined): string | null {
  const n = unwrap(node);
  if (n?.type !== "ArrowFunctionExpression" && n?.type !== "FunctionExpression") return null;
  const p = n.params[0];
  return p?.type === "Identifier" ? p.name : null;
}

/** The properties of an object literal by key, for options objects such as `{ length: 255 }`. */
export function objectProperties(node: Node | null | undefined): Map<string, ObjectProperty> | null {
  const n = unwrap(node);
  if (n?.type !== "ObjectExpression") return null;
  const out = new Map<string, ObjectProperty>();
  for (const p of n.properties) {
    if (p.type !== "ObjectProperty" || p.computed) continue;
    const key = propertyKey(p);
    if (key !== null) out.set(key, p);
  }
  return out;
}

export function propertyKey(p: ObjectProperty): string | null {
  if (p.computed) return null;
  if (p.key.type === "Identifier") return p.key.name;
  if (p.key.type === "StringLiteral") return p.key.value;
  if (p.key.type === "NumericLiteral") return String(p.key.value);
  return null;
}

export function isTemplate(node: Node | null | undefined): node is TemplateLiteral {
  return unwrap(node)?.type === "TemplateLiteral";
}

export type { CallExpression, Comment, Expression, Node, ObjectProperty, TemplateLiteral };

/** Visits every node below `node` (depth first, source order). */
export function walk(
  node: Node,
  visit: (n: Node, parent: Node | null) => void,
  parent: Node | null = null,
): void {
  visit(node, parent);
  for (const key of Object.keys(node) as (keyof Node)[]) {
    if (key === "loc" || key === "leadingComments" || key === "trailingComments" || key === "innerComments")
      continue;
    const value = node[key] as unknown;
    if (Array.isArray(value)) {
      for (const child of value) if (isNode(child)) walk(child, visit, node);
    } else if (isNode(value)) walk(value, visit, node);
  }
}

function isNode(value: unknown): value is Node {
  return (
    typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string"
  );
}
