/**
 * The CLI's bundle as bin/pg-index-lint.js runs it (scripts/bundle-cli.mjs, after `npm run
 * build`): a CommonJS script compiled with a V8 code cache, whose model readers, config parser,
 * deparser and some of Node's modules load on first use, the packages behind them from
 * build/vendor/. What it prints must be what the library
 * (build/cli.js) prints; what a plain check does not use must not load.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { scratchDir } from "./harness.js";

const ROOT = resolve(import.meta.dirname, "..");
const BIN = join(ROOT, "bin/pg-index-lint.js");

function oneFileRepo(): string {
  const root = scratchDir("pil-bundle-");
  mkdirSync(join(root, "migrations"));
  writeFileSync(
    join(root, "migrations/0001_orders.sql"),
    "CREATE TABLE orders (id bigint PRIMARY KEY);\nCREATE INDEX orders_id ON orders (id);\n",
  );
  return root;
}

/** A repository with a config, its SQL migration and Drizzle models. */
function modelsRepo(): string {
  const root = oneFileRepo();
  cpSync(join(ROOT, "test/fixtures/drizzle-schema/src/db"), join(root, "schema"), { recursive: true });
  writeFileSync(
    join(root, ".pg-index-lint.yml"),
    "migrations:\n  - path: migrations\nmodels:\n  - path: schema\n    orm: drizzle\n",
  );
  return root;
}

function bin(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; node?: string[] }) {
  const run = spawnSync(process.execPath, [...(options.node ?? []), BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    encoding: "utf8",
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The same command through build/cli.js, the library's CLI, without the bundle. */
function library(args: string[], cwd: string) {
  const script = `import { main } from ${JSON.stringify(join(ROOT, "build/cli.js"))};
process.exitCode = await main(${JSON.stringify(args)}, { stdout: process.stdout, stderr: process.stderr, env: process.env });`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd,
    env: { ...process.env, NO_COLOR: "1" },
    encoding: "utf8",
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/**
 * The module inits and functions a run of the bin executed, by name, from V8's function events.
 * The code cache is not read (the build's variable makes the bin write one instead), so that
 * every function is compiled, and logged, by name.
 */
function executed(
  repo: string,
  target: string,
): { names: Set<string>; builtins: string[]; vendor: string[] } {
  const dir = scratchDir("pil-bundle-log-");
  const log = join(dir, "v8.log");
  const probe = join(dir, "probe.cjs");
  // Which of Node's modules the process loaded, printed when it exits.
  writeFileSync(
    probe,
    [
      'process.on("exit", () => {',
      '  process.stderr.write("\\nBUILTINS " + process.moduleLoadList.join(",") + "\\n");',
      '  process.stderr.write("\\nREQUIRED " + Object.keys(require.cache).join(",") + "\\n");',
      "});",
    ].join("\n"),
  );
  const run = bin(["check", target, "--format", "json"], {
    cwd: repo,
    env: { PG_INDEX_LINT_WRITE_CODE_CACHE: join(dir, "cache") },
    node: ["--log-function-events", `--logfile=${log}`, "--no-logfile-per-isolate", "--require", probe],
  });
  // 0 or 1 by the findings: a run that did its work, not a usage or input error.
  expect([0, 1], run.stderr).toContain(run.code);
  expect(readFileSync(join(dir, "cache")).length).toBeGreaterThan(0);
  const names = new Set<string>();
  for (const line of readFileSync(log, "utf8").split("\n")) {
    if (!line.startsWith("function,first-execution,")) continue;
    names.add(line.slice(line.lastIndexOf(",") + 1).replace(/^"|"$/g, ""));
  }
  const builtins = (/BUILTINS (.*)/.exec(run.stderr)?.[1] ?? "").split(",");
  const vendor = (/REQUIRED (.*)/.exec(run.stderr)?.[1] ?? "")
    .split(",")
    .filter((f) => f.includes("/build/vendor/"))
    .map((f) => f.slice(f.lastIndexOf("/") + 1))
    .sort();
  return { names, builtins, vendor };
}

const LAZY = [
  "src/config/parse.ts",
  "src/config/schema.ts",
  "src/models/drizzle/index.ts",
  "src/models/prisma/index.ts",
  "src/python/syntax.ts",
];

describe("the CLI bundle", () => {
  it("prints what build/cli.js prints, with and without a config, models and errors", () => {
    const plain = oneFileRepo();
    const models = modelsRepo();
    const badConfig = oneFileRepo();
    writeFileSync(
      join(badConfig, ".pg-index-lint.yml"),
      "migrations:\n  - path: migrations\n    runnr: sql\n",
    );
    const cases: [string, string[]][] = [
      [plain, ["check", "migrations", "--format", "json"]],
      [plain, ["check", "migrations", "--format", "sarif"]],
      [models, ["check", ".", "--format", "json"]],
      [models, ["check", "."]],
      [badConfig, ["check", "."]],
      [ROOT, ["check", "examples/prisma-app", "--format", "github"]],
      [ROOT, ["check", "test/fixtures/alembic/reversed", "--format", "json"]],
    ];
    for (const [cwd, args] of cases) {
      const fromBundle = bin(args, { cwd });
      expect(fromBundle, `${cwd}: ${args.join(" ")}`).toEqual(library(args, cwd));
    }
    // The cases read models and reported errors: they are not all the same empty run.
    expect(bin(["check", ".", "--format", "json"], { cwd: models }).stdout).toContain("schema/");
    expect(bin(["check", "."], { cwd: badConfig }).stderr).toContain('unknown key "runnr"');
  });

  it("loads no config parser, model reader, git or hashing for a plain check, and loads them when asked", () => {
    const plain = executed(oneFileRepo(), "migrations");
    // Module inits are logged by name: the run's own are there.
    expect(plain.names).toContain("src/check.ts");
    expect(plain.names).toContain("src/config/load.ts");
    for (const name of LAZY) expect(plain.names, name).not.toContain(name);
    expect(
      [...plain.names].filter((n) => /node_modules\/(zod|yaml|@lezer|@babel|pgsql-deparser)\//.test(n)),
    ).toEqual([]);
    expect(plain.builtins).not.toContain("NativeModule child_process");
    expect(plain.builtins).not.toContain("NativeModule crypto");
    expect(plain.builtins).toContain("NativeModule fs");
    expect(plain.vendor).toEqual([]);

    const withModels = executed(modelsRepo(), ".");
    for (const name of ["src/config/parse.ts", "src/config/schema.ts", "src/models/drizzle/index.ts"])
      expect(withModels.names, name).toContain(name);
    expect(withModels.vendor).toEqual(["babel-parser.cjs", "yaml.cjs", "zod.cjs"]);
  });

  it("has a code cache that V8 takes under check's flags", () => {
    const script = `const { readFileSync } = require("node:fs");
const { Script } = require("node:vm");
const v8 = require("node:v8");
v8.setFlagsFromString("--liftoff-only");
v8.setFlagsFromString("--semi-space-growth-factor=1");
v8.setFlagsFromString("--verify-snapshot-checksum");
const file = ${JSON.stringify(join(ROOT, "build/cli-bundle.js"))};
const script = new Script(readFileSync(file, "latin1"), { filename: file, cachedData: readFileSync(file + ".cache") });
process.stdout.write(String(script.cachedDataRejected));`;
    const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("false");
  });

  it("runs as without a cache when the code cache is corrupt", () => {
    // A copy of the package's files, with a damaged cache beside the bundle.
    const copy = scratchDir("pil-bundle-copy-");
    for (const dir of ["bin", "build", "rules"]) mkdirSync(join(copy, dir));
    cpSync(join(ROOT, "build/vendor"), join(copy, "build/vendor"), { recursive: true });
    copyFileSync(BIN, join(copy, "bin/pg-index-lint.js"));
    for (const file of ["cli-bundle.js", "libpg-query.wasm"])
      copyFileSync(join(ROOT, "build", file), join(copy, "build", file));
    cpSync(join(ROOT, "rules"), join(copy, "rules"), { recursive: true });
    copyFileSync(join(ROOT, "package.json"), join(copy, "package.json"));
    symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
    const cache = readFileSync(join(ROOT, "build/cli-bundle.js.cache"));
    for (let i = 64; i < cache.length; i += 97) cache[i] = (cache[i] ?? 0) ^ 0xff;
    writeFileSync(join(copy, "build/cli-bundle.js.cache"), cache);

    const repo = oneFileRepo();
    const args = [join(copy, "bin/pg-index-lint.js"), "check", "migrations", "--format", "json"];
    const damaged = spawnSync(process.execPath, args, { cwd: repo, encoding: "utf8" });
    const intact = bin(["check", "migrations", "--format", "json"], { cwd: repo });
    expect(damaged.status, damaged.stderr).toBe(intact.code);
    expect(damaged.stdout).toBe(intact.stdout);
    expect(JSON.parse(damaged.stdout).findings[0].rule).toBe("duplicate-index");
  });
});
