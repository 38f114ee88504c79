/**
 * The run snapshot of `check --cache`: what one whole run printed, and everything it looked at
 * to print it. A later run with the same arguments, settings and tool looks at the same things
 * again (cheaply: a file whose size, inode and modification time are unchanged is not read) and,
 * when each is as it was, prints the same output without loading the pipeline.
 *
 * What the run looked at is observed, not declared: while a run that may be snapshotted goes,
 * the file-system calls the pipeline uses (read, list, stat, exists, realpath, open) and the
 * commands it runs (git) are wrapped, and each answer is recorded. Observing at that level means
 * a new source, a config's `extends` or a rule that reads one more file cannot be forgotten.
 * Reads of the tool's own files and of the cache folder are not recorded: the tool's build is
 * part of the key, and the cache is not an input.
 *
 * Like the result cache (./results.ts), a snapshot is a hint, never trusted: one that cannot be
 * read, does not parse, has another key, or lies in a folder git tracks is passed over, and the
 * run is a full one. This module loads before the pipeline: it and the two it imports (the result
 * cache's stat test, git's top level) use Node's built-ins only.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gitTopLevel } from "../sources/read.js";
import { fileStat, RACY_MS, sameFile, tracksAny, writeAll } from "./results.js";

const FORMAT = "pg-index-lint run snapshot 1";

/** The calls as Node has them, taken before a recorder wraps them: looking must not be recorded. */
const real = {
  readFileSync: fs.readFileSync,
  readdirSync: fs.readdirSync,
  statSync: fs.statSync,
  lstatSync: fs.lstatSync,
  existsSync: fs.existsSync,
  realpathSync: fs.realpathSync,
  mkdirSync: fs.mkdirSync,
  writeFileSync: fs.writeFileSync,
  renameSync: fs.renameSync,
  rmSync: fs.rmSync,
};

type ChildProcess = typeof import("node:child_process");
let childProcessModule: ChildProcess | undefined;
let realExecFileSync: ChildProcess["execFileSync"] | undefined;

/**
 * node:child_process, loaded when first needed: a replay that runs no git need not load it (6 ms
 * of a replay's 0.1 s). Its `execFileSync` as Node has it is kept then, before a recorder wraps it.
 */
function loadChildProcess(): ChildProcess {
  if (!childProcessModule) {
    childProcessModule = createRequire(import.meta.url)("node:child_process") as ChildProcess;
    realExecFileSync = childProcessModule.execFileSync;
  }
  return childProcessModule;
}
/** Snapshots kept per cache folder (one per distinct command line and settings). */
const KEEP = 8;

/** The environment variables that change what `check` prints. */
const ENV_KEYS = [
  "NO_COLOR",
  "FORCE_COLOR",
  "GITHUB_WORKSPACE",
  "GITHUB_REPOSITORY",
  "GITHUB_ACTION_REF",
  "GITHUB_ACTION_REPOSITORY",
  "RUNNER_TEMP",
];

/** One thing the run looked at, and what it saw. */
export type Observation =
  | {
      kind: "read";
      path: string;
      hash: string;
      /** A regular file (its stat can vouch for it) or a symbolic link (its content is compared). */
      link: boolean;
      size: number;
      mtimeMs: number;
      ino: number;
    }
  | { kind: "list" | "stat" | "lstat" | "exists" | "real"; path: string; seen: string }
  | { kind: "exec"; command: string; args: string[]; cwd: string; seen: string };

/**
 * A snapshot file is this header as one line of JSON, then the bytes the run wrote to stdout, as
 * they are: a warm run copies them out without decoding them.
 */
export interface SnapshotHeader {
  format: typeof FORMAT;
  key: string;
  /** When the recorded run started (ms since the epoch). */
  startedAt: number;
  exitCode: number;
  /** The length and hash of the stdout bytes after the header line. */
  stdoutBytes: number;
  stdoutHash: string;
  observations: Observation[];
}

export interface Replay {
  exitCode: number;
  stdout: Buffer;
}

/** The parts of the tool's folder that are the tool (see `Recorder.own`). */
const TOOL_PARTS = ["package.json", "bin", "build", "node_modules", "rules", "schema"];

/** What decides a run's output besides what it reads: the command line, place, settings, tool. */
export interface RunContext {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  columns: number | undefined;
  /** The tool's own folder (its package root): its build and dependencies are the tool, not input. */
  toolRoot: string;
}

/**
 * The folder of `check --cache [DIR]` in `argv`, as commander reads it (an optional value: the
 * next argument unless it starts with a dash), or undefined when the run is not `check --cache`.
 */
export function cacheDirOf(argv: readonly string[], cwd: string): string | undefined {
  if (argv[0] !== "check") return undefined;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") return undefined;
    if (arg.startsWith("--cache="))
      return resolve(cwd, arg.slice("--cache=".length) || ".pg-index-lint-cache");
    if (arg === "--cache") {
      const next = argv[i + 1];
      return resolve(cwd, next !== undefined && !next.startsWith("-") ? next : ".pg-index-lint-cache");
    }
  }
  return undefined;
}

/** The key of a run: everything besides its inputs that decides what it prints. */
export function runKey(context: RunContext): string {
  const stamp = (file: string) => {
    try {
      const s = real.statSync(join(context.toolRoot, file));
      return [s.size, s.mtimeMs];
    } catch {
      return null;
    }
  };
  const env = Object.fromEntries(
    Object.keys(context.env)
      .filter((k) => ENV_KEYS.includes(k) || k.startsWith("PG_INDEX_LINT_"))
      .sort()
      .map((k) => [k, context.env[k]]),
  );
  return sha256(
    JSON.stringify({
      format: FORMAT,
      node: process.version,
      tool: [stamp("package.json"), stamp("build/cli-bundle.js"), stamp("build/cli.js")],
      argv: context.argv,
      cwd: context.cwd,
      env,
      tty: [context.stdoutIsTTY, context.stderrIsTTY, context.stdoutIsTTY ? context.columns : null],
    }),
  );
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function snapshotPath(cacheDir: string, key: string): string {
  return join(cacheDir, `run-${key.slice(0, 24)}.snap`);
}

/**
 * The snapshot of this run's key in `cacheDir` when everything it observed is still as it was,
 * else undefined. Never throws: anything unexpected means "run in full".
 */
export function replayable(cacheDir: string, context: RunContext): Replay | undefined {
  try {
    const key = runKey(context);
    const bytes = real.readFileSync(snapshotPath(cacheDir, key));
    const end = bytes.indexOf(10);
    if (end < 0) return undefined;
    const header = JSON.parse(bytes.subarray(0, end).toString("utf8")) as Partial<SnapshotHeader>;
    if (header.format !== FORMAT || header.key !== key || !Array.isArray(header.observations))
      return undefined;
    if (header.exitCode !== 0 && header.exitCode !== 1) return undefined;
    const stdout = bytes.subarray(end + 1);
    if (stdout.length !== header.stdoutBytes) return undefined;
    const startedAt = Number(header.startedAt);
    // Most likely changed first, so that a stale snapshot costs little: a new or removed file (a
    // folder listing), then the files read last (the newest migrations, the ones being edited).
    // The commands come last, and only once the cache folder is known not to come from the
    // repository under check: a snapshot from there could name any command.
    const order = [...header.observations].reverse().sort((a, b) => rank(a) - rank(b));
    let tracked: boolean | undefined;
    for (const o of order) {
      if (o.kind === "exec") {
        tracked ??= trackedByGit(cacheDir);
        if (tracked) return undefined;
      }
      if (!stillSo(o, startedAt, cacheDir)) return undefined;
    }
    if (tracked ?? trackedByGit(cacheDir)) return undefined;
    if (sha256(stdout) !== header.stdoutHash) return undefined;
    return { exitCode: header.exitCode, stdout };
  } catch {
    return undefined;
  }
}

/** Observations of a kind that changes more often come first: listings, then files read; commands last. */
function rank(o: Observation): number {
  if (o.kind === "list") return 0;
  if (o.kind === "read" || o.kind === "lstat" || o.kind === "stat") return 1;
  return o.kind === "exec" ? 3 : 2;
}

/**
 * Does git track a file of the cache folder? A snapshot that came with the repository under
 * check could print "no findings" for any change, so a tracked one is never used.
 */
function trackedByGit(cacheDir: string): boolean {
  // Both with links resolved, as git's top level is: the one is then a prefix of the other.
  const dir = real.realpathSync.native(cacheDir);
  const top = gitTopLevel(dir);
  return top !== undefined && tracksAny(top, dir);
}

/** Is the thing observed as it was when the snapshot was recorded? */
function stillSo(o: Observation, startedAt: number, cacheDir: string): boolean {
  switch (o.kind) {
    case "read": {
      if (o.link) return contentHash(o.path) === o.hash;
      // Still a regular file, and the same one (the result cache's test), else the same content.
      const now = fileStat(o.path);
      return now !== undefined && (sameFile(now, o, startedAt) || contentHash(o.path) === o.hash);
    }
    case "exec":
      // The tool runs git and nothing else: a snapshot that names another command is not its own.
      return o.command === "git" && execSeen(o.command, o.args, o.cwd) === o.seen;
    default: {
      if (see(o.kind, o.path, cacheDir) !== o.seen) return false;
      // A file whose stat was taken for its content, modified around when the run started.
      const mtime = o.seen.startsWith("file:") ? Number(o.seen.split(":")[3]) : Number.NEGATIVE_INFINITY;
      return !(mtime >= startedAt - RACY_MS);
    }
  }
}

function statOrNull(path: string): fs.Stats | null {
  try {
    return real.statSync(path);
  } catch {
    return null;
  }
}

function contentHash(path: string): string {
  try {
    return sha256(real.readFileSync(path));
  } catch (error) {
    return `!${(error as { code?: string }).code ?? "error"}`;
  }
}

function kindOf(s: fs.Stats | undefined | null): string {
  if (!s) return "missing";
  // A file's size, inode and modification time: a run that only stats a file may still decide
  // by it (the result cache takes an unchanged stat for unchanged content).
  if (s.isFile()) return `file:${s.size}:${s.ino}:${s.mtimeMs}`;
  if (s.isDirectory()) return "dir";
  if (s.isSymbolicLink()) return "link";
  return "other";
}

/** What a path looks like to one kind of call, as a string to compare. */
function see(kind: "list" | "stat" | "lstat" | "exists" | "real", path: string, cacheDir: string): string {
  try {
    switch (kind) {
      case "list":
        // Names only: what a listed file is, is observed where the run looked at it. The cache
        // folder is made by the first run under --cache: it is not the repository's.
        return real
          .readdirSync(path)
          .filter((name) => join(path, name) !== cacheDir)
          .sort()
          .join("/");
      case "stat":
        return kindOf(real.statSync(path, { throwIfNoEntry: false }));
      case "lstat":
        return kindOf(real.lstatSync(path, { throwIfNoEntry: false }));
      case "exists":
        return String(real.existsSync(path));
      case "real":
        return real.realpathSync.native(path);
    }
  } catch (error) {
    return `!${(error as { code?: string }).code ?? "error"}`;
  }
}

function execSeen(command: string, args: string[], cwd: string): string {
  try {
    loadChildProcess();
    const out = (realExecFileSync as ChildProcess["execFileSync"])(command, args, {
      cwd,
      encoding: "buffer",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return sha256(out);
  } catch (error) {
    return `!${(error as { status?: number }).status ?? "error"}`;
  }
}

/** A path argument as the absolute path it names, or undefined for a descriptor. */
function pathArg(arg: unknown, cwd: string): string | undefined {
  if (typeof arg === "string") return resolve(cwd, arg);
  if (arg instanceof URL) return arg.protocol === "file:" ? fileURLToPath(arg) : undefined;
  if (Buffer.isBuffer(arg)) return resolve(cwd, arg.toString());
  return undefined;
}

/** Is `path` `dir` or inside it? Both are absolute and normalized (`resolve` made them). */
function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);
}

/** Records what a run looks at, until `stop()`; then `save()` writes the snapshot. */
export class Recorder {
  private readonly seen = new Map<string, Observation>();
  private readonly restore: Array<() => void> = [];
  private readonly startedAt = Date.now();
  private readonly key: string;
  /** Set when the run did something a snapshot cannot stand for: nothing is saved then. */
  private spoiled = false;

  constructor(
    private readonly cacheDir: string,
    private readonly context: RunContext,
  ) {
    this.key = runKey(context);
    this.own = TOOL_PARTS.map((part) => join(context.toolRoot, part));
    this.wrap();
  }

  /**
   * Set while a wrapped call runs or an observation is made: Node's own `readFileSync` calls
   * `fs.openSync`, and looking at a file reads it, and neither is the run's own look.
   */
  private busy = false;

  /**
   * The tool's own files: its build, its dependencies, its rule pages. Only these, not its whole
   * folder: run from a checkout of the tool, the repository under check may be inside it.
   */
  private readonly own: string[];

  private wanted(path: string | undefined): path is string {
    return (
      !this.busy &&
      path !== undefined &&
      !this.own.some((dir) => isUnder(path, dir)) &&
      !isUnder(path, this.cacheDir)
    );
  }

  /** Runs `call` with the wrappers passing through. */
  private quietly<T>(call: () => T): T {
    const was = this.busy;
    this.busy = true;
    try {
      return call();
    } finally {
      this.busy = was;
    }
  }

  private note(o: Observation): void {
    const id =
      o.kind === "exec" ? `exec\0${o.cwd}\0${o.command}\0${o.args.join("\0")}` : `${o.kind}\0${o.path}`;
    if (!this.seen.has(id)) this.seen.set(id, o);
  }

  private noteRead(path: string, bytes?: Uint8Array): void {
    if (this.seen.has(`read\0${path}`)) return;
    const link = real.lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
    const s = statOrNull(path);
    if (!s?.isFile()) {
      // A read that failed, or of something that is not a file: what it looks like is the input.
      this.note({ kind: "stat", path, seen: see("stat", path, this.cacheDir) });
      return;
    }
    const hash = bytes ? sha256(bytes) : contentHash(path);
    this.note({ kind: "read", path, hash, link, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino });
  }

  private wrap(): void {
    const cwd = this.context.cwd;
    const replace = <K extends keyof typeof fs>(
      name: K,
      make: (original: (typeof fs)[K]) => (typeof fs)[K],
    ) => {
      const original = fs[name];
      const wrapped = make(original);
      for (const [k, v] of Object.entries(original as object)) (wrapped as Record<string, unknown>)[k] = v;
      (fs as Record<string, unknown>)[name] = wrapped;
      this.restore.push(() => {
        (fs as Record<string, unknown>)[name] = original;
      });
    };
    replace("readFileSync", (original) => {
      const wrapped = (path: unknown, options?: unknown) => {
        const target = pathArg(path, cwd);
        const wanted = this.wanted(target);
        let result: string | Buffer;
        try {
          result = this.quietly(() =>
            (original as (p: unknown, o?: unknown) => string | Buffer)(path, options),
          );
        } catch (error) {
          if (wanted) this.quietly(() => this.noteRead(target));
          throw error;
        }
        if (wanted) {
          const encoding =
            typeof options === "string" ? options : (options as { encoding?: string } | undefined)?.encoding;
          const bytes =
            typeof result === "string" ? Buffer.from(result, (encoding ?? "utf8") as BufferEncoding) : result;
          this.quietly(() => this.noteRead(target, bytes));
        }
        return result;
      };
      return wrapped as unknown as typeof fs.readFileSync;
    });
    replace("openSync", (original) => {
      const wrapped = (path: unknown, ...rest: unknown[]) => {
        const target = pathArg(path, cwd);
        const flags = rest[0];
        if (!this.wanted(target)) {
          // The tool's own files, the cache folder, or a call made inside another wrapped one.
        } else if (flags !== undefined && flags !== "r" && flags !== fs.constants.O_RDONLY)
          this.spoiled = true;
        else this.quietly(() => this.noteRead(target));
        return this.quietly(() => (original as (...a: unknown[]) => number)(path, ...rest));
      };
      return wrapped as unknown as typeof fs.openSync;
    });
    const observing = (
      name: "readdirSync" | "statSync" | "lstatSync" | "existsSync" | "realpathSync" | "accessSync",
      kind: "list" | "stat" | "lstat" | "exists" | "real",
    ) =>
      replace(name, (original) => {
        const wrapped = (path: unknown, ...rest: unknown[]) => {
          const target = pathArg(path, cwd);
          const call = () => this.quietly(() => (original as (...a: unknown[]) => unknown)(path, ...rest));
          if (!this.wanted(target) || this.seen.has(`${kind}\0${target}`)) return call();
          // What the call answered is what it saw, when it can be told apart from the options;
          // otherwise the path is looked at once more, as a warm run will look at it.
          let result: unknown;
          let failed: unknown;
          try {
            result = call();
          } catch (error) {
            failed = error;
          }
          const code = (failed as { code?: string } | undefined)?.code;
          let seen: string;
          if ((kind === "stat" || kind === "lstat") && (result instanceof fs.Stats || code === "ENOENT"))
            seen = kindOf(result as fs.Stats | undefined);
          else if (kind === "exists" && name === "existsSync") seen = String(result);
          else seen = this.quietly(() => see(kind, target, this.cacheDir));
          this.note({ kind, path: target, seen });
          if (failed !== undefined) throw failed;
          return result;
        };
        return wrapped as unknown as (typeof fs)[typeof name];
      });
    observing("readdirSync", "list");
    observing("statSync", "stat");
    observing("lstatSync", "lstat");
    observing("existsSync", "exists");
    observing("accessSync", "exists");
    observing("realpathSync", "real");
    // `realpathSync.native` (one realpath(3) call) is a property of the function just wrapped,
    // copied as it was: it is wrapped on its own, as the same observation.
    const wrappedReal = fs.realpathSync as unknown as Record<string, unknown>;
    const native = wrappedReal.native as (...a: unknown[]) => unknown;
    wrappedReal.native = (path: unknown, ...rest: unknown[]) => {
      const target = pathArg(path, cwd);
      if (this.wanted(target) && !this.seen.has(`real\0${target}`))
        this.quietly(() =>
          this.note({ kind: "real", path: target, seen: see("real", target, this.cacheDir) }),
        );
      return this.quietly(() => native(path, ...rest));
    };
    // The asynchronous and streaming calls are not observed: a run that uses one is not saved.
    for (const name of [
      "readFile",
      "readdir",
      "stat",
      "lstat",
      "open",
      "opendir",
      "createReadStream",
    ] as const)
      replace(name, (original) => {
        const wrapped = (...args: unknown[]) => {
          if (this.wanted(pathArg(args[0], cwd))) this.spoiled = true;
          return (original as (...a: unknown[]) => unknown)(...args);
        };
        return wrapped as unknown as (typeof fs)[typeof name];
      });
    const childProcess = loadChildProcess();
    const execFileSync = childProcess.execFileSync;
    const wrappedExec = (command: string, args?: readonly string[], options?: { cwd?: string }) => {
      const observed = { command, args: [...(args ?? [])], cwd: resolve(cwd, options?.cwd ?? ".") };
      if (this.busy) return (execFileSync as (...a: unknown[]) => unknown)(command, args, options);
      let out: unknown;
      try {
        out = this.quietly(() => (execFileSync as (...a: unknown[]) => unknown)(command, args, options));
      } catch (error) {
        this.note({
          kind: "exec",
          ...observed,
          seen: `!${(error as { status?: number }).status ?? "error"}`,
        });
        throw error;
      }
      this.note({
        kind: "exec",
        ...observed,
        seen: sha256(Buffer.isBuffer(out) ? out : Buffer.from(String(out))),
      });
      return out;
    };
    (childProcess as Record<string, unknown>).execFileSync = wrappedExec;
    this.restore.push(() => {
      (childProcess as Record<string, unknown>).execFileSync = execFileSync;
    });
    for (const name of ["execSync", "spawnSync", "exec", "execFile", "spawn", "fork"] as const) {
      const original = childProcess[name];
      (childProcess as Record<string, unknown>)[name] = (...args: unknown[]) => {
        if (!this.busy) this.spoiled = true;
        return (original as (...a: unknown[]) => unknown)(...args);
      };
      this.restore.push(() => {
        (childProcess as Record<string, unknown>)[name] = original;
      });
    }
    syncBuiltinESMExports();
  }

  /** Stops observing: the wrapped calls are put back. */
  stop(): void {
    for (const undo of this.restore.splice(0).reverse()) undo();
    syncBuiltinESMExports();
  }

  /**
   * Writes the snapshot of a run that ended with `exitCode` and printed `stdout` and `stderr`:
   * only a run that found its answer (0 or 1), printed nothing besides its report and progress
   * on stderr, and used no call that is not observed. Failing to write costs only the next run's
   * speed, so it is silent.
   */
  save(exitCode: number, stdout: string, stderr: string): boolean {
    this.stop();
    const quiet = stderr.replace(/\r[^\r\n]*/g, "") === "";
    if (this.spoiled || (exitCode !== 0 && exitCode !== 1) || !quiet) return false;
    const out = Buffer.from(stdout, "utf8");
    const header: SnapshotHeader = {
      format: FORMAT,
      key: this.key,
      startedAt: this.startedAt,
      exitCode,
      stdoutBytes: out.length,
      stdoutHash: sha256(out),
      observations: implied([...this.seen.values()], this.cacheDir),
    };
    try {
      real.mkdirSync(this.cacheDir, { recursive: true });
      const path = snapshotPath(this.cacheDir, this.key);
      const temporary = `${path}.${process.pid}.tmp`;
      writeAll(temporary, [Buffer.from(`${JSON.stringify(header)}\n`), out]);
      real.renameSync(temporary, path);
      prune(this.cacheDir);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * The observations without those another one implies, so that a warm run makes one call per file:
 * a regular file that is still the same regular file with the same content (lstat, else a hash)
 * exists, is what its stat said as far as the run can tell, and, when its folder resolves to
 * itself, resolves to itself too. The folder's own resolution is
 * observed here, once, when the run did not ask for it.
 */
function implied(observations: Observation[], cacheDir: string): Observation[] {
  const files = new Map<string, number>();
  const reals = new Map<string, string>();
  for (const o of observations) {
    if (o.kind === "read" && !o.link) files.set(o.path, o.size);
    if (o.kind === "real") reals.set(o.path, o.seen);
  }
  const added: Observation[] = [];
  const selfReal = (dir: string) => {
    let seen = reals.get(dir);
    if (seen === undefined) {
      seen = see("real", dir, cacheDir);
      reals.set(dir, seen);
      added.push({ kind: "real", path: dir, seen });
    }
    return seen === dir;
  };
  const kept = observations.filter((o) => {
    if (o.kind === "exec" || o.kind === "read") return true;
    const size = files.get(o.path);
    if (size === undefined) return true;
    if (o.kind === "stat" || o.kind === "lstat") return !o.seen.startsWith(`file:${size}:`);
    if (o.kind === "exists") return o.seen !== "true";
    if (o.kind === "real") return !(o.seen === o.path && selfReal(dirname(o.path)));
    return true;
  });
  return [...added, ...kept];
}

/** Keeps the newest KEEP snapshots of a cache folder. */
function prune(cacheDir: string): void {
  const runs = real
    .readdirSync(cacheDir)
    .filter((f) => /^run-[0-9a-f]+\.snap$/.test(f))
    .map((f) => ({ f, at: real.statSync(join(cacheDir, f)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { f } of runs.slice(KEEP)) real.rmSync(join(cacheDir, f), { force: true });
}
