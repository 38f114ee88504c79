#!/usr/bin/env node
// Builds build/cli-bundle.js, the CLI as one esbuild bundle, which bin/pg-index-lint.js loads when
// it is there. Node then reads and compiles one file instead of about 260 modules (zod, yaml,
// libpg-query, lezer, pgsql-deparser and ours), which is most of a small run's start-up.
// libpg-query's WASM goes beside it (the emscripten glue looks in `__dirname`). The database
// drivers stay in node_modules: only verify loads them, so the bundle need not hold them. The
// rest of build/ (tsc's output) stays the library that tests and `import` use.
//
// `npm run build` runs this after tsc; `npm ci` runs that through `prepare`.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { ESM_FOR_NODE } from "./esm-bundle.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const out = join(root, "build");
mkdirSync(out, { recursive: true });

await build({
  absWorkingDir: root,
  entryPoints: ["src/cli.ts"],
  outfile: join(out, "cli-bundle.js"),
  ...ESM_FOR_NODE,
  logLevel: "warning",
  // The bundle sits in build/ as tsc's build/cli.js does, so paths taken from import.meta.url
  // (package.json, rules/, build/pglite/) resolve the same; src/verify/pglite.ts asks this.
  define: { __PG_INDEX_LINT_CLI_BUNDLE__: "true" },
  external: ["pg-native", "cloudflare:sockets", "@electric-sql/pglite", "@electric-sql/pglite/*"],
  plugins: [lazyRequire("pg")],
  // Without comments and indentation V8 reads 2.4 MB instead of 3.4 MB at each start; names stay
  // as they are, so a stack trace still says which function failed. And in ASCII: V8 keeps a
  // source with any other character as UTF-16, twice the memory (6.7 MB on the heap for 3.4 MB).
  minifyWhitespace: true,
  charset: "ascii",
});
copyFileSync(require.resolve("libpg-query/wasm/libpg-query.wasm"), join(out, "libpg-query.wasm"));

/**
 * Leaves the package `name` in node_modules, loaded by `require` when the module that imports it
 * first runs, not when the bundle loads. An external `import` would be hoisted to the top of the
 * bundle, so check would load the PostgreSQL driver that only verify uses (about 0.04 s). As a
 * CommonJS module in the bundle, the import runs inside the lazy init of verify's modules.
 */
function lazyRequire(name) {
  const filter = new RegExp(`^${name}$`);
  return {
    name: `lazy-require-${name}`,
    setup(b) {
      b.onResolve({ filter }, (args) =>
        args.namespace === "lazy-require"
          ? { path: name, external: true }
          : { path: name, namespace: "lazy-require" },
      );
      b.onLoad({ filter: /.*/, namespace: "lazy-require" }, () => ({
        contents: `module.exports = require(${JSON.stringify(name)});`,
        loader: "js",
      }));
    },
  };
}
