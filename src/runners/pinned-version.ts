/**
 * Reads the runner version a project pins, from the manifests near its migrations folder:
 * package.json and package-lock.json (npm), go.mod (Go), pom.xml and build.gradle (Flyway).
 * The lock file wins over a package.json range because it names the exact version installed.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { readTextNear } from "../sources/read.js";
import type { AssumedVersion } from "./runner.js";

export const DEFAULT_VERSION: AssumedVersion = { version: null, source: "default (latest behaviour)" };

/**
 * The folders from `dir` up to the repository root (the first folder holding `.git`) or the file
 * system root. Stopping at the repository keeps an unrelated manifest above it from leaking in.
 */
export function ancestors(dir: string): string[] {
  const out: string[] = [];
  let current = resolve(dir);
  for (;;) {
    out.push(current);
    if (existsSync(join(current, ".git"))) break;
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return out;
}

/** A manifest's text; null when it is missing or is not a file of the repository (see sources/read.ts). */
function readText(path: string): string | null {
  return readTextNear(path, dirname(path));
}

function readJson(path: string): unknown {
  const text = readText(path);
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function record(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** The first plain version number in a range such as "^5.22.0", "~0.30", ">=4.1 <5". */
export function versionFromRange(range: string): string | null {
  const match = /(\d+(?:\.\d+){0,3})/.exec(range);
  return match?.[1] ?? null;
}

/** The version of the first of `packages` that a package.json near `dir` depends on. */
export function npmPinnedVersion(dir: string, packages: readonly string[]): AssumedVersion | null {
  const folders = ancestors(dir);
  for (const [i, folder] of folders.entries()) {
    const manifest = record(readJson(join(folder, "package.json")));
    if (!manifest) continue;
    for (const name of packages) {
      const range = [manifest.dependencies, manifest.devDependencies, manifest.optionalDependencies]
        .map((deps) => record(deps)?.[name])
        .find((v): v is string => typeof v === "string");
      if (range === undefined) continue;
      // The lock file sits next to this package.json, or at a workspace root above it.
      for (const lockFolder of folders.slice(i)) {
        const locked = lockedVersion(join(lockFolder, "package-lock.json"), name, lockFolder === folder);
        if (locked) return { version: locked, source: `package-lock.json (${name} ${locked})` };
      }
      const version = versionFromRange(range);
      if (version) return { version, source: `package.json (${name} ${range})` };
    }
  }
  return null;
}

function lockedVersion(lockPath: string, name: string, sameFolder: boolean): string | null {
  const lock = record(readJson(lockPath));
  if (!lock) return null;
  // lockfileVersion 2 and 3: "packages": { "node_modules/prisma": { "version": "5.22.0" } }.
  const packages = record(lock.packages);
  const key = `node_modules/${name}`;
  const entry = record(packages?.[key]);
  if (typeof entry?.version === "string") return entry.version;
  if (!sameFolder && packages) {
    // A workspace member's own copy: "packages/api/node_modules/prisma".
    for (const [path, value] of Object.entries(packages)) {
      const version = record(value)?.version;
      if (path.endsWith(`/${key}`) && typeof version === "string") return version;
    }
  }
  // lockfileVersion 1: "dependencies": { "prisma": { "version": "2.30.0" } }.
  const v1 = record(record(lock.dependencies)?.[name]);
  return typeof v1?.version === "string" ? v1.version : null;
}

/** The version of a Go module required by the nearest go.mod, e.g. `github.com/golang-migrate/migrate/v4`. */
export function goPinnedVersion(dir: string, modulePath: string): AssumedVersion | null {
  const escaped = modulePath.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const re = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+v(\\d+\\.\\d+\\.\\d+[^\\s]*)`, "m");
  for (const folder of ancestors(dir)) {
    const text = readText(join(folder, "go.mod"));
    if (text === null) continue;
    const match = re.exec(text);
    if (match?.[1]) return { version: match[1], source: `go.mod (${modulePath} v${match[1]})` };
  }
  return null;
}

/** The flyway-core (or Flyway plugin) version in the nearest pom.xml or build.gradle(.kts). */
export function flywayPinnedVersion(dir: string): AssumedVersion | null {
  for (const folder of ancestors(dir)) {
    const pom = readText(join(folder, "pom.xml"));
    if (pom !== null) {
      const version = pomVersion(pom);
      if (version) return { version, source: `pom.xml (flyway ${version})` };
    }
    for (const file of ["build.gradle", "build.gradle.kts"]) {
      const gradle = readText(join(folder, file));
      if (gradle === null) continue;
      const match =
        /org\.flywaydb:flyway-core:(\d+(?:\.\d+)*)/.exec(gradle) ??
        /id\s*\(?\s*["']org\.flywaydb\.flyway["']\s*\)?\s*version\s*\(?\s*["'](\d+(?:\.\d+)*)["']/.exec(
          gradle,
        );
      if (match?.[1]) return { version: match[1], source: `${file} (flyway ${match[1]})` };
    }
  }
  return null;
}

function pomVersion(pom: string): string | null {
  const block =
    /<artifactId>\s*flyway-(?:core|maven-plugin|database-postgresql)\s*<\/artifactId>\s*<version>\s*([^<\s]+)\s*<\/version>/.exec(
      pom,
    );
  const raw = block?.[1];
  if (!raw) return null;
  // <version>${flyway.version}</version> with <flyway.version>10.20.1</flyway.version> in <properties>.
  const property = /^\$\{(.+)\}$/.exec(raw)?.[1];
  if (!property) return raw;
  const escaped = property.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`<${escaped}>\\s*([^<\\s]+)\\s*</${escaped}>`).exec(pom)?.[1] ?? null;
}

/**
 * The version of the first of `crates` that Cargo pins near `dir`: the nearest Cargo.lock names
 * the exact version built (`name = "diesel_migrations"` then `version = "2.3.1"`), else the
 * nearest Cargo.toml's requirement (`sqlx = "0.8"`, `sqlx = { version = "0.8.2", … }`, or a
 * `[dependencies.sqlx]` table). A member's `sqlx = { workspace = true }` has no version; the
 * workspace root's `[workspace.dependencies]` above it does.
 */
export function cargoPinnedVersion(dir: string, crates: readonly string[]): AssumedVersion | null {
  const folders = ancestors(dir);
  for (const name of crates) {
    for (const folder of folders) {
      const lock = readText(join(folder, "Cargo.lock"));
      const locked = lock === null ? null : cargoLockVersion(lock, name);
      if (locked) return { version: locked, source: `Cargo.lock (${name} ${locked})` };
    }
    for (const folder of folders) {
      const manifest = readText(join(folder, "Cargo.toml"));
      const range = manifest === null ? null : cargoRequirement(manifest, name);
      const version = range ? versionFromRange(range) : null;
      if (range && version) return { version, source: `Cargo.toml (${name} ${range})` };
    }
  }
  return null;
}

/** Does a Cargo.toml or Cargo.lock near `dir` name `crate` as a dependency? */
export function cargoDependsOn(dir: string, crate: string): boolean {
  const key = new RegExp(
    `^\\s*(?:${escapeRegExp(crate)}\\s*=|\\[(?:[\\w.-]+\\.)?dependencies\\.${escapeRegExp(crate)}\\])`,
    "m",
  );
  const locked = new RegExp(`^name = "${escapeRegExp(crate)}"$`, "m");
  return ancestors(dir).some((folder) => {
    const manifest = readText(join(folder, "Cargo.toml"));
    if (manifest !== null && key.test(manifest)) return true;
    const lock = readText(join(folder, "Cargo.lock"));
    return lock !== null && locked.test(lock);
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function cargoLockVersion(lock: string, name: string): string | null {
  const re = new RegExp(`^name = "${escapeRegExp(name)}"\\r?\\nversion = "([^"]+)"`, "m");
  return re.exec(lock)?.[1] ?? null;
}

/** `name = "0.8"`, `name = { version = "0.8", … }`, or `version = "…"` under `[dependencies.name]`. */
function cargoRequirement(manifest: string, name: string): string | null {
  const n = escapeRegExp(name);
  const inline = new RegExp(
    `^\\s*${n}\\s*=\\s*(?:"([^"]+)"|\\{[^}\\n]*\\bversion\\s*=\\s*"([^"]+)")`,
    "m",
  ).exec(manifest);
  if (inline) return inline[1] ?? inline[2] ?? null;
  const table = new RegExp(`^\\[(?:[\\w.-]+\\.)?dependencies\\.${n}\\]([^[]*)`, "m").exec(manifest);
  return table?.[1] ? (/^\s*version\s*=\s*"([^"]+)"/m.exec(table[1])?.[1] ?? null) : null;
}
