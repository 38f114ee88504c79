/**
 * Reads the text of `.pg-index-lint.yml` (./load.ts finds it) into a `LoadedConfig`: YAML with
 * lines kept, validated by the zod schema of ./schema.ts. Every mistake is a `UserError` that
 * names the file and line. The CLI's bundle loads this module, and so yaml and zod, only when a
 * run has a config file (scripts/bundle-cli.mjs).
 */
import { dirname, resolve } from "node:path";
import { isMap, isNode, isSeq, LineCounter, parseDocument, visit } from "yaml";
import type { z } from "zod";
import { closest } from "../did-you-mean.js";
import { UserError } from "../errors.js";
import { displayPath } from "../paths.js";
import type { LoadedConfig, RequiredIndexEntry } from "./load.js";
import { Config } from "./schema.js";

export function parseConfig(text: string, path: string): LoadedConfig {
  const shown = displayPath(path);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? 1 : lineCounter.linePos(offset).line;
  const yamlError = doc.errors[0];
  if (yamlError) {
    const message = yamlError.message.split("\n")[0] ?? "invalid YAML";
    throw new UserError(`invalid YAML: ${message}`, `${shown}:${lineOf(yamlError.pos[0])}`);
  }
  let raw: unknown;
  try {
    // yaml stops a document whose aliases expand too far ("billion laughs") with a plain Error.
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    let alias: number | undefined;
    visit(doc, {
      Alias(_key, node) {
        alias = node.range?.[0];
        return visit.BREAK;
      },
    });
    throw new UserError(
      `invalid YAML: ${(error as Error).message.split("\n")[0]}; write the settings out instead of repeating them through aliases`,
      `${shown}:${lineOf(alias)}`,
    );
  }
  const parsed = Config.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    const path = issue.path as (string | number)[];
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
    // Point at the offending key when there is one, else at the value.
    const target = keys.length > 0 ? [...path, keys[0] as string] : path;
    const node = findNode(doc.contents, target);
    const where = `${shown}:${lineOf(node?.range?.[0])}`;
    throw new UserError(describeIssue(issue, path, keys, knownKeys(path)), where);
  }
  const requiredIndexes: RequiredIndexEntry[] = (parsed.data["required-indexes"] ?? []).map((entry, i) => ({
    ...entry,
    line: lineOf(findNode(doc.contents, ["required-indexes", i])?.range?.[0]),
  }));
  return {
    file: shown,
    dir: dirname(resolve(path)),
    data: parsed.data,
    requiredIndexes,
    where: (keyPath) => `${shown}:${lineOf(findNode(doc.contents, keyPath)?.range?.[0])}`,
  };
}

function describeIssue(
  issue: z.core.$ZodIssue,
  path: (string | number)[],
  keys: string[],
  known: readonly string[],
): string {
  const at = path.length ? `${formatPath(path)}: ` : "";
  if (keys.length > 0) {
    const near = keys.length === 1 ? closest(keys[0] ?? "", known) : undefined;
    return `${at}unknown key "${keys.join('", "')}"${near ? ` (did you mean "${near}"?)` : ""}`;
  }
  if (issue.code === "invalid_type") {
    // zod 4 says "Invalid input: expected array, received string".
    if (/received undefined/.test(issue.message)) return `${at}is required`;
    return `${at}${issue.message.replace(/^Invalid input: /, "").replace("received", "got")}`;
  }
  if (issue.code === "invalid_value" && "values" in issue) {
    const values = (issue.values as unknown[]).map(String);
    const got = "input" in issue ? String(issue.input) : "";
    const near = got ? closest(got, values) : undefined;
    return `${at}must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}${near ? ` (did you mean "${near}"?)` : ""}`;
  }
  return `${at}${issue.message}`;
}

/** The keys the schema allows in the object at `path`, for "did you mean". */
function knownKeys(path: (string | number)[]): string[] {
  let schema: unknown = Config;
  for (const key of path) {
    schema = unwrap(schema);
    const s = schema as { shape?: Record<string, unknown>; element?: unknown };
    if (typeof key === "number") schema = s.element;
    else schema = s.shape?.[key];
  }
  const shape = (unwrap(schema) as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

function unwrap(schema: unknown): unknown {
  let s = schema as { unwrap?: () => unknown; def?: { type?: string } } | undefined;
  while (s && typeof s.unwrap === "function" && (s.def?.type === "optional" || s.def?.type === "nullable"))
    s = s.unwrap() as typeof s;
  return s;
}

function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

interface YamlNodeLike {
  range?: [number, number, number] | null;
}

/** The YAML node at a key path; for a missing key, its closest existing parent. */
function findNode(root: unknown, path: (string | number)[]): YamlNodeLike | undefined {
  let node: unknown = root;
  let found: YamlNodeLike | undefined = isNode(root) ? (root as YamlNodeLike) : undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => (isNode(p.key) ? (p.key as { value?: unknown }).value : p.key) === key,
      );
      if (!pair) break;
      // The key's own position reads best for an unknown or mistyped key.
      if (isNode(pair.key)) found = pair.key as YamlNodeLike;
      node = pair.value;
      if (isNode(node) && (isMap(node) || isSeq(node))) found = node as YamlNodeLike;
    } else if (isSeq(node) && typeof key === "number") {
      node = node.items[key];
      if (isNode(node)) found = node as YamlNodeLike;
      else break;
    } else break;
  }
  return found;
}
