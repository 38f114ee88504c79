#!/usr/bin/env node
/**
 * Writes the tree of one commit of a bare git directory into a folder, skipping blobs the snapshot
 * lacks. The search tool's snapshots leave out files of 4 MiB and more (and Git LFS content), so
 * `git archive` stops at the first missing blob; migrations are never that large, so skipping is safe.
 *
 *   node bench/realworld/materialise.mjs --git-dir /work/.mirror/owner+name/repo --commit SHA --out DIR/name
 *   node bench/realworld/materialise.mjs --manifest bench/realworld/manifest.json --mirror /work/.mirror --out DIR
 *
 * Plain Node ESM; needs `git` on the PATH and no network. It never runs anything from the repository.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    "git-dir": { type: "string" },
    commit: { type: "string" },
    out: { type: "string" },
    manifest: { type: "string" },
    mirror: { type: "string", default: "/work/.mirror" },
    only: { type: "string" },
    force: { type: "boolean", default: false },
  },
});

/** The entries of `commit`'s tree: mode, type, object id, path (NUL-separated, so any file name is safe). */
function listTree(gitDir, commit) {
  const out = spawnSync("git", ["--git-dir", gitDir, "ls-tree", "-r", "-z", "--full-tree", commit], {
    maxBuffer: 1 << 30,
  });
  if (out.status !== 0) throw new Error(`git ls-tree failed: ${out.stderr.toString()}`);
  return out.stdout
    .toString("utf8")
    .split("\0")
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf("\t");
      const [mode, type, oid] = line.slice(0, tab).split(" ");
      return { mode, type, oid, path: line.slice(tab + 1) };
    });
}

/** Reads every blob through one `git cat-file --batch`; a missing object answers "<oid> missing". */
async function readBlobs(gitDir, oids) {
  const child = spawn("git", ["--git-dir", gitDir, "cat-file", "--batch"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const chunks = [];
  child.stdout.on("data", (c) => chunks.push(c));
  const done = new Promise((res, rej) => {
    child.on("error", rej);
    child.on("close", res);
  });
  child.stdin.end(`${oids.join("\n")}\n`);
  await done;
  const buf = Buffer.concat(chunks);
  const blobs = new Map();
  let pos = 0;
  for (const oid of oids) {
    const nl = buf.indexOf(10, pos);
    const header = buf.subarray(pos, nl).toString();
    pos = nl + 1;
    if (header.endsWith(" missing")) {
      blobs.set(oid, null);
      continue;
    }
    const size = Number(header.split(" ")[2]);
    blobs.set(oid, buf.subarray(pos, pos + size));
    pos += size + 1;
  }
  return blobs;
}

async function materialise(gitDir, commit, outDir) {
  const root = resolve(outDir);
  const entries = listTree(gitDir, commit).filter((e) => e.type === "blob");
  const missing = [];
  // Batches keep memory bounded on large repositories.
  for (let i = 0; i < entries.length; i += 2000) {
    const batch = entries.slice(i, i + 2000);
    const blobs = await readBlobs(
      gitDir,
      batch.map((e) => e.oid),
    );
    for (const e of batch) {
      const target = resolve(root, e.path);
      // A tree path cannot climb out of the root, but the repository is untrusted input.
      if (!target.startsWith(root + sep)) continue;
      const data = blobs.get(e.oid);
      if (data === null) {
        missing.push(e.path);
        continue;
      }
      mkdirSync(dirname(target), { recursive: true });
      if (e.mode === "120000") {
        // Symlinks are recreated only when they stay inside the tree; otherwise skipped.
        const link = data.toString();
        const pointsTo = resolve(dirname(target), link);
        if (pointsTo.startsWith(root + sep)) {
          try {
            symlinkSync(link, target);
          } catch {}
        }
        continue;
      }
      writeFileSync(target, data, { mode: e.mode === "100755" ? 0o755 : 0o644 });
    }
  }
  return { files: entries.length, missing };
}

async function main() {
  if (values.manifest) {
    const manifest = JSON.parse(readFileSync(values.manifest, "utf8"));
    const only = values.only ? new Set(values.only.split(",")) : null;
    for (const repo of manifest.repositories) {
      if (only && !only.has(repo.name)) continue;
      const gitDir = join(values.mirror, repo.repo.replace("/", "+"), "repo");
      const out = join(values.out, repo.name);
      if (existsSync(out) && !values.force) {
        console.log(`${repo.name}: ${out} exists, kept (--force to redo)`);
        continue;
      }
      if (!existsSync(gitDir)) {
        console.log(`${repo.name}: no snapshot at ${gitDir}; fetch github:${repo.repo} first`);
        continue;
      }
      rmSync(out, { recursive: true, force: true });
      const r = await materialise(gitDir, repo.commit, out);
      console.log(
        `${repo.name}: ${r.files} files at ${repo.commit.slice(0, 12)}, ${r.missing.length} missing from the snapshot`,
      );
    }
    return;
  }
  if (!values["git-dir"] || !values.commit || !values.out) {
    console.error(
      "usage: materialise.mjs --git-dir G --commit SHA --out DIR | --manifest M --out DIR [--mirror D] [--only a,b]",
    );
    process.exit(2);
  }
  const r = await materialise(values["git-dir"], values.commit, values.out);
  console.log(`${r.files} files, ${r.missing.length} missing from the snapshot`);
}

await main();
