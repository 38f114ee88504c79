/**
 * The check pass, as stage functions: config → sources → replay with the statement rules →
 * catalog rules. `analyze()` runs them and returns what the rules reported, before any policy;
 * `run()` (src/run.ts) adds verify, the policy step and the verdict. `check()` is the static pass
 * with the policy's ignores and severities, for library users and tests.
 */

import { existsSync, statSync } from "node:fs";
import { basename, dirname, relative, resolve } from "node:path";
import type { RangeVar } from "@pgsql/types";
import picomatch from "picomatch";
import {
  type CachedFile,
  type Checkpoint,
  checkpointPositions,
  DEFAULT_CACHE_DIR,
  fileHash,
  fileStat,
  ResultCache,
  type SavedCheckpoint,
  sameFile,
  saveCheckpoint,
  setKey,
  statementCount,
} from "./cache/results.js";
import type { LoadedConfig } from "./config/load.js";
import { insideRepository, migrationEntries, resolveConfig } from "./config/resolve.js";
import { UserError } from "./errors.js";
import type { Finding } from "./finding.js";
import type { InlineIgnore, InputError, Migration, ModelFile, SourceRange, Statement } from "./model.js";
import { cannotRunInTransaction, endsBlock, opensBlock, transactionControl } from "./parse/classify.js";
import { nodeAs, nodesAs } from "./parse/nodes.js";
import type { SourceText } from "./parse/source-text.js";
import { initSqlParser, parseSql } from "./parse/sql.js";
import { displayPath } from "./paths.js";
import { Ignores } from "./policy/ignores.js";
import {
  foldSubsumed,
  judge,
  type RawFinding,
  type Severities,
  severitiesOf,
  unusedIgnores,
} from "./policy/judge.js";
import { loadWorkload, type Workload } from "./queries/workload.js";
import { parseRequirement, type Requirement } from "./rules/coverage.js";
import { CATALOG_RULES, metaOf, STATEMENT_RULES } from "./rules/index.js";
import { invalidMigration, syntaxError, unreadableFile } from "./rules/input-errors.js";
import type { Rule, RuleFinding } from "./rules/rule.js";
import { unknownTable } from "./rules/unknown-table.js";
import { unsupportedConstruct } from "./rules/unsupported-construct.js";
import { filesRecursive, readingOnce } from "./runners/files.js";
import { isolateWith, type PendingIsolateRequest } from "./runners/isolate.js";
import type { AssumedVersion, MigrationFileRef, Runner, TransactionModel } from "./runners/runner.js";
import { assignTransactions } from "./runners/transactions.js";
import { Catalog } from "./schema/catalog.js";
import { SQL_MIGRATION_WORDS, type Words } from "./schema/change.js";
import { inCreateOrder } from "./schema/create-order.js";
import { applyStatement, doBlockStatements, dynamicDdl } from "./schema/replay.js";
import {
  assumeVersion,
  detectRunner,
  findOrm,
  findRunner,
  runnerLabel,
  runnerList,
} from "./sources/index.js";
import { readText, repositoryRoot, resolvesInside } from "./sources/read.js";
import type { ModelSource, SourceFile } from "./sources/source.js";
import { toolVersion } from "./version.js";

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
  /**
   * `--cache [DIR]`: reuse what earlier runs made of unchanged files (src/cache/results.ts). An
   * empty string is the default folder, .pg-index-lint-cache in the working directory.
   */
  cache?: string;
  /** Notes about the run that are not findings (a cache that was ignored, and why). */
  onNote?: (line: string) => void;
}

/** One migrations folder as checked: what runner and version the model assumed. */
export interface MigrationSet {
  path: string;
  runner: string;
  /** True when the runner was detected rather than named in the config. */
  detected: boolean;
  version: AssumedVersion;
  /** False for a runner whose transaction behaviour never changed across versions (psql). */
  versioned: boolean;
  /** The transaction model the runner and version imply; `verify` applies files with it. */
  model: TransactionModel;
  migrations: Migration[];
  /**
   * With `CheckOptions.downgrade`: the downgrade of each revision that has one, newest first,
   * replayed after `migrations` for the statement rules. The catalog stays the upgraded one.
   */
  downgrades?: Migration[];
  /** The schema the migrations start from (config `base:`), applied before them. */
  base?: Migration;
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

/** What the static pass saw and what its rules reported, before the policy step. */
export interface Analysis {
  config: string | null;
  /** The loaded config, for later stages (verify's probes and synthetic rows). */
  settings: LoadedConfig;
  requirements: Requirement[];
  /** The queries and table statistics the config names (`queries:`, `table-stats:`). */
  workload?: Workload;
  sets: MigrationSet[];
  /** The config's `models` entries, read. Empty when there are none. */
  modelSets: ModelSet[];
  /** Every finding the rules and the sources reported, unjudged. */
  raw: RawFinding[];
  ignores: Ignores;
  severities: Severities;
  files: number;
  statements: number;
  /** How many migration files came from the result cache (`--cache`), unchanged, not replayed. */
  fromCache: number;
  /** Display paths of the targets that are files: only their findings are reported. */
  fileTargets: ReadonlySet<string>;
  /** Each file's place in the run: migrations in their runner's order, then model files. */
  fileOrder: ReadonlyMap<string, number>;
  /** The words of the source that owns a location (the runner of a migration, the ORM of a model). */
  wordsFor(range: SourceRange): Words;
}

export interface CheckResult extends Analysis {
  /** Judged findings: inline ignores and severities applied, in location order. */
  findings: Finding[];
  summary: { errors: number; warnings: number; files: number; statements: number };
  /** True when some input could not be read or parsed: the run is incomplete (exit 2). */
  inputErrors: number;
}

/** The static pass with inline ignores and severities applied. */
export async function check(options: CheckOptions = {}): Promise<CheckResult> {
  const analysis = await analyze(options);
  const findings = finish(
    analysis,
    judge(analysis.raw, analysis.ignores, analysis.severities, analysis.workload),
  );
  return {
    ...analysis,
    findings,
    summary: summarize(findings, analysis),
    inputErrors: countInputErrors(findings),
  };
}

/** Judged findings plus the ignores that covered nothing, for the targets, in reading order. */
export function finish(analysis: Analysis, judged: Finding[]): Finding[] {
  let findings = [...foldSubsumed(judged), ...unusedIgnores(analysis.ignores, analysis.severities)];
  // `check path/to/003_add_index.sql` replays the whole folder for context, and reports that file.
  if (analysis.fileTargets.size > 0) findings = findings.filter((f) => analysis.fileTargets.has(f.file));
  return findings.sort(readingOrder(analysis.fileOrder));
}

/**
 * The order people read findings in: errors before warnings, then in the order the migrations run
 * (a runner's own order, so `1_` before `10_` and `V1` before `V14`), then by position in the file.
 * Files outside the run (the config) come last.
 */
export function readingOrder(fileOrder: ReadonlyMap<string, number>) {
  const rank = (f: Finding) => fileOrder.get(f.file) ?? Number.MAX_SAFE_INTEGER;
  return (a: Finding, b: Finding): number =>
    (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1) ||
    rank(a) - rank(b) ||
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    a.line - b.line ||
    a.column - b.column;
}

export function summarize(findings: readonly Finding[], counts: { files: number; statements: number }) {
  return {
    errors: findings.filter((f) => f.severity === "error").length,
    warnings: findings.filter((f) => f.severity === "warning").length,
    files: counts.files,
    statements: counts.statements,
  };
}

export function countInputErrors(findings: readonly Finding[]): number {
  return findings.filter((f) => metaOf(f.rule).pass === "input").length;
}

/** The stages of the static pass: config, sources, replay with the statement rules, catalog rules. */
export async function analyze(options: CheckOptions = {}): Promise<Analysis> {
  await initSqlParser();
  const targets = (options.paths?.length ? options.paths : ["."]).map((p) => resolve(p));
  for (const target of targets) {
    if (!existsSync(target)) throw new UserError("no such file or directory", displayPath(target));
  }
  const config = resolveConfig(options.config, targets[0] as string);
  const run = new CheckRun(config, options);
  // Models first: a migrations entry may start from the schema they declare (`base: { models: true }`).
  run.readModelSets();
  // A runner lists its folder again for each statement it isolates: read once for the whole pass.
  readingOnce(() => run.readMigrationSets(targets));
  run.runCatalogRules();
  return run.analysis(targets);
}

/** The state one run of the static pass builds up, stage by stage. */
class CheckRun {
  readonly severities: Severities;
  readonly requirements: Requirement[];
  readonly workload: Workload | undefined;
  readonly raw: RawFinding[] = [];
  readonly ignores = new Ignores();
  readonly sets: MigrationSet[] = [];
  readonly modelSets: ModelSet[] = [];
  private readonly keep: (absPath: string) => boolean;
  /** The repository under check: no file outside it is read (src/sources/read.ts). */
  private readonly root: string;
  private readonly words = new Map<string, Words>();
  /** What a runner needs to answer `isolate` for a migration's statements. */
  private readonly isolation = new Map<
    Migration,
    Omit<PendingIsolateRequest, "statement" | "sql"> & { runner: Runner }
  >();
  /** Clause locations of statements generated from code, into that code. */
  private readonly locators = new Map<Statement, (byteLocation: number | undefined) => SourceRange>();
  /** Clause locations of a SQL file's statements, into the file. */
  private readonly fileLocators = new Map<Migration, ReturnType<typeof clauseLocator>>();
  /** For locations no source owns (the config file): the first runner's words. */
  private fallbackWords: Words | undefined;
  private files = 0;
  private statements = 0;
  private fromCache = 0;
  private readonly fileOrder = new Map<string, number>();
  /** Tables a migration used without any creating them, reported once each (per migrations entry). */
  private readonly unknownTables = new Set<string>();
  /** The first statement that builds DDL at run time, which may make tables the replay never sees. */
  private dynamicDdlAt: SourceRange | undefined;
  /** `--cache`: the results of earlier runs (src/cache/results.ts). */
  private readonly cache: ResultCache | undefined;
  /** While a file loads: the inline ignores it adds, for the result cache. */
  private capturedIgnores: InlineIgnore[] | undefined;

  constructor(
    readonly config: LoadedConfig,
    readonly options: CheckOptions,
  ) {
    this.severities = severitiesOf(config);
    this.requirements = config.requiredIndexes.map((entry) => parseRequirement(entry, config.file));
    this.workload = loadWorkload(config);
    const ignoreGlobs = picomatch(config.data.ignore ?? [], { dot: true });
    this.keep = (absPath) => !ignoreGlobs(relative(config.dir, absPath).split("\\").join("/"));
    this.root = repositoryRoot(config.dir);
    if (options.cache !== undefined)
      this.cache = new ResultCache(options.cache || DEFAULT_CACHE_DIR, options.onNote ?? (() => undefined));
  }

  private report(rule: string, finding: RuleFinding): void {
    this.raw.push({ rule, source: "check", finding });
  }

  private inputError(rule: Rule, message: string, range: SourceRange): void {
    const help = rule === syntaxError ? this.wordsFor(range).syntaxErrorHelp : (rule.meta.help ?? "");
    this.report(rule.meta.id, { range, message, help });
  }

  /** Constructs a source could not read statically: each is an unsupported-construct finding. */
  private unsupported(warnings: readonly InputError[] | undefined): void {
    for (const w of warnings ?? []) {
      const { id } = unsupportedConstruct.meta;
      const silence = this.wordsFor(w.range).ignoreComment(id);
      this.report(id, {
        range: w.range,
        message: w.message,
        help: `Write it with literal arguments if you can; otherwise check it by hand, and silence this with \`${silence}\`.`,
      });
    }
  }

  /** Migrations the runner runs that are code: a located note each, never silence. */
  private codeMigrations(runner: Runner, dir: string): void {
    if (!runner.codeMigrations) return;
    const found = runner.codeMigrations(dir).filter((m) => this.keep(m.absPath));
    this.unsupported(
      found.map((m) => ({
        range: { file: displayPath(m.absPath), line: 1, column: 1, endLine: 1, endColumn: 1 },
        message: `This is ${m.what}; pg-index-lint reads SQL only, so the indexes and tables it makes are not in the replay and its statements were not checked.`,
      })),
    );
  }

  wordsFor = (range: SourceRange): Words =>
    this.words.get(range.file) ?? this.fallbackWords ?? SQL_MIGRATION_WORDS;

  readMigrationSets(targets: string[]): void {
    const prepared = migrationEntries(this.config, targets).map((entry) => {
      const runner = entry.runner ? findRunner(entry.runner) : detectRunner(entry.dir);
      if (!runner) {
        throw new UserError(`found no migrations here (looked for ${runnerList()})`, displayPath(entry.dir));
      }
      return { entry, runner, files: runner.list(entry.dir).filter((ref) => this.keep(ref.absPath)) };
    });
    const total = prepared.reduce((n, p) => n + p.files.length, 0);
    for (const { entry, runner, files } of prepared) {
      this.codeMigrations(runner, entry.dir);
      this.fallbackWords ??= runner.words;
      const version = assumeVersion(runner, entry.dir, entry.version);
      const model = runner.modelAt
        ? runner.modelAt(entry.dir, version.version)
        : runner.model(version.version);
      const label = runnerLabel(runner, version);
      const catalog = new Catalog();
      const base = entry.base ? this.loadBase(entry.base) : undefined;
      if (base) this.replay(catalog, base, -1, false);
      this.unknownTables.clear();
      this.dynamicDdlAt = undefined;
      const migrations: Migration[] = [];
      // Downgrades replay the upgrades again, and verify applies their statements: both need the trees.
      const keepTrees = Boolean(this.options.keepSyntaxTrees || this.options.downgrade);
      // The result cache holds no trees, and a code runner reads files besides the migration
      // (Alembic's env.py), and a base from the models depends on them: those run cold.
      const cache =
        this.cache && !keepTrees && !runner.load && !(entry.base && "models" in entry.base)
          ? this.cachedSet(entry.dir, runner, label, model, files, entry.base)
          : undefined;
      const cachedFiles: CachedFile[] = [];
      const checkpoints: SavedCheckpoint[] = [];
      let start = 0;
      if (cache?.resume) {
        start = cache.resume.after;
        // Read from the cache just now: nothing else holds these objects, so no copy is needed.
        catalog.tables.clear();
        for (const [name, table] of cache.resume.catalog.tables) catalog.tables.set(name, table);
        catalog.indexOwners.clear();
        for (const [name, owner] of cache.resume.catalog.indexOwners) catalog.indexOwners.set(name, owner);
        catalog.searchPath = cache.resume.catalog.searchPath;
        for (const name of cache.resume.unknownTables) this.unknownTables.add(name);
        this.dynamicDdlAt = cache.resume.dynamicDdlAt;
      }
      for (const [i, ref] of files.entries()) {
        this.files++;
        this.options.onProgress?.(this.files, total);
        const cached = i < start ? cache?.files[i] : undefined;
        if (cached) {
          // Unchanged, and so is everything before it: what the replay made of it, as it was.
          this.fromCache++;
          this.replayCached(runner, cached);
          migrations.push(cached.migration);
          cachedFiles.push(cached);
          continue;
        }
        const rawBefore = this.raw.length;
        const ignores: InlineIgnore[] = [];
        this.capturedIgnores = ignores;
        const read = cache?.reads[i] ?? readText(ref.absPath, this.root);
        const migration = this.loadMigration(runner, ref, model, label, read);
        this.isolation.set(migration, {
          runner,
          dir: entry.dir,
          ref,
          migration,
          model,
          version: version.version,
        });
        migrations.push(migration);
        // Replay as we go: statement rules see the catalog as it was before each statement.
        this.replay(catalog, migration, migrations.length - 1, true);
        // Temporary tables end with the session that applied the file.
        catalog.dropTemporary();
        this.capturedIgnores = undefined;
        if (!keepTrees) this.release(migration);
        if (cache) {
          const hash = cache.hashes[i];
          // A file that could not be read is read again next time.
          if (hash && "text" in read)
            cachedFiles.push({
              hash,
              stat: cache.stats[i],
              migration,
              raw: this.raw.slice(rawBefore),
              ignores,
            });
          if (cache.positions.has(i + 1) && cachedFiles.length === i + 1)
            checkpoints.push(
              saveCheckpoint(i + 1, cache.key, {
                after: i + 1,
                catalog: {
                  tables: catalog.tables,
                  indexOwners: catalog.indexOwners,
                  searchPath: catalog.searchPath,
                },
                unknownTables: [...this.unknownTables],
                dynamicDdlAt: this.dynamicDdlAt,
              }),
            );
        }
      }
      if (cache && start < files.length) {
        // Checkpoints before the first changed file still hold; the later ones were made anew.
        const kept = (cache.resume ? cache.checkpoints : [])
          .filter((after) => after <= start)
          .map((after) => ({ after }));
        cache.save(cachedFiles, [...kept, ...checkpoints]);
      }
      this.statements += migrations.reduce((n, m) => n + statementCount(m), 0);
      let downgrades: Migration[] | undefined;
      if (this.options.downgrade && runner.load) {
        downgrades = this.loadDowngrades(runner, migrations, files, model, label);
        // The downgrades run against the upgraded schema; the final-state rules keep the upgraded one.
        const scratch = new Catalog();
        if (base) this.replay(scratch, base, -1, false);
        for (const [i, m] of migrations.entries()) this.replay(scratch, m, i, false);
        for (const [i, m] of downgrades.entries()) this.replay(scratch, m, migrations.length + i, true);
        this.statements += downgrades.reduce((n, m) => n + m.statements.length, 0);
      }
      this.sets.push({
        path: displayPath(entry.dir),
        runner: runner.id,
        detected: !entry.runner,
        version,
        versioned: runner.versioned,
        model,
        migrations,
        ...(downgrades ? { downgrades } : {}),
        ...(base ? { base } : {}),
        catalog,
      });
    }
  }

  /**
   * The schema a migrations entry starts from: a SQL file (a pg_dump --schema-only, whose psql
   * meta-commands such as `\restrict` are not SQL and are left out), or the models' schema. Its
   * tables exist before the first migration, so the statement rules do not judge it.
   */
  private loadBase(base: { file: string } | { models: true }): Migration {
    const tx = {
      inTransaction: false,
      reason: "autocommit" as const,
      detail: "the schema the migrations start from",
    };
    if ("models" in base) {
      // Applied by verify as they are declared, a model's foreign key could name a table that
      // comes later: the tables go in the order create_all would make them.
      const statements = inCreateOrder(
        this.modelSets.flatMap((set) => set.files.flatMap((f) => f.statements)),
      );
      return { file: "(the models' schema)", id: "base", runner: "base", statements, errors: [] };
    }
    const file = displayPath(base.file);
    const migration: Migration = { file, id: "base", runner: "base", statements: [], errors: [] };
    if (!this.fileOrder.has(file)) this.fileOrder.set(file, this.fileOrder.size);
    const read = readText(base.file, this.root);
    if ("problem" in read) {
      this.inputError(unreadableFile, read.problem, { file, line: 1, column: 1, endLine: 1, endColumn: 1 });
      return migration;
    }
    const parsed = parseSql(withoutMetaCommands(read.text), file);
    for (const error of parsed.errors) this.inputError(syntaxError, error.message, error.range);
    this.unsupported(parsed.warnings);
    migration.statements = parsed.statements.map((s) => ({ ...s, tx }));
    migration.errors = parsed.errors;
    this.fileLocators.set(migration, clauseLocator(parsed.source));
    this.statements += migration.statements.length;
    return migration;
  }

  /** Reads one migration file into located statements with their transaction context. */
  private loadMigration(
    runner: Runner,
    ref: MigrationFileRef,
    model: TransactionModel,
    label: string,
    read: ReturnType<typeof readText>,
  ): Migration {
    const file = displayPath(ref.absPath);
    this.words.set(file, runner.words);
    if (!this.fileOrder.has(file)) this.fileOrder.set(file, this.fileOrder.size);
    const migration: Migration = { file, id: ref.id, runner: runner.id, statements: [], errors: [] };
    const at: SourceRange = { file, line: 1, column: 1, endLine: 1, endColumn: 1 };
    if ("problem" in read) {
      this.inputError(unreadableFile, read.problem, at);
      return migration;
    }
    try {
      if (runner.load) {
        const loaded = runner.load(read.text, ref, model, label);
        migration.statements = loaded.statements;
        migration.errors = loaded.errors;
        this.addIgnores(loaded.ignores);
        this.unsupported(loaded.warnings);
        for (const [statement, locate] of loaded.locators ?? []) this.locators.set(statement, locate);
      } else {
        const sql = runner.prepare(read.text, ref);
        const parsed = parseSql(sql.sql, file);
        migration.errors = parsed.errors;
        migration.statements = assignTransactions(parsed.statements, model, sql, label);
        this.fileLocators.set(migration, clauseLocator(parsed.source));
        this.addIgnores(parsed.ignores);
        this.unsupported(parsed.warnings);
      }
    } catch (error) {
      // The runner itself would refuse this file; report it and check the others.
      if (!(error instanceof UserError)) throw error;
      this.inputError(invalidMigration, `${error.message}.`, at);
      return migration;
    }
    for (const error of migration.errors) this.inputError(syntaxError, error.message, error.range);
    return migration;
  }

  /**
   * After its replay, without `keepTrees`, a migration is not replayed again: its syntax trees and
   * what located and isolated its statements (the file's text positions) can go.
   */
  private release(migration: Migration): void {
    for (const statement of migration.statements) this.locators.delete(statement);
    releaseTrees(migration);
    this.fileLocators.delete(migration);
    this.isolation.delete(migration);
  }

  private addIgnores(list: readonly InlineIgnore[]): void {
    this.ignores.add(list);
    this.capturedIgnores?.push(...list);
  }

  /** One unchanged file from the result cache: its statements, findings and ignores, as the replay left them. */
  private replayCached(runner: Runner, cached: CachedFile): void {
    const { file } = cached.migration;
    this.words.set(file, runner.words);
    if (!this.fileOrder.has(file)) this.fileOrder.set(file, this.fileOrder.size);
    this.ignores.add(cached.ignores);
    for (const raw of cached.raw) this.raw.push(raw);
  }

  /**
   * The cached results of one migrations entry: each file's hash, where the replay can resume
   * (the last checkpoint at or before the first file that changed), and how to save this run's.
   */
  private cachedSet(
    dir: string,
    runner: Runner,
    label: string,
    model: TransactionModel,
    files: readonly MigrationFileRef[],
    base: { file: string } | { models: true } | undefined,
  ) {
    const cache = this.cache as ResultCache;
    const baseRead = base && "file" in base ? readText(base.file, this.root) : undefined;
    const slot = dir;
    const key = setKey({
      tool: toolVersion(),
      config: this.config.file,
      settings: this.config.data,
      dir: displayPath(dir),
      runner: runner.id,
      label,
      model,
      base: baseRead ? ("text" in baseRead ? fileHash("", "", baseRead.text) : baseRead.problem) : null,
    });
    const startedAt = Date.now();
    const prior = cache.read(slot, key, this.root);
    // A file lstat finds as the cache recorded it keeps its hash unread; the others are read.
    // The folder must still resolve inside the repository, as when the file was first read.
    const inside = prior !== undefined && resolvesInside(dir, this.root);
    const stats = files.map((ref) => fileStat(ref.absPath));
    const reads: (ReturnType<typeof readText> | undefined)[] = files.map((ref, i) =>
      inside && sameFile(stats[i], prior?.files[i]?.stat, prior?.startedAt ?? 0)
        ? undefined
        : readText(ref.absPath, this.root),
    );
    const hashes = reads.map((read, i) => {
      const ref = files[i] as MigrationFileRef;
      if (!read) return prior?.files[i]?.hash;
      return "text" in read ? fileHash(displayPath(ref.absPath), ref.id, read.text) : undefined;
    });
    let same = 0;
    while (
      prior &&
      same < files.length &&
      same < prior.files.length &&
      hashes[same] !== undefined &&
      prior.files[same]?.hash === hashes[same]
    )
      same++;
    // The latest checkpoint at or before the first changed file that can be read.
    let resume: Checkpoint | undefined;
    for (const after of [...(prior?.checkpoints ?? [])].filter((a) => a <= same).sort((a, b) => b - a)) {
      resume = cache.checkpoint(slot, key, after);
      if (resume) break;
    }
    // The texts of the files the replay will read again; the others are not needed.
    for (let i = 0; i < (resume?.after ?? 0); i++) reads[i] = undefined;
    return {
      key,
      hashes,
      reads,
      stats,
      files: prior?.files ?? [],
      checkpoints: prior?.checkpoints ?? [],
      resume,
      positions: checkpointPositions(files.length),
      save: (cachedFiles: CachedFile[], checkpoints: SavedCheckpoint[]) =>
        cache.write(slot, key, startedAt, cachedFiles, checkpoints),
    };
  }

  /** Loads the `downgrade()` of every revision, newest first, for `--downgrade`. */
  private loadDowngrades(
    runner: Runner,
    upgrades: Migration[],
    files: MigrationFileRef[],
    model: TransactionModel,
    label: string,
  ): Migration[] {
    const out: Migration[] = [];
    for (const [i, ref] of [...files.entries()].reverse()) {
      const upgrade = upgrades[i];
      if (!upgrade || !runner.load || upgrade.errors.length > 0) continue;
      let loaded: ReturnType<typeof runner.load>;
      const read = readText(ref.absPath, this.root);
      if ("problem" in read) continue; // already reported for the upgrade
      try {
        loaded = runner.load(read.text, ref, model, label, "downgrade");
      } catch (error) {
        if (error instanceof UserError) continue; // already reported for the upgrade
        throw error;
      }
      this.ignores.add(loaded.ignores);
      this.unsupported(loaded.warnings);
      for (const [statement, locate] of loaded.locators ?? []) this.locators.set(statement, locate);
      for (const error of loaded.errors) this.inputError(syntaxError, error.message, error.range);
      out.push({
        ...upgrade,
        id: `${upgrade.id} (downgrade)`,
        statements: loaded.statements,
        errors: loaded.errors,
      });
    }
    return out;
  }

  /**
   * Replays one migration, running the statement rules on each statement against the catalog as
   * it was before it. A statement a rule predicts PostgreSQL will reject stays out of the catalog.
   */
  private replay(catalog: Catalog, migration: Migration, migrationIndex: number, runRules: boolean): void {
    // A statement PostgreSQL rejects fails its whole transaction: the file sent as one string, the
    // runner's transaction, or the BEGIN block. Only such a statement can make the replay undo
    // what came before it, so the catalog is copied first only when the file has one.
    const risky = migration.statements.some((s) => s.tx.inTransaction && mayBeRejected(s));
    const before = risky ? catalog.clone() : undefined;
    const rejections: Statement[] = [];
    const isolation = this.isolation.get(migration);
    const isolate = isolation
      ? (s: Statement, sql: string[]) => {
          const { runner, ...request } = isolation;
          return isolateWith(runner, { ...request, statement: s, sql });
        }
      : undefined;
    for (const outer of migration.statements) {
      if (runRules) {
        for (const built of dynamicDdl(outer.node, outer.sql)) {
          this.dynamicDdlAt ??= outer.range;
          this.unsupported([
            {
              range: outer.range,
              message: `This statement builds SQL at run time (EXECUTE ${oneLine(built)}), which may create, alter or drop tables or indexes in ways pg-index-lint cannot see; those changes were not checked.`,
            },
          ]);
        }
      }
      // The static DDL of a DO block is checked and replayed statement by statement, located at
      // the DO statement; its SQL is not the file's text, so it gets no text fix.
      const doStmt = nodeAs(outer.node, "DoStmt");
      const units = doStmt
        ? doBlockStatements(doStmt).map(
            ({ node, sql }): Statement => ({ ...outer, node, sql, generated: true }),
          )
        : [outer];
      for (const statement of units) {
        if (runRules && migrationIndex >= 0) this.noteUnknownTables(catalog, statement, migration.runner);
        let rejected = false;
        const context = { statement, catalog, migration, migrationIndex, ...(isolate ? { isolate } : {}) };
        for (const rule of STATEMENT_RULES) {
          for (const raw of rule.checkStatement?.(context) ?? []) {
            const { codeFix, ...found } = raw;
            // A text fix is built from the statement's SQL; generated SQL is not the file's text.
            const finding = statement.generated && found.fix && !codeFix ? withoutFix(found) : found;
            if (runRules) this.report(rule.meta.id, finding);
            // The user may know better (e.g. a runner setting the model cannot see); then the
            // statement is taken to run.
            if (rule.meta.rejectsStatement && !this.ignores.covers(finding.range, rule.meta.id))
              rejected = true;
          }
        }
        if (rejected) rejections.push(outer);
        applyStatement(catalog, statement.node, {
          migration: migrationIndex,
          range: statement.range,
          rejected,
          ...this.locate(statement, doStmt ? undefined : migration),
        });
      }
    }
    if (before && rejections.some((s) => s.tx.inTransaction))
      this.rollBack(catalog, before, migration, migrationIndex, rejections);
  }

  /** A statement that uses a table no migration created: say so once per table. */
  private noteUnknownTables(catalog: Catalog, statement: Statement, runnerId: string): void {
    for (const relation of usedRelations(statement.node)) {
      if (!relation.relname || catalog.resolveRelation(relation)) continue;
      // The runner's own history table exists before the first migration runs.
      const history = findRunner(runnerId)?.historyTables ?? [];
      const name = relation.schemaname ? `${relation.schemaname}.${relation.relname}` : relation.relname;
      if (history.includes(name) || (relation.schemaname === "public" && history.includes(relation.relname)))
        continue;
      if (this.unknownTables.has(name)) continue;
      this.unknownTables.add(name);
      this.report(unknownTable.meta.id, {
        range: statement.range,
        message: this.dynamicDdlAt
          ? `Table "${name}" is used here, but no statement the replay can read creates it: SQL built at run time (from ${this.dynamicDdlAt.file}:${this.dynamicDdlAt.line} on) may make it, or the history starts from a schema the replay does not have, so findings about "${name}" assume it exists, with no indexes.`
          : `Table "${name}" is used here, but no migration before this statement creates it: the history starts from a schema the replay does not have, so findings about "${name}" assume it exists, with no indexes.`,
        help: "Give this migrations entry the schema it starts from in the config, `base: path/to/schema.sql` (a pg_dump --schema-only) or `base: { models: true }`, so that the replay knows the table.",
        table: name,
      });
    }
  }

  /**
   * Replays `migration` again on the catalog as it was before it, leaving out every transaction
   * that a rejected statement fails, as PostgreSQL (and verify) would. The rejected index is kept,
   * marked rejected, so that findings can still say why it does not count.
   */
  private rollBack(
    catalog: Catalog,
    before: Catalog,
    migration: Migration,
    migrationIndex: number,
    rejections: Statement[],
  ): void {
    const failed = new Set<Statement>();
    for (const rejected of rejections) {
      if (!rejected.tx.inTransaction) continue;
      for (const s of transactionOf(migration.statements, rejected)) failed.add(s);
    }
    catalog.restore(before);
    for (const statement of migration.statements) {
      const keepAsRejected = rejections.includes(statement);
      if (failed.has(statement) && !keepAsRejected) continue;
      applyStatement(catalog, statement.node, {
        migration: migrationIndex,
        range: statement.range,
        rejected: keepAsRejected,
        ...this.locate(statement, nodeAs(statement.node, "DoStmt") ? undefined : migration),
      });
    }
  }

  /** Where the replay locates a statement's clauses: into the code behind it, or into its file. */
  private locate(statement: Statement, migration: Migration | undefined) {
    const generated = this.locators.get(statement);
    if (generated) return { locate: generated };
    const file = migration ? this.fileLocators.get(migration) : undefined;
    return file ? { locate: (at: number | undefined) => file(at, statement.range) } : {};
  }

  readModelSets(): void {
    for (const [index, entry] of (this.config.data.models ?? []).entries()) {
      const dir = resolve(this.config.dir, entry.path);
      const at = this.config.where?.(["models", index, "path"]) ?? this.config.file ?? undefined;
      if (!existsSync(dir)) throw new UserError(`models path "${entry.path}" does not exist`, at);
      insideRepository(this.config, dir, `models path ${JSON.stringify(entry.path)}`, at);
      const orm = findOrm(entry.orm);
      if (!orm) throw new UserError(`models: unknown orm "${entry.orm}"`, at);
      const files = this.loadModels(orm, dir, at);
      const catalog = new Catalog();
      files.forEach((modelFile, index) => {
        this.files++;
        this.statements += modelFile.statements.length;
        this.ignores.add(modelFile.ignores);
        this.unsupported(modelFile.warnings);
        for (const error of modelFile.errors) this.inputError(syntaxError, error.message, error.range);
        for (const statement of modelFile.statements) {
          const locate = modelFile.locators.get(statement);
          applyStatement(catalog, statement.node, {
            migration: index,
            range: statement.range,
            ...(locate ? { locate } : {}),
          });
        }
      });
      this.modelSets.push({ path: displayPath(dir), orm: orm.id, files, catalog });
    }
  }

  /** A models entry's files: the folder's that the ORM selects, or the one file the entry names. */
  private loadModels(orm: ModelSource, path: string, at: string | undefined): ModelFile[] {
    const single = !statSync(path).isDirectory();
    const dir = single ? dirname(path) : path;
    const relativePaths = single ? [basename(path)] : filesRecursive(dir).sort();
    if (single && !orm.selects(basename(path)))
      throw new UserError(`models path "${displayPath(path)}" is not one of ${orm.describe}`, at);
    const read: SourceFile[] = [];
    for (const relativePath of relativePaths) {
      if (!single && !orm.selects(relativePath)) continue;
      const absPath = resolve(dir, relativePath);
      if (!this.keep(absPath)) continue;
      const file = displayPath(absPath);
      this.words.set(file, orm.words);
      // Model files read after every migration, though they are loaded first.
      if (!this.fileOrder.has(file)) this.fileOrder.set(file, MODELS_ORDER + this.fileOrder.size);
      const text = readText(absPath, this.root);
      if ("problem" in text) {
        const range = { file, line: 1, column: 1, endLine: 1, endColumn: 1 };
        // A file named on its own must be read; one in a models folder (a package's sources,
        // where an encrypted or generated file can sit) is a note: nothing of it was read.
        if (single) this.inputError(unreadableFile, text.problem, range);
        else this.unsupported([{ range, message: `${text.problem} Its models were not read.` }]);
        continue;
      }
      read.push({ absPath, file, text: text.text });
    }
    const files = orm.load(read, { dir, root: this.config.dir });
    for (const modelFile of files) if (modelFile.words) this.words.set(modelFile.file, modelFile.words);
    return files;
  }

  runCatalogRules(): void {
    // With models only, the models are the schema; with migrations too, the migrated schema is,
    // and the models are compared with it (orm-migration-drift).
    const modelCatalogs = this.modelSets.map((m) => m.catalog);
    const catalogs = this.sets.length > 0 ? this.sets.map((s) => s.catalog) : modelCatalogs;
    const context = {
      catalogs,
      requirements: this.requirements,
      configFile: this.config.file,
      wordsFor: this.wordsFor,
      ...(this.sets.length > 0 && this.modelSets.length > 0 ? { models: modelCatalogs } : {}),
      ...(this.workload ? { queries: { workload: this.workload, sets: this.querySets() } } : {}),
    };
    for (const rule of CATALOG_RULES) {
      for (const finding of rule.checkCatalog?.(context) ?? []) this.report(rule.meta.id, finding);
    }
  }

  /** Each catalog's migrations entry, for the new migration a query-needs-index fix adds. */
  private querySets() {
    return this.sets.map((s) => ({ runner: s.runner, files: s.migrations.map((m) => m.file) }));
  }

  analysis(targets: string[]): Analysis {
    return {
      config: this.config.file,
      settings: this.config,
      requirements: this.requirements,
      ...(this.workload ? { workload: this.workload } : {}),
      sets: this.sets,
      modelSets: this.modelSets,
      raw: this.raw,
      ignores: this.ignores,
      severities: this.severities,
      files: this.files,
      statements: this.statements,
      fromCache: this.fromCache,
      fileTargets: new Set(targets.filter((t) => !statSync(t).isDirectory()).map((t) => displayPath(t))),
      fileOrder: this.fileOrder,
      wordsFor: this.wordsFor,
    };
  }
}

/**
 * The tables a statement alters, indexes or references, that must exist before it (a table it
 * creates does not count). IF EXISTS forms are skipped: they expect the table may be missing.
 */
function usedRelations(node: Statement["node"]): RangeVar[] {
  const out: RangeVar[] = [];
  const index = nodeAs(node, "IndexStmt");
  if (index?.relation) out.push(index.relation);
  const alter = nodeAs(node, "AlterTableStmt");
  if (alter?.relation && alter.objtype === "OBJECT_TABLE" && !alter.missing_ok) {
    out.push(alter.relation);
    for (const cmd of nodesAs(alter.cmds, "AlterTableCmd")) {
      const pk = nodeAs(cmd.def, "Constraint")?.pktable;
      if (pk) out.push(pk);
    }
  }
  const create = nodeAs(node, "CreateStmt");
  if (create) {
    const references = (c: { pktable?: RangeVar } | undefined) => {
      if (c?.pktable && c.pktable.relname !== create.relation?.relname) out.push(c.pktable);
    };
    for (const element of create.tableElts ?? []) {
      references(nodeAs(element, "Constraint"));
      const column = nodeAs(element, "ColumnDef");
      for (const c of column?.constraints ?? []) references(nodeAs(c, "Constraint"));
    }
  }
  return out;
}

/** psql's backslash meta-commands (`\restrict` in a pg_dump, `\c`, `\set`) are not SQL: blanked. */
function withoutMetaCommands(text: string): string {
  return text.replace(/^[ \t]*\\[^\n]*/gm, (line) => " ".repeat(line.length));
}

/** Where model files come in the reading order: after the migrations. */
const MODELS_ORDER = 1_000_000_000;

/** An expression on one line, cut to a readable length. */
function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ");
  return line.length > 80 ? `${line.slice(0, 77)}…` : line;
}

/** Could a rule call this statement rejected (CONCURRENTLY and the like, or DDL inside a DO block)? */
function mayBeRejected(statement: Statement): boolean {
  return cannotRunInTransaction(statement.node) || nodeAs(statement.node, "DoStmt") !== undefined;
}

/**
 * The statements that share `statement`'s transaction: the run of neighbours with the same
 * transaction context (one string, the runner's transaction, or one BEGIN … COMMIT block).
 */
function transactionOf(statements: readonly Statement[], statement: Statement): Statement[] {
  const at = statements.indexOf(statement);
  const same = (s: Statement | undefined) =>
    s?.tx.inTransaction === true &&
    s.tx.reason === statement.tx.reason &&
    s.tx.detail === statement.tx.detail;
  let first = at;
  let last = at;
  if (statement.tx.reason === "explicit") {
    // A block runs from its BEGIN to the statement that ends it; details differ along the way.
    while (
      first > 0 &&
      statements[first - 1]?.tx.reason === "explicit" &&
      !opensBlock(transactionControl((statements[first] as Statement).node))
    )
      first--;
    while (
      last < statements.length - 1 &&
      statements[last + 1]?.tx.reason === "explicit" &&
      !endsBlock(transactionControl((statements[last] as Statement).node))
    )
      last++;
  } else {
    while (same(statements[first - 1])) first--;
    while (same(statements[last + 1])) last++;
  }
  return statements.slice(first, last + 1);
}

function withoutFix(finding: RuleFinding): RuleFinding {
  const { fix: _fix, ...rest } = finding;
  return rest;
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
