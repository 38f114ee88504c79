#!/usr/bin/env node
// Builds build/pglite/snapshot.tar.gz: an initialised PGlite data directory, so that `verify`
// starts PGlite from it instead of running initdb (seconds) every time. snapshot.json records the
// PGlite version that made it; src/verify/pglite.ts uses the snapshot only for that version.
// Skips the work when an up-to-date snapshot exists; --force rebuilds it.
//
// verify unpacks the snapshot into PGlite's in-memory file system, so every byte of it is memory
// for the whole run. initdb's default WAL segment is 16 MB, written out in full (zeros past the
// few kilobytes in use), and PostgreSQL keeps recycled segments ahead of the current one: 16 of
// the 40 MB. With 1 MB segments, and only the segments from the last checkpoint's redo point to
// the current insert position kept, the WAL is 1 MB. The segment size is fixed at initdb and read
// from pg_control at every start, so the snapshot carries it.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "build", "pglite");
const archive = join(dir, "snapshot.tar.gz");
const manifest = join(dir, "snapshot.json");
/** Bump when the snapshot's contents change for the same PGlite version, to rebuild it. */
const FORMAT = 2;
const WAL_SEGMENT_MB = 1;

// The package's exports do not list package.json; it sits above dist/.
const main = require.resolve("@electric-sql/pglite");
const version = JSON.parse(readFileSync(join(dirname(main), "..", "package.json"), "utf8")).version;

const current =
  existsSync(manifest) && existsSync(archive) ? JSON.parse(readFileSync(manifest, "utf8")) : undefined;
if (current?.pglite === version && current?.format === FORMAT && !process.argv.includes("--force")) {
  console.log(`pglite snapshot: up to date (PGlite ${version})`);
  process.exit(0);
}

const { PGlite } = await import("@electric-sql/pglite");
const started = performance.now();
const db = await PGlite.create({ initDbStartParams: [`--wal-segsize=${WAL_SEGMENT_MB}`] });
const initdbMs = Math.round(performance.now() - started);
await db.exec("CHECKPOINT");
const { rows } = await db.query(
  `SELECT current_setting('server_version') AS version,
          pg_walfile_name(pg_current_wal_insert_lsn()) AS insert,
          (SELECT pg_walfile_name(redo_lsn) FROM pg_control_checkpoint()) AS redo`,
);
const { version: postgres, insert, redo } = rows[0];
const blob = await db.dumpDataDir("none");
await db.close();
const tar = withoutSpareWal(Buffer.from(await blob.arrayBuffer()), redo, insert);
const bytes = gzipSync(tar, { level: 9 });

mkdirSync(dir, { recursive: true });
// Write beside, then rename: a build interrupted halfway never leaves a truncated snapshot.
writeFileSync(`${archive}.tmp`, bytes);
renameSync(`${archive}.tmp`, archive);
writeFileSync(
  manifest,
  `${JSON.stringify({ pglite: version, postgres, format: FORMAT, bytes: bytes.length, unpacked: tar.length }, null, 2)}\n`,
);
console.log(
  `pglite snapshot: PGlite ${version} (PostgreSQL ${postgres}), ${(bytes.length / 1e6).toFixed(1)} MB (${(tar.length / 1e6).toFixed(1)} MB unpacked), initdb ${initdbMs} ms`,
);

/**
 * The tar without the WAL segments outside [redo, insert]: those before the redo point are not
 * read at start-up, and those after the insert position are recycled spares that PostgreSQL
 * creates again when it reaches them. Segment names sort in WAL order.
 */
function withoutSpareWal(tar, from, to) {
  const field = (at, length) => {
    const text = tar.subarray(at, at + length).toString("utf8");
    const nul = text.indexOf("\0");
    return nul === -1 ? text : text.slice(0, nul);
  };
  const kept = [];
  const segments = [];
  let at = 0;
  while (at + 512 <= tar.length && tar[at] !== 0) {
    const name = field(at, 100);
    const size = Number.parseInt(field(at + 124, 12).trim() || "0", 8);
    const end = at + 512 + Math.ceil(size / 512) * 512;
    const segment = /(?:^|\/)pg_wal\/([0-9A-F]{24})$/.exec(name)?.[1];
    if (segment === undefined || (segment >= from && segment <= to)) kept.push(tar.subarray(at, end));
    if (segment !== undefined && segment >= from && segment <= to) segments.push(segment);
    at = end;
  }
  if (!segments.includes(from) || !segments.includes(to))
    throw new Error(`the PGlite data directory lacks WAL segment ${from} or ${to}`);
  // Two zero blocks end a tar archive.
  return Buffer.concat([...kept, Buffer.alloc(1024)]);
}
