/**
 * The check pass: config → discovery → parse → schema replay → rules → findings
 * (DESIGN.md §3). The CLI and the Action are thin wrappers over `check()`.
 */

import { existsSync, readFileSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import picomatch from "picomatch";
import { findConfig, type LoadedConfig, loadConfig } from "./config/load.js";
import { UserError } from "./errors.js";
import type { Finding, Severity } from "./finding.js";
import type { InlineIgnore, InputError, Migration, SourceRange, Statement } from "./model.js";
import { loadModels, type ModelFile } from "./models/index.js";
import { nodeAs } from "./parse/nodes.js";
import type { SourceText } from "./parse/source-text.js";
import { initSqlParser, parseSql } from "./parse/sql.js";
import { displayPath } from "./paths.js";
import { parseRequirement, type Requirement } from "./rules/coverage.js";
import { ALL_RULE_IDS, RULES, UNSUPPORTED_CONSTRUCT, UNUSED_IGNORE, VERIFY_RULE_IDS } from "./rules/index.js";
import type { Rule, RuleFinding, RuleMeta } from "./rules/rule.js";
import { assumeVersion, detectRunner, RUNNERS, runnerLabel } from "./runners/index.js";
import type { AssumedVersion, LoadedMigration, Runner, TransactionModel } from "./runners/runner.js";
import { assignTransactions } from "./runners/transactions.js";
import { Catalog } from "./schema/catalog.js";
import { applyStatement, doBlockStatements } from "./schema/replay.js";

export interface CheckOptions {
  /** Targets: directories or files. The config is looked up from the first. Default ".". */
  paths?: string[];
  /** Explicit config file. */
  config?: string;
  /**
   * Keep each statement's syntax tree after the replay (verify applies and re-replays them).
   * Without it, trees are released file by file, which keeps memory flat on large histories.
   */
  keepSyntaxTrees?: boolean;
  /** Called while reading files, for a progress line. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Also replay and check the `downgrade()` of each Alembic revision, newest first, after the
   * upgrades (as `alembic downgrade base` would run them). The CLI flag is `--downgrade`.
   */
  downgrade?: boolean;
}

/** One migrations folder as checked: what runner and version the model assumed. */
export interface MigrationSet {
  path: string;
  runner: string;
  /** True when the runner was detected rather than named in the config. */
  detected: boolean;
  version: AssumedVersion;
  /** The transaction model the runner and version imply; `verify` applies files with it. */
  model: TransactionModel;
  migrations: Migration[];
  /**
   * With `CheckOptions.downgrade`: the downgrade of each revision that has one, newest first,
   * replayed after `migrations` for the statement rules. The catalog stays the upgraded one.
   */
  downgrades?: Migration[];
  /** The schema after every migration, as the replay predicts it. */
  catalog: Catalog;
}

/** One ORM models folder as read: the DDL its declarations imply, and the schema they build. */
export interface ModelSet {
  path: string;
  orm: string;
  files: ModelFile[];
  /** The schema the models declare (what `metadata.create_all()` would build). */
  catalog: Catalog;
}

export interface CheckResult {
  config: string | null;
  /** The loaded config, for later stages (verify's probes and synthetic rows). */
  settings: LoadedConfig;
  requirements: Requirement[];
  sets: MigrationSet[];
  /** The config's `models` entries, read. Empty when there are none. */
  modelSets: ModelSet[];
  findings: Finding[];
  summary: { errors: number; warnings: number; files: number; statements: number };
  /** True when some input could not be read or parsed: the run is incomplete (exit 2). */
  inputErrors: number;
  /** Is a finding of `rule` at `range` covered by an inline ignore? For verify's findings. */
  ignored: (range: SourceRange, rule: string) => boolean;
}

export async function check(options: CheckOptions = {}): Promise<CheckResult> {
  await initSqlParser();
  const targets = (options.paths?.length ? options.paths : ["."]).map((p) => resolve(p));
  for (const target of targets) {
    if (!existsSync(target)) throw new UserError("no such file or directory", displayPath(target));
  }
  const config = resolveConfig(options.config, targets[0] as string);
  const severities = ruleSeverities(config);
  const requirements = config.requiredIndexes.map((entry) => parseRequirement(entry, config.file));
  const ignoreGlobs = picomatch(config.data.ignore ?? [], { dot: true });

  const sets: MigrationSet[] = [];
  const catalogs: Catalog[] = [];
  const raw: { rule: Rule | RuleMeta; finding: RuleFinding }[] = [];
  const inputFindings: Finding[] = [];
  const ignores = new Ignores();
  const locators = new Map<Migration, ReturnType<typeof clauseLocator>>();
  /** Clause locations of statements generated from code (Alembic operations, models). */
  const statementLocators = new Map<Statement, (byteLocation: number | undefined) => SourceRange>();
  const warn = (warnings: InputError[] | undefined) => {
    for (const w of warnings ?? []) {
      raw.push({
        rule: UNSUPPORTED_CONSTRUCT,
        finding: { range: w.range, message: w.message, help: UNSUPPORTED_HELP },
      });
    }
  };
  let fileCount = 0;
  let statementCount = 0;

  const entries = migrationEntries(config, targets);
  const prepared = entries.map((entry) => {
    const runner = entry.runner ? RUNNERS[entry.runner as keyof typeof RUNNERS] : detectRunner(entry.dir);
    if (!runner) {
      throw new UserError(
        "found no migrations here (looked for Drizzle, Prisma, dbmate, goose, golang-migrate, Flyway, Alembic and plain .sql files)",
        displayPath(entry.dir),
      );
    }
    const files = runner
      .list(entry.dir)
      .filter((ref) => !ignoreGlobs(relative(config.dir, ref.absPath).split("\\").join("/")));
    return { entry, runner, files };
  });
  const total = prepared.reduce((n, p) => n + p.files.length, 0);

  for (const { entry, runner, files } of prepared) {
    const version = assumeVersion(runner, entry.dir, entry.version);
    const model = runner.modelAt ? runner.modelAt(entry.dir, version.version) : runner.model(version.version);
    const label = runnerLabel(runner, version);
    const migrations: Migration[] = [];
    // Replay in order; statement rules see the catalog as it was before their statement.
    const replay = (catalog: Catalog, list: Migration[], firstIndex: number, runRules: boolean) => {
      list.forEach((migration, i) => {
        const migrationIndex = firstIndex + i;
        for (const outer of migration.statements) {
          // The static DDL of a DO block is checked and replayed statement by statement, located
          // at the DO statement; its SQL is not the file's text, so it gets no text fix.
          const doStmt = nodeAs(outer.node, "DoStmt");
          const units = doStmt
            ? doBlockStatements(doStmt).map(
                ({ node, sql }): Statement => ({ ...outer, node, sql, generated: true }),
              )
            : [outer];
          for (const statement of units) {
            let rejected = false;
            for (const rule of RULES) {
              if (!rule.checkStatement) continue;
              for (const found of rule.checkStatement({ statement, catalog, migration, migrationIndex })) {
                // A text fix is built from the statement's SQL; generated SQL is not the file's text.
                const finding = statement.generated && found.fix ? withoutFix(found) : found;
                if (runRules) raw.push({ rule, finding });
                // The user may know better (e.g. a runner setting the model cannot see); then the
                // statement is taken to run.
                if (rule.meta.rejectsStatement && !ignores.covers(finding.range, rule.meta.id))
                  rejected = true;
              }
            }
            const generated = statementLocators.get(statement);
            const locate = doStmt ? undefined : locators.get(migration);
            applyStatement(catalog, statement.node, {
              migration: migrationIndex,
              range: statement.range,
              rejected,
              ...(generated
                ? { locate: generated }
                : locate
                  ? { locate: (at: number | undefined) => locate(at, statement.range) }
                  : {}),
            });
          }
        }
      });
    };
    const catalog = new Catalog();
    // Downgrades replay the upgrades again, and verify applies their statements: both need the trees.
    const keepTrees = Boolean(options.keepSyntaxTrees || options.downgrade);
    for (const ref of files) {
      const file = displayPath(ref.absPath);
      const migration: Migration = { file, id: ref.id, runner: runner.id, statements: [], errors: [] };
      migrations.push(migration);
      fileCount++;
      options.onProgress?.(fileCount, total);
      const text = readSource(ref.absPath, file);
      if (typeof text !== "string") {
        inputFindings.push(text);
        continue;
      }
      try {
        if (runner.load) {
          const loaded = runner.load(text, ref, model, label);
          migration.statements = loaded.statements;
          migration.errors = loaded.errors;
          ignores.add(loaded.ignores);
          warn(loaded.warnings);
          for (const [statement, locate] of loaded.locators ?? []) statementLocators.set(statement, locate);
        } else {
          const sql = runner.prepare(text, ref);
          const parsed = parseSql(sql.sql, file);
          migration.errors = parsed.errors;
          migration.statements = assignTransactions(parsed.statements, model, sql, label);
          locators.set(migration, clauseLocator(parsed.source));
          ignores.add(parsed.ignores);
        }
      } catch (error) {
        // The runner itself would refuse this file; report it and check the others.
        if (!(error instanceof UserError)) throw error;
        const at = { file, line: 1, column: 1, endLine: 1, endColumn: 1 };
        inputFindings.push(inputFinding("invalid-migration", `${error.message}.`, at));
        continue;
      }
      for (const error of migration.errors)
        inputFindings.push(inputFinding("syntax-error", error.message, error.range));
      // Replay as we go: statement rules see the catalog as it was before each statement.
      replay(catalog, [migration], migrations.length - 1, true);
      if (!keepTrees) releaseTrees(migration);
    }
    statementCount += migrations.reduce((n, m) => n + m.statements.length, 0);

    let downgrades: Migration[] | undefined;
    if (options.downgrade && runner.load) {
      downgrades = loadDowngrades(runner, migrations, files, model, label, ignores, warn, statementLocators);
      for (const migration of downgrades)
        for (const error of migration.errors)
          inputFindings.push(inputFinding("syntax-error", error.message, error.range));
      // The downgrades run against the upgraded schema; the final-state rules keep the upgraded one.
      const scratch = new Catalog();
      replay(scratch, migrations, 0, false);
      replay(scratch, downgrades, migrations.length, true);
      statementCount += downgrades.reduce((n, m) => n + m.statements.length, 0);
    }
    catalogs.push(catalog);
    sets.push({
      path: displayPath(entry.dir),
      runner: runner.id,
      detected: !entry.runner,
      version,
      model,
      migrations,
      ...(downgrades ? { downgrades } : {}),
      catalog,
    });
  }

  // ORM models: their own catalog, located at the Column(...) / Index(...) declarations.
  const modelSets: ModelSet[] = [];
  for (const entry of config.data.models ?? []) {
    const dir = resolve(config.dir, entry.path);
    if (!existsSync(dir))
      throw new UserError(`models path "${entry.path}" does not exist`, config.file ?? undefined);
    const keep = (absPath: string) => !ignoreGlobs(relative(config.dir, absPath).split("\\").join("/"));
    const loaded = loadModels(dir, entry.orm, config.file, keep);
    const catalog = new Catalog();
    loaded.files.forEach((modelFile, index) => {
      fileCount++;
      statementCount += modelFile.statements.length;
      ignores.add(modelFile.ignores);
      warn(modelFile.warnings);
      for (const error of modelFile.errors)
        inputFindings.push(inputFinding("syntax-error", error.message, error.range));
      for (const statement of modelFile.statements) {
        const locate = modelFile.locators.get(statement);
        applyStatement(catalog, statement.node, {
          migration: index,
          range: statement.range,
          ...(locate ? { locate } : {}),
        });
      }
    });
    for (const file of loaded.unreadable) {
      const at = { file, line: 1, column: 1, endLine: 1, endColumn: 1 };
      inputFindings.push(
        inputFinding("unreadable-file", "This file is not valid UTF-8 text; save it as UTF-8.", at),
      );
    }
    modelSets.push({ path: displayPath(dir), orm: entry.orm, files: loaded.files, catalog });
  }
  // With models only, the models are the schema; with migrations too, the migrated schema is, and
  // the models are compared with it (orm-migration-drift).
  const modelCatalogs = modelSets.map((m) => m.catalog);
  const finalCatalogs = sets.length > 0 ? catalogs : modelCatalogs;

  for (const rule of RULES) {
    if (!rule.checkCatalog) continue;
    const context = {
      catalogs: finalCatalogs,
      requirements,
      configFile: config.file,
      ...(sets.length > 0 && modelSets.length > 0 ? { models: modelCatalogs } : {}),
    };
    for (const finding of rule.checkCatalog(context)) {
      raw.push({ rule, finding });
    }
  }

  let findings = applyIgnores(raw, ignores, severities);
  findings.push(...inputFindings);
  // `check path/to/003_add_index.sql` replays the whole folder for context, and reports that file.
  const fileTargets = new Set(targets.filter((t) => !statSync(t).isDirectory()).map((t) => displayPath(t)));
  if (fileTargets.size > 0) findings = findings.filter((f) => fileTargets.has(f.file));
  findings.sort(byLocation);
  return {
    config: config.file,
    settings: config,
    requirements,
    sets,
    modelSets,
    findings,
    summary: {
      errors: findings.filter((f) => f.severity === "error").length,
      warnings: findings.filter((f) => f.severity === "warning").length,
      files: fileCount,
      statements: statementCount,
    },
    inputErrors: inputFindings.length,
    ignored: (range, rule) => ignores.covers(range, rule) !== undefined,
  };
}

function withoutFix(finding: RuleFinding): RuleFinding {
  const { fix: _fix, ...rest } = finding;
  return rest;
}

/** Loads the `downgrade()` of every revision, newest first, for `--downgrade`. */
function loadDowngrades(
  runner: Runner,
  upgrades: Migration[],
  files: { absPath: string; id: string }[],
  model: TransactionModel,
  label: string,
  ignores: Ignores,
  warn: (warnings: InputError[] | undefined) => void,
  statementLocators: Map<Statement, (byteLocation: number | undefined) => SourceRange>,
): Migration[] {
  const out: Migration[] = [];
  for (const [i, ref] of [...files.entries()].reverse()) {
    const upgrade = upgrades[i];
    if (!upgrade || !runner.load || upgrade.errors.length > 0) continue;
    let loaded: LoadedMigration;
    try {
      loaded = runner.load(readFileSync(ref.absPath, "utf8"), ref, model, label, "downgrade");
    } catch (error) {
      if (error instanceof UserError) continue; // already reported for the upgrade
      throw error;
    }
    ignores.add(loaded.ignores);
    warn(loaded.warnings);
    for (const [statement, locate] of loaded.locators ?? []) statementLocators.set(statement, locate);
    out.push({
      file: upgrade.file,
      id: `${upgrade.id} (downgrade)`,
      runner: upgrade.runner,
      statements: loaded.statements,
      errors: loaded.errors,
    });
  }
  return out;
}

/** Maps a parser location inside a statement to a range that ends with the line (or the statement). */
function clauseLocator(source: SourceText) {
  return (byteLocation: number | undefined, statement: SourceRange): SourceRange => {
    if (byteLocation === undefined || byteLocation < 0) return statement;
    const start = source.charOffset(byteLocation);
    const { line, column } = source.position(start);
    const onLastLine = line === statement.endLine;
    const endColumn = onLastLine ? statement.endColumn : source.lineText(line).trimEnd().length + 1;
    return { file: statement.file, line, column, endLine: line, endColumn: Math.max(endColumn, column + 1) };
  };
}

const RELEASED: Statement["node"] = Object.freeze({}) as Statement["node"];

/** Drops the syntax trees of a replayed migration; everything else about its statements stays. */
function releaseTrees(migration: Migration): void {
  for (const statement of migration.statements) statement.node = RELEASED;
}

function resolveConfig(explicit: string | undefined, target: string): LoadedConfig {
  if (explicit) {
    if (!existsSync(explicit)) throw new UserError("config file not found", displayPath(resolve(explicit)));
    return loadConfig(resolve(explicit));
  }
  const found = findConfig(target);
  if (found) return loadConfig(found);
  const dir = statSync(target).isDirectory() ? target : resolve(target, "..");
  return { file: null, dir, data: {}, requiredIndexes: [] };
}

interface MigrationsEntryResolved {
  dir: string;
  runner?: string;
  version?: string;
}

/** The config's migrations entries; with none, the target itself is the migrations folder. */
function migrationEntries(config: LoadedConfig, targets: string[]): MigrationsEntryResolved[] {
  const configured = config.data.migrations ?? [];
  // A config with models and no migrations checks the models alone.
  if (configured.length === 0 && (config.data.models ?? []).length > 0) return [];
  if (configured.length === 0) {
    return targets.map((t) => ({ dir: statSync(t).isDirectory() ? t : resolve(t, "..") }));
  }
  return configured.map((m) => {
    const dir = resolve(config.dir, m.path);
    if (!existsSync(dir)) {
      throw new UserError(`migrations path "${m.path}" does not exist`, config.file ?? undefined);
    }
    const resolved: MigrationsEntryResolved = { dir };
    if (m.runner) resolved.runner = m.runner;
    if (m.version) resolved.version = m.version;
    return resolved;
  });
}

function ruleSeverities(config: LoadedConfig): Map<string, Severity | "off"> {
  const map = new Map<string, Severity | "off">();
  for (const [id, level] of Object.entries(config.data.rules ?? {})) {
    if (!ALL_RULE_IDS.includes(id)) {
      throw new UserError(
        `rules: unknown rule "${id}" (see \`pg-index-lint rules\`)`,
        config.file ?? undefined,
      );
    }
    map.set(id, level);
  }
  return map;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The file's text, or a finding when it is binary or not UTF-8. */
function readSource(absPath: string, file: string): string | Finding {
  const bytes = readFileSync(absPath);
  const at: SourceRange = { file, line: 1, column: 1, endLine: 1, endColumn: 1 };
  if (bytes.includes(0)) return inputFinding("unreadable-file", "This is a binary file, not SQL.", at);
  try {
    return decoder.decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    return inputFinding("unreadable-file", "This file is not valid UTF-8; save it as UTF-8.", at);
  }
}

const UNSUPPORTED_HELP =
  "Write it with literal arguments if you can; otherwise check it by hand, and silence this with `# pg-index-lint: ignore[unsupported-construct]`.";

const INPUT_HELP: Record<string, string> = {
  "syntax-error": "Fix the SQL; this file's statements were not checked.",
  "python-syntax-error": "Fix the Python syntax; this file's operations and models were not checked.",
  "unreadable-file": "Remove the file from the migrations folder, or save it as UTF-8 text.",
};

function inputFinding(rule: string, message: string, range: SourceRange): Finding {
  return {
    rule,
    severity: "error",
    message,
    help:
      (rule === "syntax-error" && range.file.endsWith(".py")
        ? INPUT_HELP["python-syntax-error"]
        : INPUT_HELP[rule]) ?? "Fix the file as the message says; its statements were not checked.",
    ...range,
    source: "check",
  };
}

/**
 * The inline ignores of all files. A finding is covered by an ignore of its rule on the statement
 * that contains the finding's start: findings about a clause (a foreign key, a table) start
 * inside their statement.
 */
class Ignores {
  private readonly byFile = new Map<string, InlineIgnore[]>();
  private readonly used = new Set<string>();

  add(list: InlineIgnore[]): void {
    for (const ignore of list) {
      const inFile = this.byFile.get(ignore.range.file) ?? [];
      inFile.push(ignore);
      this.byFile.set(ignore.range.file, inFile);
    }
  }

  covers(range: SourceRange, rule: string): InlineIgnore | undefined {
    return this.byFile
      .get(range.file)
      ?.find((ignore) => ignore.rules.includes(rule) && contains(ignore.statement, range.line, range.column));
  }

  /** Like `covers`, and remembers the ignore as used. */
  suppress(range: SourceRange, rule: string): boolean {
    const ignore = this.covers(range, rule);
    if (ignore) this.used.add(usedKey(ignore, rule));
    return ignore !== undefined;
  }

  *unused(): Iterable<{ ignore: InlineIgnore; rule: string }> {
    for (const list of this.byFile.values()) {
      for (const ignore of list) {
        for (const rule of ignore.rules) if (!this.used.has(usedKey(ignore, rule))) yield { ignore, rule };
      }
    }
  }
}

function usedKey(ignore: InlineIgnore, rule: string): string {
  return `${ignore.range.file}:${ignore.range.line}:${ignore.range.column}:${rule}`;
}

function contains(r: SourceRange, line: number, column: number): boolean {
  const afterStart = line > r.line || (line === r.line && column >= r.column);
  const beforeEnd = line < r.endLine || (line === r.endLine && column <= r.endColumn);
  return afterStart && beforeEnd;
}

/** Drops findings an inline ignore covers, reports ignores that covered nothing, applies severities. */
function applyIgnores(
  raw: { rule: Rule | RuleMeta; finding: RuleFinding }[],
  ignores: Ignores,
  severities: Map<string, Severity | "off">,
): Finding[] {
  const out: Finding[] = [];
  for (const { rule, finding } of raw) {
    const meta = "meta" in rule ? rule.meta : rule;
    if (ignores.suppress(finding.range, meta.id)) continue;
    const level = severities.get(meta.id) ?? meta.defaultSeverity;
    if (level === "off") continue;
    const { range, ...rest } = finding;
    out.push({ rule: meta.id, severity: level, ...rest, ...range, source: "check" });
  }
  const unusedLevel = severities.get(UNUSED_IGNORE.id) ?? UNUSED_IGNORE.defaultSeverity;
  if (unusedLevel === "off") return out;
  for (const { ignore, rule } of ignores.unused()) {
    // Only verify can tell whether an ignore of one of its rules was needed.
    if (VERIFY_RULE_IDS.includes(rule)) continue;
    const unknown = !ALL_RULE_IDS.includes(rule);
    out.push({
      rule: UNUSED_IGNORE.id,
      severity: unusedLevel,
      message: unknown
        ? `pg-index-lint-ignore names an unknown rule "${rule}".`
        : `pg-index-lint-ignore ${rule} suppresses nothing: the statement it applies to has no ${rule} finding.`,
      help: "Remove the comment, or fix the rule id.",
      ...ignore.range,
      source: "check",
    });
  }
  return out;
}

function byLocation(a: Finding, b: Finding): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column;
}
