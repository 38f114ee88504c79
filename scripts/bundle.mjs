#!/usr/bin/env node
// Builds the Action's dist/: GitHub runs `node dist/index.js` from a checkout with no
// node_modules, so everything the Action loads at run time is in dist/:
// - index.js: src/action-main.ts and its dependencies, bundled by esbuild (ESM; the banner gives
//   the bundled CommonJS modules `require`, `__filename` and `__dirname`);
// - libpg-query.wasm beside it (the emscripten glue looks for it in `__dirname`);
// - pglite/: PGlite's CommonJS build with its WASM, data and extension files, loaded by the
//   verify worker by path (src/verify/pglite.ts, __PG_INDEX_LINT_BUNDLE__), and the data
//   directory snapshot it starts from.
// The output is deterministic, so CI can rebuild it and compare (scripts/check-dist.mjs). The one
// exception is the PGlite snapshot, which initdb writes anew each time: an existing one made by
// the same PGlite version is kept.
//
// Usage: node scripts/bundle.mjs [--out DIR]   (default: dist)
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { ESM_FOR_NODE } from "./esm-bundle.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const outArg = process.argv.indexOf("--out");
const out = resolve(root, outArg >= 0 ? (process.argv[outArg + 1] ?? "dist") : "dist");

const pgliteMain = require.resolve("@electric-sql/pglite"); // …/pglite/dist/index.cjs
const pgliteDist = dirname(pgliteMain);
const pglitePackage = JSON.parse(readFileSync(join(pgliteDist, "..", "package.json"), "utf8"));

// Keep a snapshot already in the output when the same PGlite version made it.
const snapshotDir = join(out, "pglite", "snapshot");
const keptSnapshot = sameVersionSnapshot(snapshotDir)
  ? {
      json: readFileSync(join(snapshotDir, "snapshot.json")),
      tar: readFileSync(join(snapshotDir, "snapshot.tar.gz")),
    }
  : undefined;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  absWorkingDir: root,
  entryPoints: ["src/action-main.ts"],
  outfile: join(out, "index.js"),
  ...ESM_FOR_NODE,
  legalComments: "eof",
  logLevel: "warning",
  define: { __PG_INDEX_LINT_BUNDLE__: "true" },
  // pg's optional native binding and its Cloudflare socket are never used here.
  external: ["pg-native", "cloudflare:sockets"],
});

copyFileSync(require.resolve("libpg-query/wasm/libpg-query.wasm"), join(out, "libpg-query.wasm"));

// PGlite, laid out as its package is (package.json above dist/), trimmed to what Node loads.
const pgliteOut = join(out, "pglite");
mkdirSync(join(pgliteOut, "dist", "contrib"), { recursive: true });
writeFileSync(
  join(pgliteOut, "package.json"),
  `${JSON.stringify({ name: pglitePackage.name, version: pglitePackage.version, license: pglitePackage.license }, null, 2)}\n`,
);
const pgliteRoot = join(pgliteDist, "..");
for (const file of ["LICENSE", "LICENSE.md"])
  if (existsSync(join(pgliteRoot, file))) copyFileSync(join(pgliteRoot, file), join(pgliteOut, file));
for (const file of readdirSync(pgliteDist).sort()) {
  if (["index.cjs", "pglite.wasm", "pglite.data", "initdb.wasm"].includes(file) || file.endsWith(".tar.gz"))
    copyFileSync(join(pgliteDist, file), join(pgliteOut, "dist", file));
}
for (const file of readdirSync(join(pgliteDist, "contrib")).sort()) {
  if (file.endsWith(".cjs"))
    copyFileSync(join(pgliteDist, "contrib", file), join(pgliteOut, "dist", "contrib", file));
}

mkdirSync(snapshotDir, { recursive: true });
if (keptSnapshot) {
  writeFileSync(join(snapshotDir, "snapshot.json"), keptSnapshot.json);
  writeFileSync(join(snapshotDir, "snapshot.tar.gz"), keptSnapshot.tar);
} else {
  const built = join(root, "build", "pglite");
  if (!sameVersionSnapshot(built))
    execFileSync(process.execPath, [join(root, "scripts", "pglite-snapshot.mjs")]);
  copyFileSync(join(built, "snapshot.json"), join(snapshotDir, "snapshot.json"));
  copyFileSync(join(built, "snapshot.tar.gz"), join(snapshotDir, "snapshot.tar.gz"));
}

console.log(`bundle: ${out} (PGlite ${pglitePackage.version})`);

function sameVersionSnapshot(dir) {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, "snapshot.json"), "utf8"));
    // format: scripts/pglite-snapshot.mjs bumps it when the snapshot's contents change (2: 1 MB WAL segments).
    return (
      manifest.pglite === pglitePackage.version &&
      manifest.format === 2 &&
      existsSync(join(dir, "snapshot.tar.gz"))
    );
  } catch {
    return false;
  }
}
