/**
 * Which database the code that runs a folder's migrations connects to, where the project says so
 * outside the SQL: a Rust crate's sqlx driver features, or the pools its source opens. sqlx's
 * `migrate!("./migrations")` is relative to the crate (CARGO_MANIFEST_DIR), so the crate is the
 * nearest Cargo.toml with a `[package]` above the folder.
 */
import { type Dirent, readdirSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { readSmall } from "./walk.js";

const DRIVERS: Record<string, string> = { postgres: "PostgreSQL", sqlite: "SQLite", mysql: "MySQL" };
const MAX_FILES = 400;
const MAX_READ = 1024 * 1024;

/** What the crate around `dir` (inside `root`) connects with sqlx to, or null when it does not say. */
export function sqlxDriver(root: string, dir: string): { dialect: string; evidence: string } | null {
  const crate = crateOf(root, dir);
  if (!crate) return null;
  const manifest = read(join(crate, "Cargo.toml")) ?? "";
  const rel = (path: string) => relative(root, path).split(sep).join("/") || ".";
  const features = sqlxFeatures(manifest).filter((f) => f in DRIVERS);
  if (features.includes("postgres")) return null;
  if (features.length > 0) {
    const dialect = DRIVERS[features[0] as string] as string;
    return {
      dialect,
      evidence: `sqlx features [${features.join(", ")}] in ${rel(join(crate, "Cargo.toml"))}`,
    };
  }
  // No driver feature of its own (a workspace dependency): the pools its source opens.
  const used = new Map<string, string>();
  for (const file of rustFiles(join(crate, "src"))) {
    const text = read(file);
    if (!text) continue;
    const hits: [string, RegExp][] = [
      ["postgres", /\bsqlx::postgres\b|\bPgPool\b|\bPgConnection\b|\bsqlx::Postgres\b/],
      ["sqlite", /\bsqlx::sqlite\b|\bSqlitePool\b|\bSqliteConnection\b|\bsqlx::Sqlite\b/],
      ["mysql", /\bsqlx::mysql\b|\bMySqlPool\b|\bMySqlConnection\b|\bsqlx::MySql\b/],
    ];
    for (const [driver, re] of hits) if (!used.has(driver) && re.test(text)) used.set(driver, rel(file));
  }
  if (used.has("postgres") || used.size === 0) return null;
  const [driver, file] = [...used][0] as [string, string];
  return {
    dialect: DRIVERS[driver] as string,
    evidence: `its crate opens sqlx's ${driver} driver (${file})`,
  };
}

/** The nearest folder from `dir` up to `root` whose Cargo.toml has a [package]. */
function crateOf(root: string, dir: string): string | null {
  const top = resolve(root);
  for (let at = resolve(dir); ; at = dirname(at)) {
    const manifest = read(join(at, "Cargo.toml"));
    if (manifest && /^\[package\]/m.test(manifest)) return at;
    if (at === top || dirname(at) === at || !at.startsWith(top)) return null;
  }
}

/** The `features` of the crate's sqlx dependency: inline `sqlx = { … }` or a `[dependencies.sqlx]` table. */
export function sqlxFeatures(manifest: string): string[] {
  const inline = /^\s*sqlx\s*=\s*\{([^}]*)\}/m.exec(manifest)?.[1];
  const table = /^\[(?:[\w.-]+\.)?dependencies\.sqlx\]\s*\n((?:(?!\[)[^\n]*\n?)*)/m.exec(manifest)?.[1];
  const list = /\bfeatures\s*=\s*\[([^\]]*)\]/.exec(inline ?? table ?? "")?.[1];
  return list ? [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string) : [];
}

function rustFiles(dir: string): string[] {
  const out: string[] = [];
  const visit = (at: string) => {
    let list: Dirent[];
    try {
      list = readdirSync(at, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of list) {
      if (out.length >= MAX_FILES) return;
      const path = join(at, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith(".")) visit(path);
      else if (entry.isFile() && entry.name.endsWith(".rs")) out.push(path);
    }
  };
  visit(dir);
  return out;
}

const read = (path: string): string | null => readSmall(path, MAX_READ);
