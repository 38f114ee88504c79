/**
 * Chooses the database `verify` applies migrations to: a server named by --database-url or
 * PG_INDEX_LINT_DATABASE_URL, else embedded PGlite. The generic DATABASE_URL is never read: it
 * often points at a real database.
 */
import type { Engine, OpenEngineOptions } from "./engine.js";
import { openPgliteEngine } from "./pglite.js";
import { openServerEngine } from "./server.js";

export { cleanupLeftovers, maskUrl } from "./server.js";

export const DATABASE_URL_ENV = "PG_INDEX_LINT_DATABASE_URL";

/** The server URL to use, or undefined for PGlite. An empty value counts as unset. */
export function chooseDatabaseUrl(
  options: Pick<OpenEngineOptions, "databaseUrl" | "env">,
): string | undefined {
  return options.databaseUrl || options.env[DATABASE_URL_ENV] || undefined;
}

export function openEngine(options: OpenEngineOptions): Promise<Engine> {
  const url = chooseDatabaseUrl(options);
  return url ? openServerEngine(url, options) : openPgliteEngine(options);
}
