/**
 * The PostgreSQL server the verify tests also run on, when PG_INDEX_LINT_TEST_DATABASE_URL names
 * one (CI sets it). Without it those tests are skipped, and their names say why.
 */
export const serverUrl = process.env.PG_INDEX_LINT_TEST_DATABASE_URL || undefined;

export const SERVER_SKIPPED =
  "skipped: PG_INDEX_LINT_TEST_DATABASE_URL is not set, so there is no server to run on";

/** A suite title that says when, and why, the suite is skipped. */
export function serverSuite(title: string): string {
  return serverUrl ? title : `${title} (${SERVER_SKIPPED})`;
}

/** The engines a verify test runs on: PGlite always, the server when there is one. */
export function engineCases<T extends object>(
  pglite: T,
  server: (url: string) => T,
): ({ name: string } & T)[] {
  return [{ name: "PGlite", ...pglite }, ...(serverUrl ? [{ name: "server", ...server(serverUrl) }] : [])];
}
