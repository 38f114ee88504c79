#!/usr/bin/env node
// Builds build/pglite/snapshot.tar.gz: an initialised PGlite data directory, so that `verify`
// starts PGlite from it instead of running initdb (seconds) every time. snapshot.json records the
// PGlite version that made it; src/verify/pglite.ts uses the snapshot only for that version.
// Skips the work when an up-to-date snapshot exists; --force rebuilds it.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "build", "pglite");
const archive = join(dir, "snapshot.tar.gz");
const manifest = join(dir, "snapshot.json");

// The package's exports do not list package.json; it sits above dist/.
const main = require.resolve("@electric-sql/pglite");
const version = JSON.parse(readFileSync(join(dirname(main), "..", "package.json"), "utf8")).version;

const current =
  existsSync(manifest) && existsSync(archive) ? JSON.parse(readFileSync(manifest, "utf8")) : undefined;
if (current?.pglite === version && !process.argv.includes("--force")) {
  console.log(`pglite snapshot: up to date (PGlite ${version})`);
  process.exit(0);
}

const { PGlite } = await import("@electric-sql/pglite");
const started = performance.now();
const db = await PGlite.create();
const initdbMs = Math.round(performance.now() - started);
const { rows } = await db.query("SELECT current_setting('server_version') AS version");
const blob = await db.dumpDataDir("gzip");
await db.close();
const bytes = Buffer.from(await blob.arrayBuffer());

mkdirSync(dir, { recursive: true });
// Write beside, then rename: a build interrupted halfway never leaves a truncated snapshot.
writeFileSync(`${archive}.tmp`, bytes);
renameSync(`${archive}.tmp`, archive);
writeFileSync(
  manifest,
  `${JSON.stringify({ pglite: version, postgres: rows[0].version, bytes: bytes.length }, null, 2)}\n`,
);
console.log(
  `pglite snapshot: PGlite ${version} (PostgreSQL ${rows[0].version}), ${(bytes.length / 1e6).toFixed(1)} MB, initdb ${initdbMs} ms`,
);
