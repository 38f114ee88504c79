/**
 * The runner registry: every runner module by id, detection of a folder's runner, and the
 * version the transaction model assumes.
 */
import type { RunnerId } from "../model.js";
import { alembicRunner } from "./alembic.js";
import { dbmateRunner } from "./dbmate.js";
import { drizzleRunner } from "./drizzle.js";
import { flywayRunner } from "./flyway.js";
import { golangMigrateRunner } from "./golang-migrate.js";
import { gooseRunner } from "./goose.js";
import { prismaRunner } from "./prisma.js";
import type { AssumedVersion, Runner } from "./runner.js";
import { sqlRunner } from "./sql.js";

export { statementShape } from "../parse/classify.js";
export type * from "./runner.js";
export { assignTransactions } from "./transactions.js";

export const RUNNERS: Record<RunnerId, Runner> = {
  sql: sqlRunner,
  flyway: flywayRunner,
  "golang-migrate": golangMigrateRunner,
  goose: gooseRunner,
  dbmate: dbmateRunner,
  prisma: prismaRunner,
  drizzle: drizzleRunner,
  alembic: alembicRunner,
};

/**
 * The runner whose layout `dir` has, most specific first: Alembic revisions, a drizzle journal, a Prisma migrations
 * folder, dbmate markers, golang-migrate `.up.sql` files, Flyway `V<n>__` files, else plain SQL.
 */
const DETECTION_ORDER: readonly Runner[] = [
  alembicRunner,
  drizzleRunner,
  prismaRunner,
  dbmateRunner,
  gooseRunner,
  golangMigrateRunner,
  flywayRunner,
  sqlRunner,
];

export function detectRunner(dir: string): Runner | null {
  return DETECTION_ORDER.find((runner) => runner.detect(dir)) ?? null;
}

/**
 * The runner version the model assumes: the config's `version:` wins, then what the project pins
 * (package-lock.json, package.json, go.mod, pom.xml, build.gradle) near `dir`, else the latest.
 */
export function assumeVersion(runner: Runner, dir: string, configVersion?: string | null): AssumedVersion {
  if (configVersion !== undefined && configVersion !== null && configVersion.trim() !== "") {
    return { version: configVersion.trim().replace(/^v/, ""), source: "config" };
  }
  return runner.pinnedVersion(dir);
}

const NAMES: Record<RunnerId, string> = {
  sql: "psql -f",
  flyway: "Flyway",
  "golang-migrate": "golang-migrate",
  goose: "goose",
  dbmate: "dbmate",
  prisma: "Prisma",
  drizzle: "drizzle-orm's migrator",
  alembic: "Alembic",
};

/** "golang-migrate 4.18.1", or "Prisma (latest)" when the version is unknown; for `TxContext.detail`. */
export function runnerLabel(runner: Runner, assumed: AssumedVersion): string {
  if (runner.id === "sql") return NAMES.sql;
  return `${NAMES[runner.id]} ${assumed.version ?? "(latest)"}`;
}
