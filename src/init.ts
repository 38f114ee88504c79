/**
 * `pg-index-lint init [dir]`: finds the repository's PostgreSQL migration folders and ORM models
 * (src/init/discover.ts), writes a starter `.pg-index-lint.yml` at `dir`, prints it, what it left
 * out and why, and a first `check` summary. It never overwrites a config, never writes through a
 * symbolic link, and writes nothing when it finds nothing.
 */
import { closeSync, lstatSync, openSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { CONFIG_NAMES } from "./config/load.js";
import { UserError } from "./errors.js";
import { type Discovery, discover } from "./init/discover.js";
import { initSqlParser } from "./parse/sql.js";
import { displayPath } from "./paths.js";
import { runnerList } from "./sources/index.js";

export interface InitResult {
  /** 0 written, 2 nothing found. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface InitOptions {
  /** The ORM ids the registry reads (tests); default: the registry's. */
  orms?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

export async function initConfig(dir: string, options: InitOptions = {}): Promise<InitResult> {
  const root = resolve(dir);
  for (const name of CONFIG_NAMES) {
    if (present(join(root, name)))
      throw new UserError("a config already exists; edit it instead", displayPath(join(root, name)));
  }
  // The folders are judged by whether PostgreSQL's parser reads them.
  await initSqlParser();
  const found = discover(root, options.orms ? { orms: options.orms } : {});
  const written = found.models.filter((m) => m.readable);
  const skipped = skippedLines(found);
  if (found.migrations.length === 0 && written.length === 0) {
    return {
      code: 2,
      stdout: skipped,
      stderr: `pg-index-lint: found no PostgreSQL migrations or models below ${safe(displayPath(root))}: looked for migrations of ${runnerList()} in any folder (outside .gitignore'd ones, tests and examples), and for SQLAlchemy, Prisma and Drizzle model declarations; nothing was written\n`,
    };
  }
  const text = configText(found);
  const file = join(root, CONFIG_NAMES[0] as string);
  writeNew(file, text);
  const out: string[] = ["found:"];
  for (const m of found.migrations) {
    const version = m.version.version ? `, version ${m.version.version} from ${m.version.source}` : "";
    out.push(`  ${safe(m.rel)}: ${m.runner.name} migrations, by ${safe(m.how)}${safe(version)}`);
  }
  for (const m of found.models)
    out.push(`  ${safe(m.rel)}: ${m.name} models (${m.files} file${m.files === 1 ? "" : "s"})`);
  out.push("", `wrote ${safe(displayPath(file))}:`, "", text.trimEnd(), "");
  for (const m of found.models.filter((m) => !m.readable))
    out.push(
      `note: ${m.name} models in ${safe(m.rel)} were not added: this pg-index-lint cannot read ${m.name} models yet (orm: ${m.orm} is not in its registry).`,
    );
  if (skipped) out.push(skipped.trimEnd(), "");
  out.push(await firstCheck(root, options.env ?? process.env));
  return { code: 0, stdout: `${out.join("\n")}\n`, stderr: "" };
}

function configText(found: Discovery): string {
  const lines = [
    "# pg-index-lint configuration, written by `pg-index-lint init`; the README lists every key.",
    "# yaml-language-server: $schema=./node_modules/pg-index-lint/schema/config.schema.json",
  ];
  if (found.migrations.length > 0) {
    lines.push("migrations:");
    for (const m of found.migrations) {
      const version = !m.runner.versioned
        ? ""
        : m.version.version
          ? `   # ${m.runner.name} ${m.version.version}, read from ${m.version.source} at each run`
          : `   # ${m.runner.name}: no version pinned, the latest behaviour is assumed`;
      lines.push(`  - path: ${yamlString(m.rel)}`, `    runner: ${m.runner.id}${comment(version)}`);
    }
  }
  const models = found.models.filter((m) => m.readable);
  if (models.length > 0) {
    lines.push("models:");
    for (const m of models) lines.push(`  - path: ${yamlString(m.rel)}`, `    orm: ${m.orm}`);
  }
  if (found.ignore.length > 0) {
    lines.push("# Other databases' files inside a Flyway location above:", "ignore:");
    for (const i of found.ignore) lines.push(`  - ${yamlString(i.glob)}${comment(`   # ${i.reason}`)}`);
  }
  lines.push(
    "# The indexes your hot queries need. pg-index-lint fails when one is missing.",
    "required-indexes: []",
    "#  - table: users",
    "#    columns: [email]",
    "#    why: every login looks users up by email",
  );
  return `${lines.join("\n")}\n`;
}

function skippedLines(found: Discovery): string {
  if (found.skipped.length === 0) return "";
  return `${[
    "skipped (not PostgreSQL, or not a migration history):",
    ...found.skipped.map((s) => `  ${safe(s.rel)}: ${safe(s.reason)}`),
  ].join("\n")}\n`;
}

/** The check summary: each set's runner and count, then the verdict line. */
async function firstCheck(root: string, env: NodeJS.ProcessEnv): Promise<string> {
  const [{ run }, { formatText }] = await Promise.all([import("./run.js"), import("./report/text.js")]);
  try {
    const report = await run({ command: "check", paths: [root], env });
    const counts = new Map<string, number>();
    for (const f of report.findings) counts.set(f.rule, (counts.get(f.rule) ?? 0) + 1);
    const byRule = [...counts].map(([rule, n]) => `  ${n} × ${rule}`);
    const sets = report.sets.map((set) => ({ ...set, path: safe(set.path) }));
    const summary = formatText({ sets, findings: [], summary: report.summary }, { color: false })
      .trimEnd()
      .split("\n")
      .slice(0, -1)
      .join("\n")
      .trimEnd();
    const verdict = formatText(
      { sets: [], findings: report.findings, summary: report.summary },
      { color: false },
    )
      .trimEnd()
      .split("\n")
      .at(-1);
    return [
      "first check:",
      summary,
      verdict,
      ...byRule,
      `run \`pg-index-lint check ${safe(displayPath(root))}\` for the findings.`,
    ].join("\n");
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return `first check: ${safe(error.format())}`;
  }
}

/** Is there anything at `path`, a dangling symbolic link included? */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Creates `file`; fails if anything is there, even a symbolic link to nowhere (O_EXCL). */
function writeNew(file: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(file, "wx", 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot create the config (${code ?? "error"}); nothing was written`,
      displayPath(file),
    );
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** A path from the repository, as a YAML scalar: plain when that is safe, else double-quoted. */
function yamlString(text: string): string {
  return /^[A-Za-z0-9_./][A-Za-z0-9_./@+-]*$/.test(text) && !/^[.]$|\*$/.test(text)
    ? text
    : JSON.stringify(text);
}

/** A YAML comment never ends the line early: line breaks and controls become escapes. */
function comment(text: string): string {
  return safe(text);
}

/** Text from the repository, safe for a terminal and one line: control characters escaped. */
function safe(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
