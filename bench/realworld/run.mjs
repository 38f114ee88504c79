#!/usr/bin/env node
/**
 * The real-world regression run: `init`, `check`, every offered fix (apply, re-check) and `verify` on
 * each repository of manifest.json, materialised beforehand under `--repos DIR/<name>`. Prints one
 * table, one row per repository. Needs no network; never modifies DIR (each repository is copied to
 * a scratch folder first). Not part of CI. See README.md beside this file.
 *
 *   node bench/realworld/run.mjs --repos /tmp/realworld/repos \
 *     [--cli bin/pg-index-lint.js] [--database-url postgres://…] [--no-verify] [--only a,b] \
 *     [--json out.json] [--work DIR] [--jobs 2] [--no-fixes] [--max-fixes N] [--models-fixes-only]
 *
 * Everything read from the repositories is untrusted: nothing of theirs is executed here, only the
 * CLI under test reads them.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { applyFix, compareFindings } from "./fixes.mjs";
import { renderTable } from "./table.mjs";

const here = dirname(fileURLToPath(import.meta.url));

const { values: args } = parseArgs({
  options: {
    repos: { type: "string" },
    cli: { type: "string", default: resolve(here, "../../bin/pg-index-lint.js") },
    manifest: { type: "string", default: join(here, "manifest.json") },
    "database-url": { type: "string" },
    "no-verify": { type: "boolean", default: false },
    "no-fixes": { type: "boolean", default: false },
    "max-fixes": { type: "string" },
    "models-fixes-only": { type: "boolean", default: false },
    only: { type: "string" },
    json: { type: "string" },
    work: { type: "string", default: join(tmpdir(), "pg-index-lint-realworld") },
    jobs: { type: "string", default: "2" },
    "check-timeout": { type: "string", default: "600" },
    "verify-timeout": { type: "string", default: "3600" },
    "keep-copies": { type: "boolean", default: false },
  },
});

if (!args.repos) {
  console.error(
    "usage: run.mjs --repos DIR [--cli PATH] [--database-url URL | --no-verify] [--only a,b] [--json F] [--work DIR]",
  );
  process.exit(2);
}

const manifest = JSON.parse(readFileSync(args.manifest, "utf8"));
const SUPPORTED = new Set(manifest.supportedRunners);
/** ORMs whose models today's tool reads; the others are recorded in the manifest but not configured. */
const READ_ORMS = new Set(["sqlalchemy", "prisma", "drizzle"]);
const CONFIG_NAME = ".pg-index-lint.realworld.yml";
/** The models alone, for a repository with both: what the schema says without the migrations. */
const MODELS_CONFIG_NAME = ".pg-index-lint.realworld-models.yml";
const cli = resolve(args.cli);
const jobs = Math.max(1, Number(args.jobs) || 1);
const checkTimeout = Number(args["check-timeout"]) * 1000;
const verifyTimeout = Number(args["verify-timeout"]) * 1000;
const only = args.only ? new Set(args.only.split(",").map((s) => s.trim())) : null;
const maxFixes = args["max-fixes"] ? Number(args["max-fixes"]) : Number.POSITIVE_INFINITY;

/** Runs the CLI under test; never throws. */
function runCli(cliArgs, cwd, timeoutMs) {
  return new Promise((res) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, ...cliArgs], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = [];
    const err = [];
    child.stdout.on("data", (c) => out.push(c));
    child.stderr.on("data", (c) => err.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      res({
        code,
        signal,
        timedOut,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    });
  });
}

const STACK_LINE = /^\s+at (?:.+ \()?(?:file:\/\/|node:|\/)\S*:\d+:\d+\)?\s*$/m;

/**
 * Why an invocation counts as a crash, or null. A crash is an exit code other than 0/1/2, a stack
 * trace on stderr, or stdout that is not JSON when JSON was asked for. An exit 2 with nothing on
 * stdout and a short message on stderr is the contract's input error: reported as "E2", not a crash.
 */
function crashOf(r, expectJson) {
  if (r.timedOut) return "timeout";
  if (r.code === null) return `signal ${r.signal}`;
  if (![0, 1, 2].includes(r.code)) return `exit ${r.code}`;
  if (STACK_LINE.test(r.stderr)) return "stack trace";
  if (expectJson) {
    if (r.code === 2 && r.stdout.trim() === "") return null;
    try {
      JSON.parse(r.stdout);
    } catch {
      return "non-JSON stdout";
    }
  }
  return null;
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const normPath = (p) => String(p).replace(/\\/g, "/").replace(/^\.\//, "").replace(/\/+$/, "");

/** The models entries of the manifest whose ORM today's tool reads. */
const readModels = (repo) => repo.models.filter((m) => READ_ORMS.has(m.orm));

/**
 * The config the manifest implies for today's tool (paths relative to the repository root); with
 * `modelsOnly`, its models entries alone.
 */
function manifestConfig(repo, { modelsOnly = false } = {}) {
  const lines = ["# written by bench/realworld/run.mjs from manifest.json"];
  if (!modelsOnly) lines.push("migrations:");
  for (const m of modelsOnly ? [] : repo.migrations) {
    lines.push(`  - path: ${JSON.stringify(m.path)}`);
    if (SUPPORTED.has(m.runner)) lines.push(`    runner: ${m.runner}`);
  }
  const models = readModels(repo);
  if (models.length) {
    lines.push("models:");
    for (const m of models) lines.push(`  - path: ${JSON.stringify(m.path)}`, `    orm: ${m.orm}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Reads the `migrations:` entries out of the config init wrote, with the project's own YAML parser. */
async function initEntries(text) {
  const { parse } = await import("yaml");
  try {
    const doc = parse(text);
    return {
      migrations: (doc?.migrations ?? []).map((m) => ({ path: String(m.path), runner: m.runner ?? null })),
      models: doc?.models ?? [],
    };
  } catch (e) {
    return { error: String(e.message ?? e) };
  }
}

/** Compares what init found with the manifest: missing, wrong runner, other dialects picked up, absolute paths. */
function judgeInit(repo, doc) {
  const problems = [];
  if (doc.error) return { usable: false, problems: [`config not YAML: ${doc.error}`] };
  const entries = doc.migrations;
  const inside = (child, parent) => child.startsWith(`${parent}/`);
  for (const e of entries) {
    if (e.path.startsWith("/")) problems.push(`absolute path ${e.path}`);
  }
  let usable = entries.length > 0;
  const accounted = new Set();
  for (const m of repo.migrations) {
    const want = normPath(m.path);
    const hit = entries.find((e) => normPath(e.path) === want);
    const nested = entries.filter((e) => inside(normPath(e.path), want));
    const parent = entries.find((e) => inside(want, normPath(e.path)));
    if (hit) {
      accounted.add(normPath(hit.path));
      if (SUPPORTED.has(m.runner) && hit.runner !== m.runner) {
        problems.push(`${m.path}: runner ${hit.runner}, expected ${m.runner}`);
        usable = false;
      } else if (!SUPPORTED.has(m.runner)) {
        problems.push(`${m.path}: read as ${hit.runner} (real runner ${m.runner}, which the tool lacks)`);
      }
    } else if (nested.length) {
      for (const e of nested) accounted.add(normPath(e.path));
      problems.push(
        `${m.path}: split into ${nested.length} folders, e.g. ${nested[0].path} (${nested[0].runner})`,
      );
      usable = false;
    } else if (parent) {
      accounted.add(normPath(parent.path));
      problems.push(`${m.path}: found only as its parent ${parent.path} (${parent.runner})`);
      usable = false;
    } else {
      problems.push(`${m.path}: not found`);
      usable = false;
    }
  }
  for (const e of entries) {
    const p = normPath(e.path);
    if (accounted.has(p)) continue;
    const other = repo.otherFolders.find((o) => normPath(o.path) === p);
    if (other?.kind === "postgres") problems.push(`also picked ${p} (${e.runner}): ${other.what}`);
    else {
      // An unlisted folder counts against init until a person marks it as PostgreSQL in the manifest.
      problems.push(
        `picked ${p} (${e.runner}): ${other ? other.what : "not a migrations folder the manifest knows"}`,
      );
      usable = false;
    }
  }
  if (repo.models.length && !doc.models.length) {
    const orms = repo.models.map((m) => m.orm).join(", ");
    problems.push(`models (${orms}) not configured`);
  }
  return { usable, problems };
}

function countBy(findings, key = (f) => f.rule) {
  const out = {};
  for (const f of findings) out[key(f)] = (out[key(f)] ?? 0) + 1;
  return out;
}

async function pool(items, n, work) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async (_, worker) => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i], worker);
      }
    }),
  );
  return results;
}

async function runRepo(repo) {
  const source = join(args.repos, repo.name);
  const out = join(args.work, repo.name);
  const scratch = join(out, "repo");
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const row = { name: repo.name, repo: repo.repo, commit: repo.commit, runner: repo.runner, out };
  if (!existsSync(source)) {
    row.skipped = `${source} is missing; materialise it first (README.md)`;
    return row;
  }
  cpSync(source, scratch, { recursive: true, verbatimSymlinks: true });
  const crashes = [];

  // 1. init, as a new user would run it at the repository root.
  const init = await runCli(["init"], scratch, checkTimeout);
  writeFileSync(join(out, "init.stdout"), init.stdout);
  writeFileSync(join(out, "init.stderr"), init.stderr);
  const initCrash = crashOf(init, false);
  if (initCrash) crashes.push(`init: ${initCrash}`);
  const initPath = join(scratch, ".pg-index-lint.yml");
  const initText = existsSync(initPath) ? readFileSync(initPath, "utf8") : null;
  if (initText !== null) writeFileSync(join(out, "init.yml"), initText);
  const judged =
    init.code === 0 && initText !== null
      ? judgeInit(repo, await initEntries(initText))
      : { usable: false, problems: [`init exit ${init.code}: ${init.stderr.trim().split("\n")[0] ?? ""}`] };
  row.init = {
    exit: init.code,
    stdout: init.stdout.trim(),
    usable: judged.usable,
    problems: judged.problems,
  };

  // What a new user sees next: check with init's own config.
  if (initText !== null) {
    const r = await runCli(["check", "--format", "json"], scratch, checkTimeout);
    writeFileSync(join(out, "init-check.json"), r.stdout);
    writeFileSync(join(out, "init-check.stderr"), r.stderr);
    const c = crashOf(r, true);
    if (c) crashes.push(`check with init's config: ${c}`);
    const j = parseJson(r.stdout);
    row.initCheck = {
      exit: r.code,
      seconds: r.seconds,
      summary: j?.summary ?? null,
      byRule: j ? countBy(j.findings) : null,
      error: r.code === 2 && !j ? r.stderr.trim().split("\n")[0] : undefined,
    };
  }

  // 2. check with the manifest's config: the numbers of the row.
  writeFileSync(join(scratch, CONFIG_NAME), manifestConfig(repo));
  writeFileSync(join(out, "config.yml"), manifestConfig(repo));
  const checkArgs = ["check", "--config", CONFIG_NAME, "--format", "json"];
  const check = await runCli(checkArgs, scratch, checkTimeout);
  writeFileSync(join(out, "check.json"), check.stdout);
  writeFileSync(join(out, "check.stderr"), check.stderr);
  const checkCrash = crashOf(check, true);
  if (checkCrash) crashes.push(`check: ${checkCrash}`);
  const report = parseJson(check.stdout);
  row.check = {
    exit: check.code,
    seconds: check.seconds,
    summary: report?.summary ?? null,
    byRule: report ? countBy(report.findings) : {},
    error: check.code === 2 && !report ? check.stderr.trim().split("\n")[0] : undefined,
  };
  const findings = report?.findings ?? [];

  // 2b. The models alone, when the repository has read models and migrations. With both configured,
  // the final-state rules judge the migrations' schema, and a finding the models share moves to
  // their line (no finding is counted twice; orm-migration-drift names what differs). Alone, the
  // models give their own findings: their unindexed foreign keys should be the migrations' ones,
  // and each difference should be a drift the row's check reports.
  const modelsArgs = ["check", "--config", MODELS_CONFIG_NAME, "--format", "json"];
  let modelFindings = null;
  if (readModels(repo).length && repo.migrations.length) {
    writeFileSync(join(scratch, MODELS_CONFIG_NAME), manifestConfig(repo, { modelsOnly: true }));
    const r = await runCli(modelsArgs, scratch, checkTimeout);
    writeFileSync(join(out, "models-check.json"), r.stdout);
    writeFileSync(join(out, "models-check.stderr"), r.stderr);
    const c = crashOf(r, true);
    if (c) crashes.push(`check of the models alone: ${c}`);
    const j = parseJson(r.stdout);
    modelFindings = j?.findings ?? [];
    const fkKey = (f) => `${f.table} (${(f.columns ?? []).join(", ")})`;
    const fks = (list) => new Set(list.filter((f) => f.rule === "unindexed-foreign-key").map(fkKey));
    const fromModels = fks(modelFindings);
    const fromCheck = fks(findings);
    row.models = {
      exit: r.code,
      seconds: r.seconds,
      summary: j?.summary ?? null,
      byRule: j ? countBy(j.findings) : {},
      unindexedForeignKeys: {
        models: fromModels.size,
        migrations: fromCheck.size,
        onlyModels: [...fromModels].filter((k) => !fromCheck.has(k)),
        onlyMigrations: [...fromCheck].filter((k) => !fromModels.has(k)),
      },
      drift: findings.filter((f) => f.rule === "orm-migration-drift").length,
    };
  }
  const inModels = (file) =>
    modelFindings !== null &&
    readModels(repo).some((m) => file === normPath(m.path) || file.startsWith(`${normPath(m.path)}/`));

  // 3. every offered fix, one at a time, on a fresh copy of its file.
  const fixable = findings
    .filter((f) => f.fix && (!args["models-fixes-only"] || inModels(f.file)))
    .slice(0, maxFixes);
  row.fixes = { offered: findings.filter((f) => f.fix).length, tried: 0, failed: 0, byRule: {} };
  if (!args["no-fixes"] && fixable.length) {
    const copies = Array.from({ length: Math.min(jobs, fixable.length) }, (_, i) => {
      const dir = join(out, `fix-worker-${i}`);
      cpSync(scratch, dir, { recursive: true, verbatimSymlinks: true });
      return dir;
    });
    const results = await pool(fixable, copies.length, async (finding, worker) => {
      const dir = copies[worker];
      const inCopy = (file) => join(dir, file);
      const read = (file) => {
        try {
          return readFileSync(inCopy(file), "utf8");
        } catch {
          return null;
        }
      };
      const applied = applyFix(finding, read);
      if (!applied.ok) return { finding: brief(finding), ok: false, reasons: [applied.reason] };
      const originals = new Map([...applied.files.keys()].map((f) => [f, read(f)]));
      const madeDirs = [];
      for (const [file, text] of applied.files) {
        // mkdirSync returns the first folder it made: a new migration's own folder (Prisma's).
        const made = mkdirSync(dirname(inCopy(file)), { recursive: true });
        if (made) madeDirs.push(made);
        writeFileSync(inCopy(file), text);
      }
      // A fix in the models is judged on the models alone: with the migrations, the finding stays
      // until the ORM's generate command writes the migration the fix implies.
      const model = inModels(finding.file);
      try {
        const r = await runCli(model ? modelsArgs : checkArgs, dir, checkTimeout);
        const c = crashOf(r, true);
        const after = parseJson(r.stdout);
        if (c || !after)
          return { finding: brief(finding), ok: false, reasons: [`re-check: ${c ?? `exit ${r.code}`}`] };
        const cmp = compareFindings(model ? modelFindings : findings, after.findings, finding, applied);
        const reasons = [];
        if (cmp.stillThere) reasons.push("the finding is still there");
        for (const n of cmp.added) reasons.push(`new ${n.rule}: ${n.file}:${n.line}: ${n.message}`);
        return {
          finding: brief(finding),
          ok: reasons.length === 0,
          reasons,
          replacement: finding.fix.replacement,
          ...(finding.fix.edits?.length ? { edits: finding.fix.edits } : {}),
        };
      } finally {
        // Put the copy back: rewritten files get their text again, created files (and the
        // folders made for them) go.
        for (const [file, text] of originals) {
          if (text !== null) writeFileSync(inCopy(file), text);
          else rmSync(inCopy(file), { force: true });
        }
        for (const made of madeDirs) rmSync(made, { recursive: true, force: true });
      }
    });
    for (const r of results) {
      row.fixes.tried++;
      if (!row.fixes.byRule[r.finding.rule]) row.fixes.byRule[r.finding.rule] = { offered: 0, failed: 0 };
      const b = row.fixes.byRule[r.finding.rule];
      b.offered++;
      if (!r.ok) {
        row.fixes.failed++;
        b.failed++;
      }
    }
    writeFileSync(join(out, "fixes.json"), `${JSON.stringify(results, null, 2)}\n`);
    for (const dir of copies) rmSync(dir, { recursive: true, force: true });
  }

  // 4. verify against the server (a scratch database it creates and drops), or PGlite.
  if (!args["no-verify"]) {
    const vArgs = [
      "verify",
      "--config",
      CONFIG_NAME,
      "--format",
      "json",
      "--keep-going",
      "--timeout",
      String(Math.floor(verifyTimeout / 1000) - 30),
    ];
    if (args["database-url"]) vArgs.push("--database-url", args["database-url"]);
    const v = await runCli(vArgs, scratch, verifyTimeout);
    writeFileSync(join(out, "verify.json"), v.stdout);
    writeFileSync(join(out, "verify.stderr"), v.stderr);
    const c = crashOf(v, true);
    if (c) crashes.push(`verify: ${c}`);
    const vr = parseJson(v.stdout);
    const vf = (vr?.findings ?? []).filter((f) => f.source === "verify");
    row.verify = {
      exit: v.code,
      seconds: v.seconds,
      byRule: countBy(vf),
      timedOut: vr?.verify?.timedOut ?? null,
      error: v.code === 2 && !vr ? v.stderr.trim().split("\n")[0] : undefined,
    };
  }
  row.crashes = crashes;
  if (!args["keep-copies"]) rmSync(scratch, { recursive: true, force: true });
  writeFileSync(join(out, "row.json"), `${JSON.stringify(row, null, 2)}\n`);
  return row;
}

function brief(f) {
  return {
    rule: f.rule,
    file: f.file,
    line: f.line,
    column: f.column,
    message: f.message,
    fix: f.fix?.description,
  };
}

const rows = [];
mkdirSync(args.work, { recursive: true });
for (const repo of manifest.repositories) {
  if (only && !only.has(repo.name)) continue;
  process.stderr.write(`${repo.name}: running…\n`);
  const row = await runRepo(repo);
  process.stderr.write(
    `${repo.name}: check ${row.check?.seconds?.toFixed(1) ?? "-"} s, ${row.fixes?.tried ?? 0} fixes, verify ${row.verify?.seconds?.toFixed(1) ?? "-"} s\n`,
  );
  rows.push(row);
}
process.stdout.write(renderTable(rows, { verify: !args["no-verify"], workDir: args.work }));
if (args.json)
  writeFileSync(args.json, `${JSON.stringify({ cli, manifest: args.manifest, rows }, null, 2)}\n`);
