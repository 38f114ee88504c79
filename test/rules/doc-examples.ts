/**
 * The executable examples of a rule page: ```sql bad``` and ```sql good``` blocks, with
 * `runner=` and `version=` attributes, `-- file: NAME` markers, and ```yaml config``` blocks that
 * apply to the page's later examples.
 */
import { parse } from "yaml";
import type { RepoSpec } from "../harness.js";

interface Example {
  kind: "bad" | "good";
  spec: RepoSpec;
  line: number;
}

export function examplesOf(markdown: string): Example[] {
  const examples: Example[] = [];
  let config: Record<string, unknown> = {};
  const fence = /^```(\w+)([^\n]*)\n([\s\S]*?)^```/gm;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    const [, lang, info = "", body = ""] = m;
    const words = info.trim().split(/\s+/);
    const line = markdown.slice(0, m.index).split("\n").length;
    if (lang === "yaml" && words[0] === "config") {
      config = { ...config, ...(parse(body) as Record<string, unknown>) };
      continue;
    }
    if (!(lang && lang in LANGUAGES) || (words[0] !== "bad" && words[0] !== "good")) continue;
    const attrs = Object.fromEntries(words.slice(1).map((w) => w.split("=") as [string, string]));
    const spec: RepoSpec =
      lang === "python"
        ? { ...pythonFiles(body), runner: "alembic", config }
        : lang === "sql"
          ? { files: splitFiles(body), config }
          : { ...schemaFiles(body, LANGUAGES[lang] as Schema), config };
    if (attrs.runner) spec.runner = attrs.runner;
    if (attrs.version) spec.version = attrs.version;
    examples.push({ kind: words[0], spec, line });
  }
  return examples;
}

interface Schema {
  orm: string;
  runner: string;
  /** The name of a lone schema file. */
  file: string;
}

/** The languages of executable blocks: SQL migrations, Python (Alembic and SQLAlchemy), and ORM schemas. */
const LANGUAGES: Record<string, Schema | null> = {
  sql: null,
  python: null,
  prisma: { orm: "prisma", runner: "prisma", file: "schema.prisma" },
  ts: { orm: "drizzle", runner: "drizzle", file: "schema.ts" },
};

/**
 * A Prisma or Drizzle block: the schema file, or `// file: NAME` files where names under
 * `migrations/` are the generated migrations (Prisma's `<dir>/migration.sql`, Drizzle's `.sql`
 * files, whose journal the harness writes) and the others schema files.
 */
function schemaFiles(body: string, schema: Schema): Pick<RepoSpec, "files" | "models" | "orm" | "runner"> {
  const all = splitFiles(body, "//");
  const files: Record<string, string> = {};
  const models: Record<string, string> = {};
  for (const [name, text] of Object.entries(typeof all === "string" ? { [schema.file]: all } : all)) {
    if (name.startsWith("migrations/")) files[name.slice("migrations/".length)] = text;
    else models[name] = text;
  }
  return { files, models, orm: schema.orm, runner: schema.runner };
}

function pythonFiles(body: string): { files: Record<string, string>; models: Record<string, string> } {
  const all = splitFiles(body, "#");
  const files: Record<string, string> = {};
  const models: Record<string, string> = {};
  for (const [name, text] of Object.entries(typeof all === "string" ? { "0001_example.py": all } : all)) {
    if (name.startsWith("models/")) models[name.slice("models/".length)] = text;
    else files[name] = text;
  }
  return { files, models };
}

function splitFiles(body: string, comment = "--"): Record<string, string> | string {
  const markerRe = new RegExp(`^${comment} file: (\\S+)\\s*$`);
  if (!body.split("\n").some((line) => markerRe.test(line))) return body;
  const files: Record<string, string> = {};
  let current: string | null = null;
  for (const line of body.split("\n")) {
    const marker = markerRe.exec(line);
    if (marker?.[1]) {
      current = marker[1];
      files[current] = "";
    } else if (current) files[current] += `${line}\n`;
  }
  return files;
}
