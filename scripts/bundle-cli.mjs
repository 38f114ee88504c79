#!/usr/bin/env node
// Builds build/cli-bundle.js, the CLI as one esbuild bundle, which bin/pg-index-lint.js runs for
// check and verify when it is there. Node then reads and compiles one file instead of about 260
// modules (zod, yaml, libpg-query, lezer, pgsql-deparser and ours), which is most of a small run's
// start-up. The rest of build/ (tsc's output) stays the library that tests and `import` use.
//
// The bundle is a CommonJS script, not an ES module, so that the bin can compile it with
// `vm.Script` and a V8 code cache: build/cli-bundle.js.cache, which this script writes after a
// sample `check` through the bin (the bytecode of what that run compiled, so a run skips most of
// its compiling). Node 20 has no code cache for ES modules. The bundle is ASCII (esbuild escapes
// the rest), which the bin reads as latin1, and without whitespace or comments: on a busy runner
// reading and copying the bytes of the bundle costs as much as compiling them.
//
// libpg-query's WASM goes beside it (the emscripten glue looks in `__dirname`). The database
// drivers stay in node_modules: only verify loads them, so the bundle need not hold them.
//
// `npm run build` runs this after tsc; `npm ci` runs that through `prepare`.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const out = join(root, "build");
const bundle = join(out, "cli-bundle.js");
const codeCache = `${bundle}.cache`;
mkdirSync(out, { recursive: true });
rmSync(codeCache, { force: true });

// Packages that only some runs use (a config file, models, a fix), each in a file of its own,
// build/vendor/<name>.cjs, which the bundle `require`s where the module that imports it starts:
// lazily, for the modules lazyModules() below stands in for. A run that needs none of them reads
// a bundle of 0.8 MB instead of 2.4 MB. They are self-contained: nothing else in the bundle
// imports their dependencies (@lezer/common and @babel/types only as types).
const VENDOR = ["zod", "yaml", "@babel/parser", "@lezer/python", "pgsql-deparser"];
const vendorFile = (name) => `vendor/${name.replace(/^@/, "").replace("/", "-")}.cjs`;
rmSync(join(out, "vendor"), { recursive: true, force: true });
// What the bundle and the vendor files share: CommonJS for Node 20, ASCII, without whitespace.
const CJS_FOR_NODE = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  charset: "ascii",
  minifyWhitespace: true,
  logLevel: "warning",
};
for (const name of VENDOR) {
  await build({
    ...CJS_FOR_NODE,
    stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: root, loader: "js" },
    outfile: join(out, vendorFile(name)),
  });
}

await build({
  absWorkingDir: root,
  entryPoints: ["src/cli.ts"],
  outfile: bundle,
  ...CJS_FOR_NODE,
  // The modules are ES modules, which are strict; so is the bundle. `import.meta.url` is the
  // bundle's own URL: it sits in build/ as tsc's build/cli.js does, so paths taken from it
  // (package.json, rules/, build/pglite/) resolve the same; src/verify/pglite.ts asks
  // __PG_INDEX_LINT_CLI_BUNDLE__.
  //
  // The file is the function that Node would wrap a CommonJS module in, so that the bin compiles
  // it as it is read: a wrapper added to the text there would copy its 2 MB once more.
  banner: {
    js: `(function (exports, require, module, __filename, __dirname) {"use strict";var __bundleImportMetaUrl=require("node:url").pathToFileURL(__filename).href;`,
  },
  footer: { js: "\n})" },
  define: { __PG_INDEX_LINT_CLI_BUNDLE__: "true", "import.meta.url": "__bundleImportMetaUrl" },
  external: ["pg", "pg-native", "cloudflare:sockets", "@electric-sql/pglite", "@electric-sql/pglite/*"],
  // lazyModules first: a stand-in for a vendored package requires it through vendorPackages.
  plugins: [
    await lazyModules([
      // yaml and zod: only a run with a config file reads one.
      "src/config/parse.ts",
      // The model readers and their parsers (Babel, lezer), for a `models` entry or Alembic.
      "src/models/drizzle/index.ts",
      "src/models/prisma/index.ts",
      "src/python/syntax.ts",
      // For a fix or a message that prints an expression.
      "pgsql-deparser",
      // Node's own modules that a plain check does not use (git, hashes for --cache and SARIF),
      // whose loading costs 15-20 ms each.
      "node:child_process",
      "node:crypto",
      // Query files' globs (fdir, and picomatch a second time, from node_modules).
      "tinyglobby",
    ]),
    vendorPackages(VENDOR),
  ],
});
copyFileSync(require.resolve("libpg-query/wasm/libpg-query.wasm"), join(out, "libpg-query.wasm"));

// The bin reads the bundle as latin1, which is ASCII's superset. esbuild's ASCII charset leaves
// regular expression literals as they are (`[:\-–—]` in src/python/syntax.ts): their characters
// become \u escapes, which mean the same in a regular expression as in a string.
const text = readFileSync(bundle, "utf8");
writeFileSync(
  bundle,
  text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
);

// The code cache, from a sample check run by the bin itself: V8 takes a cache only from a process
// with the same V8 flags, and the bin sets check's. A cache V8 rejects (another Node) costs the
// bin a file read, and it compiles as it would without one.
const sample = mkdtempSync(join(tmpdir(), "pg-index-lint-code-cache-"));
try {
  writeFileSync(
    join(sample, "0001_accounts.sql"),
    "CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);\n" +
      "CREATE INDEX accounts_id ON accounts (id);\n",
  );
  writeFileSync(
    join(sample, "0002_orders.sql"),
    "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));\n" +
      "ALTER TABLE accounts ADD COLUMN name text;\nCREATE INDEX orders_account_id ON orders (account_id);\n",
  );
  execFileSync(process.execPath, [join(root, "bin/pg-index-lint.js"), "check", sample, "--format", "json"], {
    cwd: sample,
    env: { ...process.env, PG_INDEX_LINT_WRITE_CODE_CACHE: codeCache },
    stdio: "ignore",
  });
} catch (error) {
  // A check with findings exits 1; the cache is written all the same.
  if (error.status !== 1) throw error;
} finally {
  rmSync(sample, { recursive: true, force: true });
}
readFileSync(codeCache);

/** Leaves each package of `names` out of the bundle, `require`d from build/vendor/ instead. */
function vendorPackages(names) {
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[/.]/g, "\\$&")).join("|")})$`);
  return {
    name: "vendor-packages",
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: `./${vendorFile(args.path)}`, external: true }));
    },
  };
}

/**
 * Makes the modules in `targets` (files of src/, or package names) start on first use rather than
 * when the bundle loads. Every import of one gets a stand-in module instead: for each function the
 * module exports, a function that loads the module (esbuild's `require` of a bundled module, which
 * runs its init, and that of what it imports, once) and calls the module's own. The names come
 * from the module as tsc built it (build/…) or as `require` gives the package. A module that imports a class or
 * a value from a target gets no such name from the stand-in, and esbuild stops the build with "No
 * matching export": such an import must stay eager, or the value move behind a function.
 */
async function lazyModules(targets) {
  const stubs = new Map();
  for (const target of targets) {
    const local = target.startsWith("src/");
    const loaded = local
      ? await import(join(out, target.slice("src/".length).replace(/\.ts$/, ".js")))
      : require(target);
    // Functions only, not classes nor constructors (capitalised: node's `Hash`), which a stand-in
    // cannot be.
    const names = Object.keys(loaded).filter(
      (name) =>
        /^[a-z]/.test(name) &&
        typeof loaded[name] === "function" &&
        !/^class\b/.test(Function.prototype.toString.call(loaded[name])),
    );
    if (names.length === 0) throw new Error(`lazyModules: ${target} exports no function`);
    stubs.set(local ? join(root, target) : target, names);
  }
  return {
    name: "lazy-modules",
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.lazyModules) return undefined;
        // The stand-in's own `require` gets the module.
        if (args.namespace === "lazy-module") {
          const resolved = await b.resolve(args.path, {
            kind: args.kind,
            resolveDir: args.resolveDir,
            pluginData: { lazyModules: true },
          });
          return { path: resolved.path, external: resolved.external };
        }
        // Node's modules also where a bundled CommonJS package requires them (commander's
        // node:child_process, for subcommands run as programs, which ours are not).
        if (stubs.has(args.path) && (args.kind === "import-statement" || args.path.startsWith("node:")))
          return { path: args.path, namespace: "lazy-module" };
        if (args.kind !== "import-statement") return undefined;
        if (!args.path.startsWith(".")) return undefined;
        const resolved = await b.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: { lazyModules: true },
        });
        if (resolved.errors.length > 0 || !stubs.has(resolved.path)) return resolved;
        return { path: resolved.path, namespace: "lazy-module" };
      });
      b.onLoad({ filter: /.*/, namespace: "lazy-module" }, (args) => {
        const local = args.path.startsWith("/");
        const names = stubs.get(args.path);
        return {
          loader: "js",
          resolveDir: local ? dirname(args.path) : root,
          contents: [
            "let m;",
            `const load = () => (m ??= require(${JSON.stringify(local ? `./${basename(args.path)}` : args.path)}));`,
            ...names.map((name) => `export function ${name}(...args) { return load().${name}(...args); }`),
          ].join("\n"),
        };
      });
    },
  };
}
