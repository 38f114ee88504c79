#!/usr/bin/env node
// Entry point of the npm bin. The code lives in build/ (compiled by `npm run build`, which
// `npm ci` runs through the `prepare` script): build/cli-bundle.js, the CLI as one esbuild bundle
// with a V8 code cache (scripts/bundle-cli.mjs), for check and verify; build/cli.js otherwise, or
// without the bundle.
import { createRequire } from "node:module";

// Node's built-in modules by `require`: an `import` of node:fs builds an ES module of all its
// exports, which loads the file streams (about 15 ms); node:v8 is only loaded when a flag is set.
const require = createRequire(import.meta.url);
const { existsSync, readFileSync, writeFileSync } = require("node:fs");
const setFlagsFromString = (flag) => require("node:v8").setFlagsFromString(flag);

const argv = process.argv.slice(2);

// `--version` alone answers from package.json: loading the CLI costs more than node's own start.
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(`${pkg.version}\n`);
  process.exit(0);
}

// `check` keeps libpg-query's WASM parser in V8's baseline compiler (Liftoff). Tiering it up to
// TurboFan costs more CPU than it saves on any history we measured (0.7 s of 1.6 s CPU in a parse
// of 3,000 files; even at 30,000 files); the output is the same. The flag must be set before the
// WASM module compiles, which starts as soon as libpg-query is imported, so it is set here.
// verify on PGlite sets the flag itself before PGlite's WASM compiles (src/verify/pglite.ts).
// verify against a server runs no PGlite in this process, so it takes the flag here as well.
const onServer =
  argv[0] === "verify" &&
  (argv.some((a) => a === "--database-url" || a.startsWith("--database-url=")) ||
    Boolean(process.env.PG_INDEX_LINT_DATABASE_URL));
if (argv[0] === "check" || onServer) setFlagsFromString("--liftoff-only");
// check: the young generation stays at its starting size instead of doubling as the heap grows.
// The statements and findings of a run live until its end, so a larger nursery only copies more
// before promoting them: 24 MiB less peak memory at 3,000 files, and no more CPU.
if (argv[0] === "check") setFlagsFromString("--semi-space-growth-factor=1");

// `pg-index-lint check | head` closes the pipe early: stop quietly, as other tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// `check --cache`: a run whose command line, settings, tool and inputs are all as a snapshot in
// the cache folder recorded them prints what that run printed, without loading the pipeline;
// any other run under `--cache` is observed, and leaves such a snapshot (src/cache/snapshot.ts).
const snapshotModule = new URL("../build/cache/snapshot.js", import.meta.url);
const cached =
  argv[0] === "check" &&
  argv.some((a) => a === "--cache" || a.startsWith("--cache=")) &&
  existsSync(snapshotModule);
let recorder;
if (cached) {
  const snapshot = await import(snapshotModule.href);
  const cacheDir = snapshot.cacheDirOf(argv, process.cwd());
  const context = {
    argv,
    cwd: process.cwd(),
    env: process.env,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    columns: process.stdout.columns,
    toolRoot: new URL("..", import.meta.url).pathname,
  };
  const hit = cacheDir ? snapshot.replayable(cacheDir, context) : undefined;
  if (hit) {
    process.stdout.write(hit.stdout);
    process.exitCode = hit.exitCode;
    if (argv.includes("--debug"))
      process.stderr.write(
        "pg-index-lint: nothing the last run read has changed: its output, from the cache\n",
      );
  } else if (cacheDir) recorder = new snapshot.Recorder(cacheDir, context);
}

if (process.exitCode === undefined) await runCli();

// check and verify load the pipeline, and do it faster from the bundle. Help, rules and init
// load a few modules of build/ (src/cli.ts loads the rest on demand): `--help` took as long from
// the 0.8 MB bundle, with or without a code cache.
async function runCli() {
  const pipeline =
    (argv[0] === "check" || argv[0] === "verify") && !argv.some((a) => a === "--help" || a === "-h");
  const bundle = new URL("../build/cli-bundle.js", import.meta.url);
  const loaded = pipeline && existsSync(bundle) ? runBundle(bundle) : undefined;
  const { main } = loaded ?? (await import("../build/cli.js"));
  const stdout = recorder ? teed(process.stdout) : process.stdout;
  const stderr = recorder ? teed(process.stderr) : process.stderr;
  const code = await main(argv, { stdout, stderr, env: process.env });
  loaded?.afterRun();
  const saved = recorder?.save(code, stdout.text(), stderr.text());
  if (recorder && argv.includes("--debug"))
    process.stderr.write(`pg-index-lint: run snapshot ${saved ? "saved" : "not saved"}\n`);
  process.exitCode = code;
}

/** A stream that writes through to `stream` and keeps what was written, for the snapshot. */
function teed(stream) {
  const chunks = [];
  return {
    isTTY: stream.isTTY,
    columns: stream.columns,
    write(chunk, ...rest) {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return stream.write(chunk, ...rest);
    },
    on: (...args) => stream.on(...args),
    once: (...args) => stream.once(...args),
    text: () => chunks.join(""),
  };
}

/**
 * Runs build/cli-bundle.js, a CommonJS module already in the function Node wraps one in
 * (scripts/bundle-cli.mjs), as Node would run it, but compiled by `vm.Script` with the V8 code
 * cache the build left beside it when V8 takes it (same Node, same V8 flags); else it compiles as
 * it would without one. Returns the bundle's `main`, and `afterRun`, which writes the cache when
 * the build asks for it: the bytecode of every function the run compiled
 * (PG_INDEX_LINT_WRITE_CODE_CACHE, set by scripts/bundle-cli.mjs).
 */
function runBundle(url) {
  const { Script } = require("node:vm");
  const { dirname } = require("node:path");
  const { fileURLToPath } = require("node:url");
  const file = fileURLToPath(url);
  const writeCache = process.env.PG_INDEX_LINT_WRITE_CODE_CACHE;
  // The cache is check's: V8 rejects it in a process with other flags, as verify's are. V8 reads
  // a damaged cache without a question and crashes, unless it checks its checksum: a flag, which
  // must then be set when the cache is made as well (it is part of the flags V8 compares).
  let cachedData;
  if (argv[0] === "check") setFlagsFromString("--verify-snapshot-checksum");
  if (!writeCache && argv[0] === "check") {
    try {
      cachedData = readFileSync(`${file}.cache`);
    } catch {
      // No cache: compile.
    }
  }
  // ASCII (the build escapes the rest): latin1 decodes it the fastest, into a one-byte string.
  const source = readFileSync(file, "latin1");
  // The bundle is one function expression: `(function (exports, require, module, …) {…})`.
  const script = new Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return {
    main: module.exports.main,
    afterRun() {
      if (writeCache) writeFileSync(writeCache, script.createCachedData());
    },
  };
}
