/**
 * The `pg-index-lint` command line (DESIGN.md §5), a thin caller of `run()`: it turns arguments
 * into `RunOptions`, renders the `Report` with the chosen reporter, and exits with the verdict
 * `run()` decided. 0 clean, 1 findings at or over --fail-on, 2 usage, config or input error, 3 a bug.
 *
 * Only what `--version` and `--help` need is loaded up front; the pipeline loads for a command
 * that uses it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { closest } from "./did-you-mean.js";
import { UserError } from "./errors.js";
import { terminalLine } from "./report/escape.js";
import { gitTopLevel } from "./sources/read.js";
import { toolVersion } from "./version.js";

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

const FAIL_ON = ["error", "warning", "never"] as const;

interface RunFlags {
  config?: string;
  format: string;
  failOn: string;
  baseline?: string;
  changedSince?: string;
  downgrade?: boolean;
  databaseUrl?: string;
  useExistingDatabase?: boolean;
  timeout?: string;
  statementTimeout?: string;
  keepGoing?: boolean;
  trustMigrations?: boolean;
  cleanup?: boolean;
  verbose?: boolean;
  lockThreshold?: string;
  cache?: string | boolean;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const debug = argv.includes("--debug");
  let exit = 0;
  const program = buildProgram(io, (code) => {
    exit = code;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return exit;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; a usage error was printed as one line.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UserError) {
      io.stderr.write(`pg-index-lint: ${error.format()}\n`);
      if (debug && error.stack) io.stderr.write(`${error.stack}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(
      `pg-index-lint: internal error: ${message.split("\n")[0]} (this is a bug in pg-index-lint; rerun with --debug for the stack, and please report it)\n`,
    );
    if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return 3;
  }
}

function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command("pg-index-lint")
    .description("Keeps PostgreSQL schema changes from hurting production.")
    .version(toolVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .addHelpCommand(false)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // One line, in the tool's own voice: "error: unknown option '--formt'\n(Did you mean --format?)".
      outputError: (text, write) =>
        write(
          `pg-index-lint: ${text
            .replace(/^error: /, "")
            .replace(/\s*\n\(Did you mean (.*)\?\)/, " (did you mean $1?)")
            .trim()}\n`,
        ),
    })
    .addOption(new Option("--debug", "show stacks on errors").hideHelp());

  const runCommand = (name: "check" | "verify", summary: string) => {
    const command = program
      .command(name)
      .description(summary)
      .argument("[path...]", "where the config is looked up from (and, without one, the migrations folder)")
      .option("-c, --config <file>", "the config file (default: .pg-index-lint.yml, found walking up)")
      .option("-f, --format <format>", "text, json, sarif, gitlab, github or markdown", "text")
      .option("--fail-on <level>", "the level that fails the run: error, warning or never", "error")
      .option("--baseline <file>", "a previous --format json report whose findings are not reported again")
      .option("--changed-since <ref>", "report only what the files changed since this git ref answer for")
      .option("--downgrade", "also check each Alembic revision's downgrade()")
      .addOption(new Option("--debug", "show stacks on errors").hideHelp());
    if (name === "check")
      command.option(
        "--cache [dir]",
        "reuse what earlier runs made of unchanged migrations (default folder: .pg-index-lint-cache)",
      );
    if (name === "verify") {
      command
        .option("--database-url <url>", "a PostgreSQL server to verify on (default: embedded PGlite)")
        .option(
          "--use-existing-database",
          "use the URL's database when it is empty and the role cannot create one",
        )
        .option("--timeout <seconds>", "stop applying migrations after this long")
        .option("--statement-timeout <seconds>", "the longest one statement may run")
        .option("--keep-going", "apply later migrations after a failure, where the runner would stop")
        .option(
          "--trust-migrations",
          "apply the migrations as the URL's role, not a throwaway one with no other rights (only for SQL you trust)",
        )
        .option("--cleanup", "drop scratch databases and roles that earlier runs left behind, then stop")
        .option("--verbose", "list every statement verify ran, with its locks, not only those worth a look")
        .option(
          "--lock-threshold <ms>",
          "list a statement that held any lock longer than this, whatever the lock (default: 1000)",
        );
    }
    command.action(async (paths: string[], flags: RunFlags) => {
      setExit(flags.cleanup ? await cleanup(flags, io) : await runPasses(name, paths, flags, io));
    });
  };
  runCommand("check", "lint the migrations and models statically: no database needed");
  runCommand("verify", "check, then apply the migrations to a real PostgreSQL and prove the indexes");

  program
    .command("rules")
    .description("list the rules, or print one rule's page")
    .argument("[rule]", "a rule id")
    .action(async (rule: string | undefined) => {
      setExit(await showRules(rule, io));
    });

  program
    .command("suggest")
    .description(
      "print the indexes the config's queries need as a required-indexes block to paste into the config",
    )
    .argument("[path...]", "where the config is looked up from")
    .option("-c, --config <file>", "the config file (default: .pg-index-lint.yml, found walking up)")
    .action(async (paths: string[], flags: { config?: string }) => {
      const { suggest } = await import("./queries/suggest.js");
      const result = await suggest({ paths, ...(flags.config ? { config: flags.config } : {}) });
      io.stdout.write(result.yaml);
      if (!result.count)
        io.stderr.write("pg-index-lint: every query the config names is served by an index\n");
      setExit(0);
    });

  program
    .command("init")
    .description(
      "find the PostgreSQL migrations and models of the repository at dir (default: here), write .pg-index-lint.yml there, and run a first check",
    )
    .argument("[dir]", "the repository root", ".")
    .action(async (dir: string) => {
      const { initConfig } = await import("./init.js");
      const result = await initConfig(dir, { env: io.env });
      io.stdout.write(result.stdout);
      io.stderr.write(result.stderr);
      setExit(result.code);
    });
  return program;
}

async function runPasses(
  mode: "check" | "verify",
  paths: string[],
  flags: RunFlags,
  io: Io,
): Promise<number> {
  const [{ run }, { changedSince }, { FORMATS, reporterFor }] = await Promise.all([
    import("./run.js"),
    import("./policy/scope.js"),
    import("./report/index.js"),
  ]);
  const format = oneOf("--format", flags.format, FORMATS);
  const failOn = oneOf("--fail-on", flags.failOn, FAIL_ON);
  const reporter = reporterFor(format);
  if (!reporter) throw new Error(`no reporter for ${format}`);
  const progress = io.stderr.isTTY ? progressLine(io.stderr) : undefined;
  const report = await run({
    command: mode,
    paths,
    failOn,
    env: io.env,
    ...(flags.config ? { config: flags.config } : {}),
    ...(flags.downgrade ? { downgrade: true } : {}),
    ...(flags.cache ? { cache: flags.cache === true ? "" : flags.cache } : {}),
    ...(flags.baseline ? { baseline: flags.baseline } : {}),
    ...(flags.changedSince ? { changed: changedSince(flags.changedSince) } : {}),
    ...(progress ? { onProgress: progress.update } : {}),
    ...(flags.databaseUrl ? { databaseUrl: flags.databaseUrl } : {}),
    ...(flags.useExistingDatabase ? { useExistingDatabase: true } : {}),
    ...(flags.keepGoing ? { keepGoing: true } : {}),
    ...(flags.trustMigrations ? { trustMigrations: true } : {}),
    // What verify does on the server (its scratch database and role, leftovers, limits) goes to
    // stderr, so that stdout stays the report.
    onNote: (line: string) => io.stderr.write(`pg-index-lint note: ${terminalLine(line)}\n`),
    ...(flags.timeout ? { timeoutMs: seconds("--timeout", flags.timeout) } : {}),
    ...(flags.statementTimeout
      ? { statementTimeoutMs: seconds("--statement-timeout", flags.statementTimeout) }
      : {}),
    ...(io.stderr.isTTY ? { onMigration: (line: string) => io.stderr.write(`\r\x1b[K${line}`) } : {}),
  });
  progress?.done();
  if (mode === "verify" && io.stderr.isTTY) io.stderr.write("\r\x1b[K");
  const repoRoot = repositoryRoot(io.env);
  writeInParts(
    io.stdout,
    reporter.render(report, {
      color: useColor(io),
      ...(repoRoot ? { repoRoot } : {}),
      width: io.stdout.isTTY && io.stdout.columns ? io.stdout.columns : 100,
      ...(flags.verbose ? { verbose: true } : {}),
      ...(flags.lockThreshold
        ? { lockThresholdMs: milliseconds("--lock-threshold", flags.lockThreshold) }
        : {}),
    }),
  );
  // Findings explain themselves; a verify stopped by a time limit says so on stderr.
  const { verdict } = report;
  if (verdict.cause === "statement-timeout" || verdict.cause === "timeout")
    io.stderr.write(`pg-index-lint: ${verdict.reason}\n`);
  return verdict.exitCode;
}

/** `verify --cleanup`: drops what earlier runs left on the server, and says what. */
async function cleanup(flags: RunFlags, io: Io): Promise<number> {
  const { chooseDatabaseUrl, cleanupLeftovers } = await import("./verify/connect.js");
  const url = chooseDatabaseUrl({
    ...(flags.databaseUrl ? { databaseUrl: flags.databaseUrl } : {}),
    env: io.env,
  });
  if (!url)
    throw new UserError("--cleanup needs a server: give --database-url or PG_INDEX_LINT_DATABASE_URL");
  const report = await cleanupLeftovers(url, { onProgress: (line) => io.stdout.write(`${line}\n`) });
  if (report.dropped.length === 0 && report.kept.length === 0) io.stdout.write("no leftovers found\n");
  return 0;
}

/**
 * The repository root, for paths that code hosts read relative to it (SARIF, GitLab, workflow
 * commands): the Action's workspace, else git's top level, else none (the working directory).
 */
function repositoryRoot(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GITHUB_WORKSPACE) return env.GITHUB_WORKSPACE;
  // git's top level is the first folder upwards that holds `.git` (a folder in a clone, a file
  // in a worktree or submodule), with its links resolved. Found without starting git, which costs
  // more than the rest of a small run, unless the environment moves git's folders.
  if (!env.GIT_DIR && !env.GIT_WORK_TREE) return gitTopLevel(process.cwd());
  try {
    return execFileSync("git", ["rev-parse", "--show-toplevel"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
}

function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UserError(`${flag} takes a number of seconds (got "${value}")`);
  return n * 1000;
}

function milliseconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new UserError(`${flag} takes a number of milliseconds (got "${value}")`);
  return n;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const near = closest(value, allowed);
  throw new UserError(
    `${flag} must be one of ${allowed.join(", ")} (got "${value}"${near ? `; did you mean ${near}?` : ""})`,
  );
}

function useColor(io: Io): boolean {
  if (io.env.NO_COLOR) return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== "0") return true;
  return Boolean(io.stdout.isTTY);
}

/** A single updating line on stderr, only when there are enough files for it to matter. */
function progressLine(stream: NodeJS.WritableStream) {
  let shown = false;
  let last = 0;
  return {
    update(done: number, total: number) {
      if (total <= 500) return;
      const now = Date.now();
      if (done !== total && now - last < 100) return;
      last = now;
      shown = true;
      stream.write(`\rchecking ${done}/${total} files…`);
    },
    done() {
      if (shown) stream.write("\r\x1b[K");
    },
  };
}

async function showRules(id: string | undefined, io: Io): Promise<number> {
  const { DOCUMENTED_RULES } = await import("./rules/index.js");
  const metas = DOCUMENTED_RULES.map((r) => r.meta);
  if (!id) {
    const width = Math.max(...metas.map((m) => m.id.length));
    for (const m of metas)
      io.stdout.write(`${m.id.padEnd(width)}  ${m.defaultSeverity.padEnd(7)}  ${m.summary}\n`);
    return 0;
  }
  const meta = metas.find((m) => m.id === id);
  if (!meta?.docs) {
    const near = closest(
      id,
      metas.map((m) => m.id),
    );
    throw new UserError(
      `unknown rule "${id}"${near ? ` (did you mean ${near}?)` : ""}; run \`pg-index-lint rules\` for the list`,
    );
  }
  const page = new URL(`../${meta.docs}`, import.meta.url);
  io.stdout.write(existsSync(page) ? readFileSync(page, "utf8") : `${meta.id}: ${meta.summary}\n`);
  return 0;
}

/**
 * Writes a report of any size in parts of about 1 MiB: written at once, a JSON report of 3,000
 * migrations (3 MB) is copied whole into one more buffer while the findings are still held, 8 MiB
 * more peak memory. A part never ends inside a surrogate pair, so the bytes are the same.
 */
export function writeInParts(stream: { write(text: string): unknown }, text: string, size = 1 << 20): void {
  let at = 0;
  while (at < text.length) {
    let end = Math.min(at + size, text.length);
    const code = text.charCodeAt(end);
    if (end < text.length && code >= 0xdc00 && code <= 0xdfff) end++;
    stream.write(text.slice(at, end));
    at = end;
  }
}
