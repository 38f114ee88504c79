/**
 * The `pg-index-lint` command line (DESIGN.md §5). Thin: it parses arguments, calls `check()`,
 * formats, and maps the result to an exit code. 0 clean, 1 findings at or over --fail-on,
 * 2 usage, config or input error.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { UserError } from "./errors.js";
import { initConfig } from "./init.js";
import { changedSince } from "./policy/scope.js";
import { FAIL_ON } from "./policy/verdict.js";
import { FORMATS, reporterFor } from "./report/index.js";
import { DOCUMENTED_RULES } from "./rules/index.js";
import { type RunOptions, run } from "./run.js";
import { toolVersion } from "./version.js";

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

const USAGE = `Usage:
  pg-index-lint check  [PATH…] [--config F] [--format text|json|sarif|gitlab|github|markdown]
                       [--fail-on error|warning|never]
                       [--baseline F] [--changed-since REF] [--downgrade]
  pg-index-lint verify [PATH…] [same flags] [--database-url URL] [--use-existing-database]
                       [--timeout SECONDS] [--statement-timeout SECONDS] [--keep-going]
  pg-index-lint rules  [RULE]
  pg-index-lint init

Exit codes: 0 clean, 1 findings at or over --fail-on, 2 usage, config or input error.`;

export async function main(argv: string[], io: Io): Promise<number> {
  const debug = argv.includes("--debug");
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UserError) {
      io.stderr.write(`pg-index-lint: ${error.format()}\n`);
      if (debug && error.stack) io.stderr.write(`${error.stack}\n`);
      return 2;
    }
    throw error;
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "check":
      return runCheck(rest, io, "check");
    case "verify":
      return runCheck(rest, io, "verify");
    case "rules":
      return showRules(rest, io);
    case "init":
      io.stdout.write(initConfig(process.cwd()));
      return 0;
    case "--help":
    case "-h":
    case "help":
      io.stdout.write(`${USAGE}\n`);
      return 0;
    case "--version":
      io.stdout.write(`${toolVersion()}\n`);
      return 0;
    default:
      io.stderr.write(`${command ? `pg-index-lint: unknown command "${command}"\n` : ""}${USAGE}\n`);
      return 2;
  }
}

async function runCheck(args: string[], io: Io, mode: "check" | "verify"): Promise<number> {
  let parsed: ReturnType<typeof parseCheckArgs>;
  try {
    parsed = parseCheckArgs(args, mode);
  } catch (error) {
    throw new UserError(error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error));
  }
  const { values, positionals } = parsed;
  const format = oneOf("--format", values.format ?? "text", FORMATS);
  const failOn = oneOf("--fail-on", values["fail-on"] ?? "error", FAIL_ON);
  const reporter = reporterFor(format);
  if (!reporter) throw new Error(`no reporter for ${format}`);
  const progress = io.stderr.isTTY ? progressLine(io.stderr) : undefined;
  const options: RunOptions = {
    command: mode,
    paths: positionals,
    failOn,
    env: io.env,
    ...(values.config ? { config: values.config } : {}),
    ...(values.downgrade ? { downgrade: true } : {}),
    ...(values.baseline ? { baseline: values.baseline } : {}),
    ...(values["changed-since"] ? { changed: changedSince(values["changed-since"]) } : {}),
    ...(progress ? { onProgress: progress.update } : {}),
    ...(values["database-url"] ? { databaseUrl: values["database-url"] } : {}),
    ...(values["use-existing-database"] ? { useExistingDatabase: true } : {}),
    ...(values["keep-going"] ? { keepGoing: true } : {}),
    ...(values.timeout ? { timeoutMs: seconds("--timeout", values.timeout) } : {}),
    ...(values["statement-timeout"]
      ? { statementTimeoutMs: seconds("--statement-timeout", values["statement-timeout"]) }
      : {}),
    ...(io.stderr.isTTY ? { onMigration: (line: string) => io.stderr.write(`\r\x1b[K${line}`) } : {}),
  };
  const report = await run(options);
  progress?.done();
  if (mode === "verify" && io.stderr.isTTY) io.stderr.write("\r\x1b[K");
  io.stdout.write(reporter.render(report, { color: useColor(io) }));
  // Findings explain themselves; a verify stopped by a time limit says so on stderr.
  const { verdict } = report;
  if (verdict.cause === "statement-timeout" || verdict.cause === "timeout")
    io.stderr.write(`pg-index-lint: ${verdict.reason}\n`);
  return verdict.exitCode;
}

function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UserError(`${flag} takes a number of seconds (got "${value}")`);
  return n * 1000;
}

const VERIFY_ONLY = [
  "database-url",
  "use-existing-database",
  "timeout",
  "statement-timeout",
  "keep-going",
] as const;

function parseCheckArgs(args: string[], mode: "check" | "verify") {
  const parsed = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      format: { type: "string" },
      "fail-on": { type: "string" },
      baseline: { type: "string" },
      "changed-since": { type: "string" },
      debug: { type: "boolean" },
      "database-url": { type: "string" },
      "use-existing-database": { type: "boolean" },
      timeout: { type: "string" },
      "statement-timeout": { type: "string" },
      "keep-going": { type: "boolean" },
      downgrade: { type: "boolean" },
    },
  });
  const misplaced =
    mode === "check" ? VERIFY_ONLY.find((flag) => parsed.values[flag] !== undefined) : undefined;
  if (misplaced) throw new Error(`--${misplaced} is an option of \`verify\`, not \`check\``);
  return parsed;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UserError(`${flag} must be one of ${allowed.join(", ")} (got "${value}")`);
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

function showRules(args: string[], io: Io): number {
  const [id] = args;
  const metas = DOCUMENTED_RULES.map((r) => r.meta);
  if (!id) {
    const width = Math.max(...metas.map((m) => m.id.length));
    for (const m of metas)
      io.stdout.write(`${m.id.padEnd(width)}  ${m.defaultSeverity.padEnd(7)}  ${m.summary}\n`);
    return 0;
  }
  const meta = metas.find((m) => m.id === id);
  if (!meta?.docs) throw new UserError(`unknown rule "${id}"; run \`pg-index-lint rules\` for the list`);
  const page = new URL(`../${meta.docs}`, import.meta.url);
  io.stdout.write(existsSync(page) ? readFileSync(page, "utf8") : `${meta.id}: ${meta.summary}\n`);
  return 0;
}
