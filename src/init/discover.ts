import { dirname, join, posix, relative, resolve, sep } from "node:path";
import { parse as parseYaml } from "yaml";
import { UserError } from "../errors.js";
import { drizzleModels } from "../models/drizzle-source.js";
import { isRevisionText } from "../runners/alembic.js";
import type { AssumedVersion, MigrationFileRef } from "../runners/runner.js";
import { assumeVersion, detectRunner, ORM_IDS, runner } from "../sources/index.js";
import type { MigrationSource } from "../sources/source.js";
import { dialectByName, judgeContent, type SqlSample } from "./dialect.js";
import { sqlxDriver } from "./driver.js";
import { type Folder, readSmall, walkRepository } from "./walk.js";

export interface ProposedMigrations {
  /** Relative to the repository root, forward slashes; "." for the root. */
  rel: string;
  runner: MigrationSource;
  version: AssumedVersion;
  /** How it was found: "env.py beside versions/", "alembic.ini script_location". */
  how: string;
}

export interface ProposedModels {
  rel: string;
  orm: "sqlalchemy" | "prisma" | "drizzle";
  name: string;
  files: number;
  /** The source registry reads this ORM: the entry is written. Otherwise it is only mentioned. */
  readable: boolean;
}

export interface Skipped {
  rel: string;
  reason: string;
}

export interface Discovery {
  migrations: ProposedMigrations[];
  models: ProposedModels[];
  skipped: Skipped[];
  /** Config `ignore:` globs for non-PostgreSQL folders inside a Flyway location that is kept. */
  ignore: { glob: string; reason: string }[];
}

export interface DiscoverOptions {
  /** The ORM ids the registry reads; default: the registry's. */
  orms?: readonly string[];
}

/** Folders of tests, fixtures, examples and docs: their SQL is not the project's history. */
const NOT_THE_PROJECT =
  /^(tests?|testdata|test[-_]data|__tests__|__fixtures__|fixtures?|spec|e2e|examples?|samples?|docs?)$/i;

/** A plain folder of .sql files counts as migrations only when its path says so. */
const MIGRATIONS_NAME = /migrat|schema|sql|^db$|database|ddl|changes|versions|postgres|^pg$/i;

const SAMPLE_FILES = 200;

/** A module-level class whose own body (indented lines up to it) sets __tablename__. */
const MODEL_CLASS =
  /^class\s+\w+\s*\([^)]*\)\s*:[ \t]*\r?\n(?:[ \t]+\S[^\n]*\n|[ \t]*\r?\n)*?[ \t]+__tablename__\s*=/m;

export function discover(root: string, options: DiscoverOptions = {}): Discovery {
  const orms = options.orms ?? ORM_IDS;
  const folders = walkRepository(root);
  const out: Discovery = { migrations: [], models: [], skipped: [], ignore: [] };
  const claimed: string[] = [];
  const isClaimed = (rel: string) => claimed.some((c) => within(rel, c));
  const notProject = (rel: string) => rel.split("/").find((s) => NOT_THE_PROJECT.test(s));
  const skip = (rel: string, reason: string) => out.skipped.push({ rel: show(rel), reason });
  const propose = (folder: Folder, source: MigrationSource, how: string) => {
    out.migrations.push({
      rel: show(folder.rel),
      runner: source,
      version: assumeVersion(source, folder.abs),
      how,
    });
  };

  // 1. Layouts a runner names by a file of its own: Alembic, Prisma, Drizzle.
  const structured: { folder: Folder; source: MigrationSource; how: string }[] = [];
  for (const folder of folders.values()) {
    for (const found of alembicLocations(root, folder, folders)) structured.push(found);
    const versions = folder.files.includes("env.py") ? folders.get(child(folder.rel, "versions")) : undefined;
    if (versions?.files.some((f) => f.endsWith(".py")))
      structured.push({ folder, source: runner("alembic"), how: "env.py beside versions/" });
    const prismaDirs = folder.dirs.filter((d) =>
      folders.get(child(folder.rel, d))?.files.includes("migration.sql"),
    );
    if (folder.files.includes("migration_lock.toml") || prismaDirs.length > 0)
      structured.push({ folder, source: runner("prisma"), how: "Prisma's <timestamp>_<name>/migration.sql" });
    if (folders.get(child(folder.rel, "meta"))?.files.includes("_journal.json"))
      structured.push({ folder, source: runner("drizzle"), how: "drizzle-kit's meta/_journal.json" });
    // Diesel keeps one folder per migration: the folder of those folders is the one history.
    const dieselDirs = folder.dirs.filter((d) => folders.get(child(folder.rel, d))?.files.includes("up.sql"));
    if (dieselDirs.length > 0 && prismaDirs.length === 0)
      structured.push({ folder, source: runner("diesel"), how: "Diesel's <version>_<name>/up.sql" });
  }
  const seen = new Set<string>();
  for (const { folder, source, how } of structured) {
    if (seen.has(folder.rel)) continue;
    seen.add(folder.rel);
    claimed.push(folder.rel);
    const test = notProject(folder.rel);
    if (test) {
      skip(folder.rel, `${source.name} migrations under "${test}/", which holds tests or examples`);
      continue;
    }
    const other =
      source.id === "diesel" ? sqlDialect(root, folder, source) : structuredDialect(folder, source, folders);
    if (other) skip(folder.rel, other);
    else propose(folder, source, how);
  }

  // 2. Folders of .sql files: golang-migrate, goose, dbmate, Flyway, or plain files in name order.
  const sqlc = sqlcInputs(root, folders);
  const leaves: { folder: Folder; source: MigrationSource; other: string | null }[] = [];
  // Plain SQL that is proposed only when nothing else is found: scripts with no order in their
  // names, and schema dumps.
  const fallback: { folder: Folder; source: MigrationSource; reason: string }[] = [];
  for (const folder of folders.values()) {
    if (!folder.files.some((f) => f.toLowerCase().endsWith(".sql")) || isClaimed(folder.rel)) continue;
    const test = notProject(folder.rel);
    if (test) {
      skip(folder.rel, `SQL files under "${test}/", which holds tests or examples`);
      continue;
    }
    const detected = detectRunner(folder.abs);
    let source =
      detected && !["alembic", "prisma", "drizzle"].includes(detected.id) ? detected : runner("sql");
    // A Flyway location may hold only repeatable migrations (R__name.sql).
    if (source.id === "sql" && folder.files.some((f) => /^R__.+\.sql$/.test(f))) source = runner("flyway");
    // sqlc reads queries and a schema, never runs them: its config names them.
    const input = sqlc.get(folder.rel);
    if (input && (input.kind === "queries" || source.id === "sql")) {
      skip(folder.rel, input.reason);
      continue;
    }
    if (source.id === "sql" && !folder.rel.split("/").some((s) => MIGRATIONS_NAME.test(s))) {
      skip(folder.rel, "SQL files in a folder whose path does not say migrations, schema or db");
      continue;
    }
    const queries = annotatedQueries(folder);
    if (queries) {
      skip(folder.rel, queries);
      continue;
    }
    const other = sqlDialect(root, folder, source);
    const plain = source.id === "sql" && !other ? plainScripts(folder) : null;
    if (plain) fallback.push({ folder, source, reason: plain });
    else leaves.push({ folder, source, other });
  }
  for (const leaf of leaves) {
    if (leaf.source.id === "flyway") continue;
    if (leaf.other) skip(leaf.folder.rel, leaf.other);
    else propose(leaf.folder, leaf.source, `its files: ${leaf.source.describe}`);
  }
  flywayLocations(
    leaves.filter((l) => l.source.id === "flyway"),
    folders,
    out,
    propose,
    skip,
  );
  for (const { folder, source, reason } of fallback) {
    if (out.migrations.length > 0) skip(folder.rel, `${reason}, beside the migrations found`);
    else
      propose(
        folder,
        source,
        `its files: ${source.describe} (${reason}, and no other migrations were found)`,
      );
  }

  // 3. ORM models.
  out.models = findModels(folders, claimed, notProject, orms, skip);
  out.migrations.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  out.skipped.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return out;
}

/**
 * Flyway scans a location recursively and orders every file in it by version, so a location is
 * one entry: the nearest `migration`/`migrations` folder above the files, or the folder itself.
 * A folder of another database's files inside a kept location is left out with an `ignore:` glob.
 */
function flywayLocations(
  leaves: { folder: Folder; source: MigrationSource; other: string | null }[],
  folders: Map<string, Folder>,
  out: Discovery,
  propose: (folder: Folder, source: MigrationSource, how: string) => void,
  skip: (rel: string, reason: string) => void,
): void {
  const rootOf = (rel: string) => {
    const segments = rel.split("/");
    for (let i = segments.length - 1; i >= 0; i--)
      if (/^migrations?$/i.test(segments[i] ?? "")) return segments.slice(0, i + 1).join("/");
    return rel;
  };
  const roots = [...new Set(leaves.map((l) => rootOf(l.folder.rel)))].sort((a, b) => a.length - b.length);
  const outer = (rel: string) => roots.find((r) => within(rel, r)) ?? rel;
  const groups = new Map<string, typeof leaves>();
  for (const leaf of leaves) {
    const key = outer(rootOf(leaf.folder.rel));
    groups.set(key, [...(groups.get(key) ?? []), leaf]);
  }
  for (const [key, group] of groups) {
    const kept = group.filter((l) => !l.other);
    const location = folders.get(key);
    if (kept.length === 0 || !location) {
      for (const l of group) skip(l.folder.rel, l.other ?? "not PostgreSQL");
      continue;
    }
    const source = group[0]?.source ?? runner("flyway");
    // A location that keeps one folder per database (…/migration/postgres, …/migration/mysql), the
    // application choosing one by `spring.flyway.locations` or a vendor placeholder: each
    // PostgreSQL folder is an entry of its own, and the others are not part of it.
    const own = kept.map((l) => postgresFolder(l.folder.rel, key));
    if (own.every((f) => f !== null)) {
      for (const rel of new Set(own as string[])) {
        const folder = folders.get(rel);
        if (folder)
          propose(
            folder,
            source,
            `Flyway's V<version>__<name>.sql, in the PostgreSQL folder of ${show(key)}`,
          );
      }
      for (const l of group) if (l.other) skip(l.folder.rel, l.other);
      continue;
    }
    propose(location, source, "Flyway's V<version>__<name>.sql");
    for (const l of group) {
      if (!l.other) continue;
      skip(l.folder.rel, l.other);
      out.ignore.push({ glob: `${l.folder.rel}/*`, reason: l.other });
    }
  }
}

/** The folder below `location` (or `location` itself) that `rel` is in and whose name says PostgreSQL. */
function postgresFolder(rel: string, location: string): string | null {
  const segments = rel.split("/");
  const start = location === "" ? 0 : location.split("/").length;
  for (let i = segments.length - 1; i >= start; i--) {
    if (dialectByName(segments[i] as string)?.dialect === "PostgreSQL")
      return segments.slice(0, i + 1).join("/");
  }
  return null;
}

/** Alembic script folders named by an alembic.ini or pyproject.toml in `folder`. */
function alembicLocations(
  root: string,
  folder: Folder,
  folders: Map<string, Folder>,
): { folder: Folder; source: MigrationSource; how: string }[] {
  const out: { folder: Folder; source: MigrationSource; how: string }[] = [];
  for (const name of ["alembic.ini", "pyproject.toml"]) {
    if (!folder.files.includes(name)) continue;
    const text = readSmall(join(folder.abs, name));
    if (text === null) continue;
    const section = name === "alembic.ini" ? "alembic" : "tool.alembic";
    const value = iniValue(text, section, "script_location");
    if (!value) continue;
    let location = value.replace(/^["']|["']$/g, "").replace(/%\(here\)s/g, folder.abs);
    // `package:path` names a folder inside an importable package.
    const resource = /^([A-Za-z_][\w.]*):(.+)$/.exec(location);
    if (resource) location = join(resource[1]?.replace(/\./g, "/") ?? "", resource[2] ?? "");
    const rel = relative(root, resolve(folder.abs, location)).split(sep).join("/");
    const target = folders.get(rel);
    if (target && !rel.startsWith(".."))
      out.push({
        folder: target,
        source: runner("alembic"),
        how: `script_location in ${show(child(folder.rel, name))}`,
      });
  }
  return out;
}

/** The value of `key` in `[section]` of an INI or TOML text. */
export function iniValue(text: string, section: string, key: string): string | null {
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      inSection = header[1]?.trim() === section;
      continue;
    }
    if (!inSection) continue;
    const match = /^([\w.-]+)\s*[=:]\s*(.*?)\s*$/.exec(line);
    if (match?.[1] === key) return match[2] ?? null;
  }
  return null;
}

/** Why an Alembic, Prisma or Drizzle folder is not PostgreSQL; null when it is. */
function structuredDialect(
  folder: Folder,
  source: MigrationSource,
  folders: Map<string, Folder>,
): string | null {
  const named = dialectByName(folder.rel);
  if (named?.dialect === "PostgreSQL") return null;
  let said: string | null = null;
  if (source.id === "prisma") {
    const lock = readSmall(join(folder.abs, "migration_lock.toml"));
    const provider = lock ? /provider\s*=\s*"([^"]+)"/.exec(lock)?.[1] : undefined;
    if (provider && !/^postgres(ql)?$/.test(provider))
      said = `Prisma migrations for provider "${provider}" (migration_lock.toml)`;
  } else if (source.id === "drizzle") {
    const journal = readSmall(join(folder.abs, "meta", "_journal.json"));
    const dialect = journal ? /"dialect"\s*:\s*"([^"]+)"/.exec(journal)?.[1] : undefined;
    if (dialect && !/^(postgresql|pg)$/.test(dialect))
      said = `Drizzle migrations for dialect "${dialect}" (meta/_journal.json)`;
  } else {
    const url = [join(folder.abs, "alembic.ini"), join(dirname(folder.abs), "alembic.ini")]
      .map((f) => readSmall(f))
      .map((t) => (t ? iniValue(t, "alembic", "sqlalchemy.url") : null))
      .find((v) => v);
    const scheme = url ? /^(mysql|mariadb|sqlite|mssql|oracle|cockroachdb)\b/.exec(url)?.[1] : undefined;
    if (scheme) said = `Alembic migrations for ${scheme} (sqlalchemy.url = ${scheme}…)`;
    const versions = folders.get(child(folder.rel, "versions"));
    if (!said && versions) {
      // A history for several databases (revisions that branch on the dialect or name PostgreSQL)
      // is PostgreSQL's too; only one that uses MySQL's types and never PostgreSQL is MySQL's.
      let mysql = 0;
      let portable = false;
      for (const name of versions.files.filter((f) => f.endsWith(".py")).slice(0, SAMPLE_FILES)) {
        const text = readSmall(join(versions.abs, name)) ?? "";
        if (/dialects(?:\.|\s+import\s+)mysql\b/.test(text)) mysql++;
        if (/postgres|dialect\.name\b|\bget_dialect\b|startswith\(\s*["']mysql/i.test(text)) portable = true;
      }
      if (mysql > 0 && !portable)
        said = `Alembic revisions that use sqlalchemy.dialects.mysql (${mysql} files) and never PostgreSQL`;
    }
  }
  if (named) return `${named.dialect}, by its name ("${named.segment}")${said ? `; ${said}` : ""}`;
  return said;
}

/** Why a folder of SQL files is not PostgreSQL; null when it is. */
function sqlDialect(root: string, folder: Folder, source: MigrationSource): string | null {
  const named = dialectByName(folder.rel);
  const samples = sqlSamples(root, folder, source);
  if (samples.length === 0) return "no migration files the runner would run";
  const content = judgeContent(samples);
  // The name's own dialect's markers first: SQLite also accepts MySQL's backquotes.
  const shown =
    named && content.markers.has(named.dialect)
      ? { dialect: named.dialect, evidence: content.markers.get(named.dialect) as string[] }
      : content.foreign;
  const evidence = shown ? `; its content has ${shown.dialect} markers: ${shown.evidence.join(", ")}` : "";
  if (named?.dialect === "PostgreSQL") return null;
  if (named) return `${named.dialect}, by its name ("${named.segment}")${evidence}`;
  const driver = source.id === "sqlx" ? sqlxDriver(root, folder.abs) : null;
  if (driver) return `${driver.dialect}, by the code that runs them: ${driver.evidence}${evidence}`;
  if (content.foreign)
    return `${content.foreign.dialect}, by its content (${content.foreign.evidence.join(", ")})`;
  if (content.failed * 2 > samples.length)
    return `not PostgreSQL: libpg-query cannot parse ${content.failed} of ${samples.length} files (${content.firstFailure})`;
  if (source.id === "sql" && !samples.some((s) => /\b(CREATE|ALTER|DROP)\b/i.test(s.sql)))
    return "SQL files with no CREATE, ALTER or DROP: queries or data, not migrations";
  return null;
}

/** The files of `folder` itself that the runner runs, as it would send them. */
function sqlSamples(root: string, folder: Folder, source: MigrationSource): SqlSample[] {
  let refs: MigrationFileRef[];
  try {
    refs = source.list(folder.abs);
  } catch (error) {
    if (error instanceof UserError) return [];
    throw error;
  }
  const out: SqlSample[] = [];
  for (const ref of refs) {
    if (source.id === "flyway" && dirname(ref.absPath) !== folder.abs) continue;
    if (out.length >= SAMPLE_FILES) break;
    const text = readSmall(ref.absPath);
    if (text === null || !source.prepare) continue;
    const name = relative(root, ref.absPath).split(sep).join("/");
    out.push({ name, sql: source.prepare(text, ref).sql });
  }
  return out;
}

const sqlFiles = (folder: Folder) => folder.files.filter((f) => f.toLowerCase().endsWith(".sql"));

/**
 * Why a folder of plain SQL looks like scripts rather than a history, or null: schema dumps
 * (schema.sql, schema-15.sql, structure.sql, dump.sql), or files most of whose names carry no
 * order (a number, a date, V1): psql -f would run them in a name order nobody chose.
 */
function plainScripts(folder: Folder): string | null {
  const sql = sqlFiles(folder);
  if (sql.every((f) => /^(?:schema|structure|dump)(?:[-_.][\w.-]*)?\.sql$|dump/i.test(f)))
    return "a schema dump (use it as `base:` if the migrations start from it)";
  const ordered = sql.filter((f) => /^(?:\d|[vV]\d)/.test(f)).length;
  if (ordered * 2 < sql.length)
    return `${sql.length === 1 ? "an SQL script whose name carries" : `${sql.length} SQL scripts whose names carry`} no order (no number or date prefix), not a migration history`;
  return null;
}

/** sqlc's and yesql's named queries (`-- name: GetUser :one`) are what the code runs, not migrations. */
function annotatedQueries(folder: Folder): string | null {
  const sql = sqlFiles(folder).slice(0, SAMPLE_FILES);
  let named = 0;
  for (const name of sql) {
    const text = readSmall(join(folder.abs, name)) ?? "";
    if (/^\s*--\s*name:\s*\w+/m.test(text)) named++;
  }
  return named * 2 > sql.length
    ? `queries with \`-- name:\` annotations (sqlc, yesql) in ${named} of ${sql.length} files, not migrations`
    : null;
}

/**
 * The folders an sqlc config (sqlc.yaml, sqlc.yml, sqlc.json; version 1 `packages` or version 2
 * `sql`) names as `queries` or `schema`, relative to the config's folder as sqlc resolves them.
 */
function sqlcInputs(
  root: string,
  folders: Map<string, Folder>,
): Map<string, { kind: "queries" | "schema"; reason: string }> {
  const out = new Map<string, { kind: "queries" | "schema"; reason: string }>();
  for (const folder of folders.values()) {
    for (const name of ["sqlc.yaml", "sqlc.yml", "sqlc.json"]) {
      if (!folder.files.includes(name)) continue;
      const text = readSmall(join(folder.abs, name));
      let doc: unknown;
      try {
        doc = text === null ? null : parseYaml(text);
      } catch {
        continue;
      }
      const entries =
        doc && typeof doc === "object"
          ? [(doc as Record<string, unknown>).sql, (doc as Record<string, unknown>).packages]
          : [];
      for (const list of entries) {
        if (!Array.isArray(list)) continue;
        for (const entry of list) {
          if (!entry || typeof entry !== "object") continue;
          for (const kind of ["queries", "schema"] as const) {
            const value = (entry as Record<string, unknown>)[kind];
            const paths = (Array.isArray(value) ? value : [value]).filter(
              (v): v is string => typeof v === "string",
            );
            for (const path of paths) {
              const rel = relative(root, resolve(folder.abs, path)).split(sep).join("/");
              if (rel.startsWith("..")) continue;
              const target = folders.has(rel) ? rel : dirname(rel) === "." ? "" : dirname(rel);
              if (out.get(target)?.kind === "queries") continue;
              out.set(target, {
                kind,
                reason: `sqlc ${kind === "queries" ? "queries" : "schema input"} (${kind}: in ${show(child(folder.rel, name))}), not migrations`,
              });
            }
          }
        }
      }
    }
  }
  return out;
}

/** SQLAlchemy, Prisma and Drizzle model declarations, one folder per ORM. */
function findModels(
  folders: Map<string, Folder>,
  claimed: string[],
  notProject: (rel: string) => string | undefined,
  orms: readonly string[],
  skip: (rel: string, reason: string) => void,
): ProposedModels[] {
  const hits: Record<ProposedModels["orm"], string[]> = { sqlalchemy: [], prisma: [], drizzle: [] };
  const drizzleConfigured: string[] = [];
  const drizzleFiles: string[] = [];
  const other: Record<ProposedModels["orm"], Map<string, string>> = {
    sqlalchemy: new Map(),
    prisma: new Map(),
    drizzle: new Map(),
  };
  for (const folder of folders.values()) {
    if (notProject(folder.rel)) continue;
    const inAlembic = claimed.some((c) => within(folder.rel, c));
    for (const name of folder.files) {
      const rel = child(folder.rel, name);
      if (name.endsWith(".py") && !inAlembic) {
        const text = readSmall(join(folder.abs, name));
        if (!text) continue;
        const table = /\bTable\(\s*["']/.test(text) && /\bsqlalchemy\b/.test(text);
        // A class body that names its table and declares a column; a docstring mentioning one does not count.
        const declared = MODEL_CLASS.test(text) && /\b(?:Column|mapped_column|Field)\s*\(/.test(text);
        if (!declared && !table) continue;
        if (isRevisionText(text)) continue;
        if (/dialects(?:\.|\s+import\s+)mysql\b/.test(text))
          other.sqlalchemy.set(folder.rel, "SQLAlchemy models for MySQL");
        else hits.sqlalchemy.push(folder.rel);
      } else if (name.endsWith(".prisma")) {
        const text = readSmall(join(folder.abs, name));
        const provider = text
          ? /datasource\s+\w+\s*\{[^}]*?provider\s*=\s*"([^"]+)"/.exec(text)?.[1]
          : undefined;
        if (!provider) continue;
        if (/^postgres(ql)?$/.test(provider)) hits.prisma.push(folder.rel);
        else other.prisma.set(folder.rel, `a Prisma schema for provider "${provider}" (${show(rel)})`);
      } else if (/\.(ts|mts|cts|js|mjs)$/.test(name) && drizzleModels.selects(rel)) {
        const text = readSmall(join(folder.abs, name));
        if (!text?.includes("drizzle-orm/")) continue;
        // A schema left commented out declares nothing.
        const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, "");
        if (/\bpgTable(?:Creator)?\s*[(<]/.test(code)) {
          hits.drizzle.push(folder.rel);
          drizzleFiles.push(rel);
        } else if (/\b(mysqlTable|sqliteTable|singlestoreTable)\s*[(<]/.test(code))
          other.drizzle.set(folder.rel, `Drizzle tables for another database (${show(rel)})`);
      }
    }
    // drizzle.config's `schema:` says where drizzle-kit reads the tables: scripts and tests that
    // also call pgTable elsewhere in the tree are not the schema.
    if (folder.files.some((n) => /^drizzle\.config\.[cm]?[jt]s$/.test(n)))
      for (const path of drizzleModels.detect?.(folder.abs) ?? []) {
        const rel = posix.normalize(child(folder.rel, path.replaceAll("\\", "/")));
        if (rel !== ".." && !rel.startsWith("../") && !notProject(rel)) drizzleConfigured.push(rel);
      }
  }
  // A configured path that declares no table itself (a file that re-exports another package's) is
  // not taken: the tables found are.
  const declaring = drizzleConfigured.filter((c) => drizzleFiles.some((f) => within(f, c)));
  if (declaring.length > 0) hits.drizzle = [...new Set(declaring)];
  const out: ProposedModels[] = [];
  const names = { sqlalchemy: "SQLAlchemy", prisma: "Prisma", drizzle: "Drizzle" } as const;
  for (const orm of ["sqlalchemy", "prisma", "drizzle"] as const) {
    for (const [rel, reason] of other[orm]) skip(rel, reason);
    const files = hits[orm];
    if (files.length === 0) continue;
    // Each schema.prisma with a datasource of its own is a separate database; a config's models
    // are one schema, so merging them would declare every shared model twice.
    const schemas = [...new Set(files)];
    if (orm === "prisma" && schemas.length > 1) {
      for (const rel of schemas)
        skip(
          rel,
          `one of ${schemas.length} Prisma schemas with a datasource each (separate databases); a config's models are one schema, so none was added`,
        );
      continue;
    }
    const readable = orms.includes(orm);
    out.push({ rel: show(commonFolder(files)), orm, name: names[orm], files: files.length, readable });
  }
  return out;
}

function commonFolder(rels: readonly string[]): string {
  const split = rels.map((r) => (r === "" ? [] : r.split("/")));
  const first = split[0] ?? [];
  let n = 0;
  while (n < first.length && split.every((s) => s[n] === first[n])) n++;
  return first.slice(0, n).join("/");
}

function child(rel: string, name: string): string {
  return rel === "" ? name : `${rel}/${name}`;
}

/** Is `rel` the folder `parent` or inside it? */
function within(rel: string, parent: string): boolean {
  return parent === "" || rel === parent || rel.startsWith(`${parent}/`);
}

function show(rel: string): string {
  return rel === "" ? "." : rel;
}
