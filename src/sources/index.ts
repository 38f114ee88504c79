/**
 * The source registry: every migration runner and ORM reader, in detection order (most specific
 * layout first). The config schema's `runner:` and `orm:` values, detection, `init`, the messages
 * that list what was looked for, and the tests' example layouts are all derived from this list.
 */
import { drizzleModels } from "../models/drizzle-source.js";
import { prismaModels } from "../models/prisma-source.js";
import { sqlalchemyModels } from "../models/sqlalchemy-source.js";
import { alembicRunner } from "../runners/alembic.js";
import { dbmateRunner } from "../runners/dbmate.js";
import { dieselRunner } from "../runners/diesel.js";
import { drizzleRunner } from "../runners/drizzle.js";
import { flywayRunner } from "../runners/flyway.js";
import { golangMigrateRunner } from "../runners/golang-migrate.js";
import { gooseRunner } from "../runners/goose.js";
import { prismaRunner } from "../runners/prisma.js";
import type { AssumedVersion } from "../runners/runner.js";
import { sqlRunner } from "../runners/sql.js";
import { sqlxRunner } from "../runners/sqlx.js";
import { supabaseRunner } from "../runners/supabase.js";
import type { MigrationSource, ModelSource, Source } from "./source.js";

export const SOURCES: readonly Source[] = [
  alembicRunner,
  drizzleRunner,
  prismaRunner,
  dieselRunner,
  dbmateRunner,
  gooseRunner,
  supabaseRunner,
  sqlxRunner,
  golangMigrateRunner,
  flywayRunner,
  sqlRunner,
  sqlalchemyModels,
  prismaModels,
  drizzleModels,
];

/** Migration runners, in detection order. */
export const RUNNERS: readonly MigrationSource[] = SOURCES.filter(
  (s): s is MigrationSource => s.kind === "migrations",
);

/** ORM model readers. */
export const ORMS: readonly ModelSource[] = SOURCES.filter((s): s is ModelSource => s.kind === "models");

export const RUNNER_IDS: readonly string[] = RUNNERS.map((r) => r.id);
export const ORM_IDS: readonly string[] = ORMS.map((o) => o.id);

export function findRunner(id: string): MigrationSource | undefined {
  return RUNNERS.find((r) => r.id === id);
}

/** The runner with this id; the id must be registered. */
export function runner(id: string): MigrationSource {
  const found = findRunner(id);
  if (!found) throw new Error(`runner "${id}" is not in the registry`);
  return found;
}

export function findOrm(id: string): ModelSource | undefined {
  return ORMS.find((o) => o.id === id);
}

/** The runner whose layout `dir` has, most specific first; null when none does. */
export function detectRunner(dir: string): MigrationSource | null {
  return RUNNERS.find((r) => r.detect(dir)) ?? null;
}

/** "Alembic, Drizzle, Prisma, … and plain .sql files", for messages that say what was looked for. */
export function runnerList(): string {
  const names = RUNNERS.map((r) => r.describe);
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/**
 * The runner version the model assumes: the config's `version:` wins, then what the project pins
 * (package-lock.json, package.json, go.mod, pom.xml, build.gradle, Cargo.lock, Cargo.toml) near `dir`, else the latest.
 */
export function assumeVersion(
  source: MigrationSource,
  dir: string,
  configVersion?: string | null,
): AssumedVersion {
  if (configVersion !== undefined && configVersion !== null && configVersion.trim() !== "") {
    return { version: configVersion.trim().replace(/^v/, ""), source: "config" };
  }
  return source.pinnedVersion(dir);
}

/** "golang-migrate 4.18.1", or "Prisma (latest)" when the version is unknown; for `TxContext.detail`. */
export function runnerLabel(source: MigrationSource, assumed: AssumedVersion): string {
  if (!source.versioned) return source.name;
  return `${source.name} ${assumed.version ?? "(latest)"}`;
}
