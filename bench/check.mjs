#!/usr/bin/env node
/**
 * Wall time and peak memory of `pg-index-lint check` against squawk on the same synthetic
 * migration repository. See bench/README.md.
 *
 *   node bench/check.mjs [--files N] [--seed S] [--runs R] [--json] [--verify-parse]
 *                        [--assume-in-transaction] [--profile] [--generate-only] [--skip-ours]
 *                        [--bin path/to/pg-index-lint.js] [--wait-idle SECONDS]
 *                        [--repo DIR [--glob '**' + '/*.sql']] [--warm]
 */
import { spawn, spawnSync } from "node:child_process";
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { GENERATOR_VERSION, listSql, writeRepo } from "./generate.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "bench", "out");
/**
 * Issue 12's targets for a generated repository, judged on the median of the paired wall ratios
 * to squawk's cold run (and peak RSS where one is set). A real repository (--repo) has none.
 */
function targetFor(tool) {
  if (opts.repo) return null;
  if (tool === "pg-index-lint" && files >= 10000) return { ratio: 1.0 };
  if (tool === "pg-index-lint" && files === 3000) return { ratio: 2.0, rssMiB: 120 };
  if (tool === "ours warm" && files === 3000) return { ratio: 0.5 };
  if (tool === "ours warm, 2 edited" && files === 3000) return { ratio: 1.0 };
  return null;
}
const SQUAWK_VERSION = "2.66.0";

const { values: opts } = parseArgs({
  options: {
    files: { type: "string", default: "5000" },
    seed: { type: "string", default: "1" },
    runs: { type: "string", default: "3" },
    json: { type: "boolean", default: false },
    "verify-parse": { type: "boolean", default: false },
    "assume-in-transaction": { type: "boolean", default: false },
    "generate-only": { type: "boolean", default: false },
    "skip-ours": { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    bin: { type: "string", default: "bin/pg-index-lint.js" },
    "wait-idle": { type: "string", default: "0" },
    repo: { type: "string" },
    glob: { type: "string", default: "**/*.sql" },
    warm: { type: "boolean", default: false },
  },
});
const seed = Number.parseInt(opts.seed, 10);
const runs = Math.max(1, Number.parseInt(opts.runs, 10));
if (!opts.repo && !(Number.parseInt(opts.files, 10) > 0)) fail("--files must be a positive integer");
if (!Number.isFinite(seed)) fail("--seed must be an integer");

const log = (msg) => process.stderr.write(`${msg}\n`);
function fail(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}

// 1. The repository: a real one (--repo, its files matched by --glob for squawk), or a generated
// one, regenerated unless a matching one is already there.
let repo;
let manifest = null;
let files;
let squawkFiles;
if (opts.repo) {
  repo = resolve(opts.repo);
  squawkFiles = globFiles(repo, opts.glob);
  files = squawkFiles.length;
  if (!files) fail(`${repo} has no files matching ${opts.glob}`);
  manifest = { files, statements: null };
} else {
  files = Number.parseInt(opts.files, 10);
  repo = join(OUT, `repo-${files}-s${seed}`);
  try {
    manifest = JSON.parse(readFileSync(join(repo, ".bench-manifest.json"), "utf8"));
  } catch {}
  if (manifest?.generator !== GENERATOR_VERSION || manifest.files !== files || manifest.seed !== seed) {
    const t0 = performance.now();
    const { statements } = writeRepo(repo, files, seed);
    manifest = { generator: GENERATOR_VERSION, files, seed, statements };
    log(`generated ${files} files in ${((performance.now() - t0) / 1000).toFixed(2)} s → ${repo}`);
  }
  squawkFiles = listSql(repo).map((f) => join(repo, f));
  if (squawkFiles.length !== files) fail(`${repo} does not hold ${files} .sql files`);
}

if (opts["verify-parse"]) await verifyParse(repo, manifest.statements);
if (opts["generate-only"]) process.exit(0);

// 2. The commands.
const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
if (!timeBin) log("note: /usr/bin/time not found; peak RSS is read by polling /proc/<pid>/status (VmHWM)");

const ourBin = resolve(ROOT, opts.bin);
const squawkBin = findSquawk();
const squawkArgs = [
  "--reporter",
  "json",
  ...(opts["assume-in-transaction"] ? ["--assume-in-transaction"] : []),
  opts.repo ? join(repo, opts.glob) : join(repo, "*.sql"),
];
const tools = [];
if (!opts["skip-ours"]) {
  if (!existsSync(ourBin)) fail(`${ourBin} not found: run \`npm run build\` first (or pass --skip-ours)`);
  tools.push({
    name: "pg-index-lint",
    cmd: process.execPath,
    args: [ourBin, "check", repo, "--format", "json"],
    okCodes: [0, 1],
  });
}
tools.push({ name: "squawk", cmd: squawkBin, args: squawkArgs, okCodes: [0, 1] });
// --warm: `check --cache` after a priming run, with nothing changed, and with the last two files
// (in path order) changed by a trailing comment, which changes their hash but not the findings.
// Each timed warm run starts from a copy of the primed cache, so every run sees the same state.
const cacheDir = mkdtempSync(join(tmpdir(), "pil-bench-cache-"));
const primed = join(cacheDir, "primed");
const live = join(cacheDir, "live");
if (opts.warm && !opts["skip-ours"]) {
  const cached = [...tools[0].args, "--cache", live];
  const fresh = () => {
    rmSync(live, { recursive: true, force: true });
    cpSync(primed, live, { recursive: true });
  };
  const lastTwo = squawkFiles.slice(-2);
  const originals = lastTwo.map((f) => readFileSync(f));
  tools.push({ name: "ours warm", cmd: process.execPath, args: cached, okCodes: [0, 1], before: fresh });
  tools.push({
    name: "ours warm, 2 edited",
    cmd: process.execPath,
    args: cached,
    okCodes: [0, 1],
    before: () => {
      fresh();
      for (const f of lastTwo) appendFileSync(f, "\n-- edited by bench/check.mjs\n");
    },
    after: () => {
      for (const [i, f] of lastTwo.entries()) writeFileSync(f, originals[i]);
    },
  });
  // Primed in the folder the timed runs use: the command line (the folder included) is part of
  // the run snapshot's key.
  const prime = spawnSync(process.execPath, cached, { stdio: "ignore" });
  if (![0, 1].includes(prime.status)) fail(`priming run with --cache exited ${prime.status}`);
  cpSync(live, primed, { recursive: true });
}
process.on("exit", () => rmSync(cacheDir, { recursive: true, force: true }));

// 3. Sanity runs: both tools must process every file without an input error.
let statements = manifest.statements;
let statementsSource = "generator";
if (!opts["skip-ours"]) {
  const ours = spawnSync(tools[0].cmd, tools[0].args, { maxBuffer: 1 << 30, encoding: "utf8" });
  if (!tools[0].okCodes.includes(ours.status))
    fail(`pg-index-lint exited ${ours.status}:\n${ours.stderr.slice(0, 4000)}`);
  let report;
  try {
    report = JSON.parse(ours.stdout);
  } catch (error) {
    fail(`pg-index-lint --format json did not print JSON (${error.message})`);
  }
  const s = report?.summary ?? {};
  if (typeof s.statements === "number") {
    statements = s.statements;
    statementsSource = "pg-index-lint summary.statements";
    if (s.statements !== manifest.statements)
      log(
        `warning: pg-index-lint counted ${s.statements} statements, the generator wrote ${manifest.statements}`,
      );
  } else log("warning: pg-index-lint JSON has no summary.statements; using the generator's count");
  const seenFiles = s.files ?? s.filesChecked ?? s.migrations;
  if (typeof seenFiles === "number" && seenFiles !== files)
    log(`warning: pg-index-lint summary reports ${seenFiles} files, expected ${files}`);
  tools[0].findings = Array.isArray(report?.findings) ? report.findings.length : undefined;
  tools[0].summary = s;
}
{
  const tty = spawnSync(squawkBin, squawkArgs.slice(2), {
    maxBuffer: 1 << 30,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const text = `${tty.stdout}${tty.stderr}`;
  const checked = /checked (\d+) source files?/.exec(text);
  if (!checked || Number(checked[1]) !== squawkFiles.length)
    fail(`squawk did not check ${files} files (exit ${tty.status}): ${text.slice(-400)}`);
  const js = spawnSync(squawkBin, squawkArgs, { maxBuffer: 1 << 30, encoding: "utf8" });
  const findings = JSON.parse(js.stdout || "[]");
  const syntax = findings.filter((f) => f.rule_name === "syntax-error").length;
  if (syntax) log(`warning: squawk reports ${syntax} syntax errors in the generated files`);
  tools.find((t) => t.name === "squawk").findings = findings.length;
}

// 4. Timed runs, interleaved so that both tools see the same machine state.
for (const t of tools) t.samples = [];
const waitIdle = Number(opts["wait-idle"]) || 0;
let busyRuns = 0;
for (let i = 0; i < runs; i++) {
  for (const t of tools) {
    t.before?.();
    if (waitIdle > 0 && !(await cpuIdle(waitIdle))) busyRuns++;
    const s = await measure(t.cmd, t.args);
    t.after?.();
    if (!t.okCodes.includes(s.code)) fail(`${t.name} exited ${s.code} on run ${i + 1}`);
    t.samples.push(s);
    log(
      `  run ${i + 1}/${runs} ${t.name.padEnd(13)} ${s.wall.toFixed(3)} s  cpu ${s.cpu.toFixed(2)} s  ${s.rssMiB.toFixed(1)} MiB`,
    );
  }
}

const results = tools.map((t) => {
  const walls = t.samples.map((s) => s.wall).sort((a, b) => a - b);
  const best = walls[0];
  const median = walls[Math.floor(walls.length / 2)];
  const rss = Math.max(...t.samples.map((s) => s.rssMiB));
  const cpus = t.samples.map((s) => s.cpu).sort((a, b) => a - b);
  return {
    tool: t.name,
    command: [t.cmd, ...t.args].map((a) => a.replace(`${ROOT}/`, "")).join(" "),
    exitCode: t.samples[0].code,
    findings: t.findings,
    wallBestS: round(best, 3),
    wallMedianS: round(median, 3),
    cpuBestS: round(cpus[0], 2),
    cpuMedianS: round(cpus[Math.floor(cpus.length / 2)], 2),
    // Paired: this tool's run i against squawk's run i, the median of those ratios.
    pairedWallRatio: pairedRatio(t, "wall"),
    pairedCpuRatio: pairedRatio(t, "cpu"),
    filesPerS: Math.round(files / best),
    statementsPerS: Math.round(statements / best),
    peakRssMiB: round(rss, 1),
  };
});
const ours = results.find((r) => r.tool === "pg-index-lint");
const verdict = results
  .map((r) => ({ r, target: targetFor(r.tool) }))
  .filter(({ r, target }) => target && r.pairedWallRatio !== null)
  .map(({ r, target }) => ({
    tool: r.tool,
    pairedWallRatio: r.pairedWallRatio,
    ratioTarget: target.ratio,
    ratioOk: r.pairedWallRatio <= target.ratio,
    peakRssMiB: r.peakRssMiB,
    ...(target.rssMiB ? { rssTargetMiB: target.rssMiB, rssOk: r.peakRssMiB <= target.rssMiB } : {}),
  }));
const output = {
  files,
  seed,
  statements,
  statementsSource,
  runs,
  node: process.version,
  squawkVersion: spawnSync(squawkBin, ["--version"], { encoding: "utf8" }).stdout.trim(),
  squawkAssumeInTransaction: opts["assume-in-transaction"],
  runsStartedOnBusyCpu: waitIdle > 0 ? busyRuns : null,
  rssMethod: timeBin ? "/usr/bin/time %M" : "/proc VmHWM polling",
  repo: repo.replace(`${ROOT}/`, ""),
  results,
  verdict,
};

if (opts.json) {
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
} else {
  const p = (s) => process.stdout.write(`${s}\n`);
  p(`pg-index-lint check benchmark — ${files} files, ${statements} statements (seed ${seed})`);
  p(`  node ${process.version}, ${output.squawkVersion}, best of ${runs} runs, whole-process wall time`);
  p(
    `  squawk: --reporter json, ${opts["assume-in-transaction"] ? "WITH" : "without"} --assume-in-transaction, glob '${join(output.repo, "*.sql")}'`,
  );
  if (busyRuns)
    p(`  note: ${busyRuns} timed runs started while the CPU was busy (--wait-idle ${waitIdle} ran out)`);
  p("");
  const cols = [
    "tool",
    "wall best s",
    "wall median s",
    "cpu best s",
    "cpu median s",
    "ratio wall",
    "ratio cpu",
    "files/s",
    "statements/s",
    "peak RSS MiB",
    "findings",
  ];
  const rows = results.map((r) => [
    r.tool,
    r.wallBestS.toFixed(3),
    r.wallMedianS.toFixed(3),
    Number.isNaN(r.cpuBestS) ? "?" : r.cpuBestS.toFixed(2),
    Number.isNaN(r.cpuMedianS) ? "?" : r.cpuMedianS.toFixed(2),
    r.pairedWallRatio === null ? "" : r.pairedWallRatio.toFixed(2),
    r.pairedCpuRatio === null ? "" : r.pairedCpuRatio.toFixed(2),
    String(r.filesPerS),
    String(r.statementsPerS),
    r.peakRssMiB.toFixed(1),
    r.findings === undefined ? "?" : String(r.findings),
  ]);
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  p(`  ${line(cols)}`);
  for (const r of rows) p(`  ${line(r)}`);
  p("");
  for (const v of verdict) {
    const rss =
      v.rssTargetMiB === undefined
        ? ""
        : `; peak RSS ${v.peakRssMiB.toFixed(1)} MiB, target ≤ ${v.rssTargetMiB}: ${v.rssOk ? "met" : "MISSED"}`;
    p(
      `  ${v.tool}: median paired wall ratio to squawk ${v.pairedWallRatio.toFixed(2)}, target ≤ ${v.ratioTarget.toFixed(1)}: ${v.ratioOk ? "met" : "MISSED"}${rss}`,
    );
  }
}

if (opts.profile && ours) {
  // One extra run of pg-index-lint under V8's sampling profiler; the top self-time functions.
  const dir = join(OUT, "prof");
  rmSync(dir, { recursive: true, force: true });
  const t = tools[0];
  const r = spawnSync(process.execPath, ["--cpu-prof", "--cpu-prof-dir", dir, ...t.args], {
    stdio: "ignore",
  });
  if (!t.okCodes.includes(r.status)) fail(`profiled pg-index-lint run exited ${r.status}`);
  const top = spawnSync(process.execPath, [join(ROOT, "bench", "profile-top.mjs"), dir, "--top", "10"], {
    encoding: "utf8",
  });
  process.stderr.write(`\nCPU profile of pg-index-lint (self time):\n${top.stdout}${top.stderr}`);
}

// ---------------------------------------------------------------------------------------------

/** The median over runs of this tool's wall (or CPU) time over squawk's in the same round. */
function pairedRatio(t, what) {
  const sq = tools.find((x) => x.name === "squawk");
  if (t === sq) return null;
  const ratios = t.samples.map((s, i) => s[what] / sq.samples[i][what]).sort((a, b) => a - b);
  return round(ratios[Math.floor(ratios.length / 2)], 2);
}

/** Files under `dir` matching a glob of `*` and `**` segments, as squawk expands it. */
function globFiles(dir, pattern) {
  const re = new RegExp(
    `^${pattern
      .split("/")
      .map((seg) =>
        seg === "**"
          ? "(?:[^/]+/)*"
          : `${seg.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]*")}/`,
      )
      .join("")
      .replace(/\/$/, "")}$`,
  );
  const out = [];
  const walk = (rel) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name !== ".git" && e.name !== "node_modules") walk(path);
      } else if (re.test(path)) out.push(join(dir, path));
    }
  };
  walk("");
  return out.sort();
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * The native squawk binary (its Node launcher is skipped). squawk-cli is not a dependency of the
 * project: it is installed on first use into bench/out/squawk with `npm install --prefix`, which
 * leaves package.json and package-lock.json alone. The @squawk-cli/<platform> package ships the
 * binary inside its npm tarball, so nothing is downloaded from elsewhere.
 */
function findSquawk() {
  const prefix = join(OUT, "squawk");
  const resolveFrom = (dir) => {
    try {
      return createRequire(join(dir, "noop.js"))("squawk-cli/js/index.js").getBinaryPath();
    } catch {
      return null;
    }
  };
  const found = resolveFrom(prefix);
  if (found) return found;
  log(`installing squawk-cli@${SQUAWK_VERSION} into ${prefix} …`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(
    npm,
    ["install", "--prefix", prefix, "--no-save", "--no-package-lock", "--no-audit", "--no-fund"].concat(
      `squawk-cli@${SQUAWK_VERSION}`,
    ),
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  return (r.status === 0 && resolveFrom(prefix)) || fail(`could not install squawk-cli@${SQUAWK_VERSION}`);
}

/**
 * Waits until the machine has been at least 90% idle for three seconds in a row (other work skews
 * timings on a shared machine). Gives up after `maxSeconds`; returns whether it saw that.
 */
async function cpuIdle(maxSeconds) {
  if (!existsSync("/proc/stat")) return true;
  const sample = () => {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 8).map(Number);
    return { total: f.reduce((a, b) => a + b, 0), idle: (f[3] ?? 0) + (f[4] ?? 0) };
  };
  const end = Date.now() + maxSeconds * 1000;
  let quiet = 0;
  let a = sample();
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 1000));
    const b = sample();
    quiet = (b.idle - a.idle) / (b.total - a.total) >= 0.9 ? quiet + 1 : 0;
    if (quiet >= 3) return true;
    a = b;
  }
  return false;
}

/** One whole-process run: wall seconds (monotonic clock) and peak RSS in MiB. Output goes to /dev/null. */
function measure(cmd, args) {
  const devnull = openSync("/dev/null", "w");
  if (timeBin) {
    const dir = mkdtempSync(join(tmpdir(), "pil-bench-"));
    const rssFile = join(dir, "rss");
    const t0 = process.hrtime.bigint();
    const r = spawnSync(timeBin, ["-q", "-f", "%M %U %S", "-o", rssFile, cmd, ...args], {
      stdio: ["ignore", devnull, devnull],
    });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const [kib, user, sys] = readFileSync(rssFile, "utf8").trim().split("\n").pop().split(" ").map(Number);
    rmSync(dir, { recursive: true, force: true });
    return Promise.resolve({ wall, rssMiB: kib / 1024, cpu: user + sys, code: r.status });
  }
  return new Promise((done) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ["ignore", devnull, devnull] });
    let hwm = 0;
    const poll = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch {}
    };
    const timer = setInterval(poll, 5);
    child.on("exit", (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      clearInterval(timer);
      done({ wall, rssMiB: hwm / 1024, cpu: Number.NaN, code });
    });
  });
}

/** Parses every generated file with libpg-query; all must parse, and the statement count must match. */
async function verifyParse(dir, expected) {
  const { loadModule, parseSync } = await import("libpg-query");
  await loadModule();
  let count = 0;
  const bad = [];
  for (const f of listSql(dir)) {
    try {
      count += parseSync(readFileSync(join(dir, f), "utf8")).stmts?.length ?? 0;
    } catch (error) {
      bad.push(`${f}: ${error.message}`);
    }
  }
  if (bad.length) fail(`${bad.length} generated files do not parse:\n${bad.slice(0, 10).join("\n")}`);
  if (count !== expected) fail(`libpg-query found ${count} statements, the generator wrote ${expected}`);
  log(`verify-parse: all ${files} files parse with libpg-query, ${count} statements`);
}
