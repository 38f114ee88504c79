/**
 * Drizzle's `casing` option: with `casing: "snake_case"`, a column declared without a name
 * (`createdAt: timestamp()`) is `created_at` in the database. drizzle-kit reads it from
 * `drizzle.config.*` (`defineConfig({ casing })`), and the app passes the same option to
 * `drizzle({ casing })` for its queries.
 */
import type { SourceRange } from "../../model.js";
import { literalString, parseTs, propertyKey, rangeOf, unwrap, walk } from "./syntax.js";

export type Casing = "snake_case" | "camelCase";

/**
 * drizzle-orm src/casing.ts toSnakeCase(): split into words (runs of lower-case letters and
 * digits, upper-case runs not followed by a lower-case letter, or a capital followed by lower
 * case), drop apostrophes, join lower-cased with "_".
 */
export function toSnakeCase(input: string): string {
  return words(input)
    .map((w) => w.toLowerCase())
    .join("_");
}

/** drizzle-orm src/casing.ts toCamelCase(): the same words, the first lower-cased, the rest capitalised. */
export function toCamelCase(input: string): string {
  return words(input).reduce((out, w, i) => {
    const word = i === 0 ? w.toLowerCase() : `${w[0]?.toUpperCase() ?? ""}${w.slice(1)}`;
    return out + word;
  }, "");
}

function words(input: string): string[] {
  return input.replace(/['\u2019]/g, "").match(/[\da-z]+|[A-Z]+(?![a-z])|[A-Z][\da-z]+/g) ?? [];
}

/**
 * The database name of a column declared under a property key: drizzle-kit's getColumnCasing()
 * converts only a name taken from the key (`keyAsName`); an explicit name is kept as written.
 */
export function columnName(key: string, explicit: string | null, casing: Casing | undefined): string {
  if (explicit !== null && explicit !== "") return explicit;
  if (!casing) return key;
  return casing === "snake_case" ? toSnakeCase(key) : toCamelCase(key);
}

export interface CasingSetting {
  casing: Casing;
  /** Where it is set. */
  range: SourceRange;
}

/**
 * Finds the `casing` setting in a project's files: `casing: "…"` in the config object of a
 * `drizzle.config.*` file (not inside `introspect: { casing }`, which only names introspected
 * columns), or in the options of a `drizzle(…)` call anywhere. The config file wins, as it is
 * what drizzle-kit generate reads. Never runs the files.
 */
export function findDrizzleCasing(files: { file: string; text: string }[]): CasingSetting | null {
  let fromClient: CasingSetting | null = null;
  for (const { file, text } of files) {
    if (!/casing/.test(text)) continue;
    const ts = parseTs(file, text);
    if (!ts.ast) continue;
    const isConfig = /(^|\/)drizzle\.config\.[cm]?[jt]s$/.test(file);
    let found: CasingSetting | null = null;
    walk(ts.ast, (node) => {
      if (found) return;
      if (isConfig && node.type === "ExportDefaultDeclaration") {
        const value = configObject(node.declaration);
        const setting = value ? casingIn(value) : null;
        if (setting) found = { casing: setting.casing, range: rangeOf(ts, setting.node) };
      } else if (node.type === "CallExpression") {
        const callee = unwrap(node.callee);
        if (callee?.type !== "Identifier" || callee.name !== "drizzle") return;
        for (const arg of node.arguments) {
          const setting = casingIn(arg);
          if (setting && !fromClient)
            fromClient = { casing: setting.casing, range: rangeOf(ts, setting.node) };
        }
      }
    });
    if (found) return found;
  }
  return fromClient;
}

/** `{…}`, `defineConfig({…})`, `{…} satisfies Config`: the object itself. */
function configObject(node: Parameters<typeof unwrap>[0]): ReturnType<typeof unwrap> {
  const n = unwrap(node);
  if (n?.type === "CallExpression") return unwrap(n.arguments[0]);
  return n;
}

function casingIn(
  node: Parameters<typeof unwrap>[0],
): { casing: Casing; node: { start?: number | null; end?: number | null } } | null {
  const n = unwrap(node);
  if (n?.type !== "ObjectExpression") return null;
  for (const p of n.properties) {
    if (p.type !== "ObjectProperty" || propertyKey(p) !== "casing") continue;
    const value = literalString(p.value as Parameters<typeof unwrap>[0]);
    if (value === "snake_case" || value === "camelCase") return { casing: value, node: p };
  }
  return null;
}
