/**
 * Drizzle as a model source: the TypeScript (or JavaScript) files that declare `pgTable(…)`, read
 * into the DDL `drizzle-kit generate` would write for an empty database, with the `casing` of the
 * project's drizzle.config.*. Advice speaks Drizzle (`index("posts_author_id_idx").on(t.authorId)`
 * in the table's third argument), and a missing index comes with the edits that declare it.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { Fix } from "../finding.js";
import type { ModelFile } from "../model.js";
import { fileNames } from "../runners/files.js";
import type { SchemaChange, TableRef, Words } from "../schema/change.js";
import type { ModelSource, SourceFile } from "../sources/source.js";
import {
  type Casing,
  type DrizzleTable,
  drizzleIndexFix,
  findDrizzleCasing,
  type IndexFix,
  readDrizzleSchema,
} from "./drizzle/index.js";

const SCRIPT = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP = /(^|\/)(node_modules|dist|build|\.next|__tests__)\/|\.d\.[cm]?ts$|\.(test|spec)\.[cm]?[jt]s$/;
const CONFIG = /(^|\/)drizzle\.config\.[cm]?[jt]s$/;
const REGENERATE = "drizzle-kit generate";

const str = (text: string) => JSON.stringify(text);

function tableLabel(table: TableRef): string {
  return table.schema === "public" ? table.name : `${table.schema}.${table.name}`;
}

interface ReadDrizzle {
  tables: DrizzleTable[];
  sources: { file: string; text: string }[];
  casing: Casing | undefined;
}

/** Drizzle's words, with the tables of `read` when it is known. */
function drizzleWords(read: ReadDrizzle | null): Words {
  const tableOf = (table: TableRef) =>
    read?.tables.find((t) => (t.schema ?? "public") === table.schema && t.name === table.name);
  const variable = (table: TableRef) => tableOf(table)?.variable ?? tableLabel(table);
  const fixes = new Map<string, IndexFix | null>();
  /** The declaration of a plain index on `columns`, computed once per table and columns. */
  const indexFix = (table: TableRef, columns: string[]): IndexFix | null => {
    const key = `${table.schema}.${table.name}\u0000${columns.join("\u0000")}`;
    if (fixes.has(key)) return fixes.get(key) ?? null;
    const found = tableOf(table);
    const source = found && read?.sources.find((s) => s.file === found.ts.file);
    let fix: IndexFix | null = null;
    if (found && source && read) {
      const made = drizzleIndexFix(source, { offset: found.call.start ?? 0 }, columns, {
        ...(read.casing ? { casing: read.casing } : {}),
        tables: read.tables,
      });
      fix = "error" in made ? null : made;
    }
    fixes.set(key, fix);
    return fix;
  };
  const plainColumns = (change: SchemaChange): string[] | null => {
    if (change.kind !== "create-index") return null;
    const i = change.index;
    if (i.unique || i.where || (i.method && i.method !== "btree")) return null;
    if (i.keys.some((k) => k.column === undefined || k.desc)) return null;
    return i.keys.map((k) => k.column as string);
  };
  const advise = (change: SchemaChange): string => {
    switch (change.kind) {
      case "create-index": {
        const columns = plainColumns(change);
        const fix = columns ? indexFix(change.index.table, columns) : null;
        if (fix) {
          const found = tableOf(change.index.table);
          const line = found ? found.ts.source.position(found.call.start ?? 0).line : undefined;
          return `Declare it in the table: add ${fix.code} to the third argument of ${found?.variable ?? fix.table} (${fix.file}${line ? `:${line}` : ""}), then run \`${REGENERATE}\` to write its migration.`;
        }
        const i = change.index;
        const keys = i.keys.map((k) =>
          k.column !== undefined ? `t.${k.column}${k.desc ? ".desc()" : ""}` : `sql\`${k.expression}\``,
        );
        const call = `${i.unique ? "uniqueIndex" : "index"}(${str(i.name)})${i.method && i.method !== "btree" ? `.using(${str(i.method)}, ${keys.join(", ")})` : `.on(${keys.join(", ")})`}${i.where ? `.where(sql\`${i.where}\`)` : ""}`;
        return `Declare it in the table: add ${call} to the third argument of ${variable(i.table)}, then run \`${REGENERATE}\` to write its migration.`;
      }
      case "drop-index":
        return `Remove the index() or uniqueIndex() that declares "${change.name}" from the third argument of ${variable(change.table)}, then run \`${REGENERATE}\`.`;
      case "name-index":
        return `Name the index in ${variable(change.table)}: index(${str(change.name)}).`;
      case "rename-index":
        return `Name the index in ${variable(change.table)} "${change.to}": index(${str(change.to)}).`;
      case "create-foreign-key": {
        const target = variable(change.refTable);
        const refs = change.refColumns.map((c) => `${target}.${c}`);
        return change.columns.length === 1
          ? `Declare it in ${variable(change.table)}: .references(() => ${refs[0]}) on the column ${change.columns[0]}, then run \`${REGENERATE}\`.`
          : `Declare it in the third argument of ${variable(change.table)}: foreignKey({ columns: [${change.columns.map((c) => `t.${c}`).join(", ")}], foreignColumns: [${refs.join(", ")}] }), then run \`${REGENERATE}\`.`;
      }
      case "drop-foreign-key":
        return `Remove the .references() or foreignKey() that declares "${change.name}" from ${variable(change.table)}, then run \`${REGENERATE}\`.`;
      case "name-foreign-key":
        return `Name the foreign key in ${variable(change.table)}: foreignKey({ name: ${str(change.name)}, … }).`;
      case "create-table":
        return `Declare the table with pgTable(${str(change.table.name)}, { … }) in the schema.`;
    }
  };
  return {
    advise,
    regenerate: REGENERATE,
    // drizzle-kit generate diffs the schema with meta/*_snapshot.json, which a hand-written
    // statement never enters: the index stays until `push`, which diffs with the database.
    undeclaredIndex: `\`drizzle-kit push\` would drop it, and so would the next \`${REGENERATE}\` if the last meta/*_snapshot.json holds it`,
    ignoreComment: (rule) => `// pg-index-lint-ignore ${rule}: <reason>`,
    syntaxErrorHelp: "Fix the TypeScript syntax; this file's tables were not checked.",
    fix(change): Fix | null {
      const columns = plainColumns(change);
      if (!columns || change.kind !== "create-index") return null;
      const fix = indexFix(change.index.table, columns);
      const main = fix?.edits.find((e) => e.text.includes(fix.code));
      if (!fix || !main) return null;
      return {
        description: `Add ${fix.code} to the third argument of ${tableOf(change.index.table)?.variable ?? fix.table}, then run \`${REGENERATE}\``,
        replacement: main.text,
        range: main.range,
        edits: fix.edits.filter((e) => e !== main).map((e) => ({ ...e.range, text: e.text })),
      };
    },
  };
}

/** Drizzle's words where no schema is at hand. */
export const DRIZZLE_WORDS: Words = drizzleWords(null);

/**
 * The drizzle.config.* files that may set `casing` for models in `dir`: in `dir` and the folders
 * above it, up to the config's folder (or the file system root when `dir` is outside it).
 */
function configFiles(dir: string, root: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  let current = resolve(dir);
  const top = resolve(root);
  for (;;) {
    for (const name of fileNames(current)
      .filter((n) => CONFIG.test(n))
      .sort()) {
      try {
        out.push({ file: name, text: readFileSync(join(current, name), "utf8") });
      } catch {
        // An unreadable config sets nothing.
      }
    }
    if (current === top || relative(top, current).startsWith("..")) break;
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return out;
}

export const drizzleModels: ModelSource = {
  kind: "models",
  id: "drizzle",
  name: "Drizzle",
  describe: "Drizzle schemas (*.ts files that call pgTable)",
  words: DRIZZLE_WORDS,
  selects: (relativePath) =>
    SCRIPT.test(relativePath) && !SKIP.test(`/${relativePath}`) && !CONFIG.test(`/${relativePath}`),
  load(files: SourceFile[], context): ModelFile[] {
    const sources = files.map((f) => ({ file: f.file, text: f.text }));
    const casing = findDrizzleCasing([...configFiles(context.dir, context.root), ...sources])?.casing;
    const schema = readDrizzleSchema(sources, casing ? { casing } : {});
    const words = drizzleWords({ tables: schema.tables, sources, casing });
    return schema.files.map((f) => ({ ...f, words }));
  },
  detect(dir) {
    // drizzle.config.*'s `schema:` names the schema file, folder or glob drizzle-kit reads.
    const out: string[] = [];
    for (const name of fileNames(dir)
      .filter((n) => CONFIG.test(n))
      .sort()) {
      let text: string;
      try {
        text = readFileSync(join(dir, name), "utf8");
      } catch {
        continue;
      }
      const schema = configSchema(text);
      if (!schema) continue;
      const path = schema.replace(/^\.\//, "").replace(/\/?\*.*$/, "");
      if (path !== "" && existsSync(join(dir, path)) && !out.includes(path)) out.push(path);
    }
    return out;
  },
};

/**
 * The `schema:` of a drizzle.config text: a string (or the first of an array), or a constant the
 * file declares whose value holds one, as `new URL("./schema.ts", import.meta.url)` does.
 */
export function configSchema(text: string): string | undefined {
  const literal = /\bschema\s*:\s*(?:\[\s*)?["'`]([^"'`$]+)["'`]/.exec(text)?.[1];
  if (literal) return literal;
  const name = /\bschema\s*:\s*([A-Za-z_$][\w$]*)\s*[,}\n]/.exec(text)?.[1];
  if (!name) return undefined;
  const value = new RegExp(`\\b(?:const|let|var)\\s+${name.replace(/\$/g, "\\$")}\\s*=([^;]{0,400})`).exec(
    text,
  )?.[1];
  return value ? /["'`]([^"'`$]+\.[cm]?[jt]s|\.{1,2}\/[^"'`$]*)["'`]/.exec(value)?.[1] : undefined;
}
