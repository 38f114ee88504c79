/**
 * What a verify run creates on a server, and what killed runs leave there: the scratch database
 * `pg_index_lint_<unix seconds>_<8 hex>` and the throwaway role `pgindexlint_<same suffix>` (role
 * names that start with pg_ are reserved). The time is the server's clock at creation, so a later
 * run can tell a leftover's age from its name alone: PostgreSQL records no creation time for
 * databases or roles.
 */
import { randomBytes } from "node:crypto";
import type pg from "pg";

const DATABASE_NAME = /^pg_index_lint_([0-9]{10})_([0-9a-f]{8})$/;
const ROLE_NAME = /^pgindexlint_([0-9]{10})_([0-9a-f]{8})$/;

/**
 * A run drops older leftovers when it starts. An hour is well past any single statement's limit
 * (5 minutes by default), and a live run is never dropped whatever its age: its sessions are
 * connected to its database, and its role owns that database (see dropLeftovers).
 */
export const LEFTOVER_AGE_MS = 60 * 60_000;

/**
 * By hand (`verify --cleanup`), a minute: a run creates its role, its database and connects to
 * it within milliseconds, and only that window is unprotected by the in-use checks.
 */
export const MANUAL_LEFTOVER_AGE_MS = 60_000;

export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** New names for a run's database and role, stamped with the server's clock (seconds since the epoch). */
export function scratchNames(serverEpochSeconds: number): { database: string; role: string } {
  const suffix = `${Math.floor(serverEpochSeconds)}_${randomBytes(4).toString("hex")}`;
  return { database: `pg_index_lint_${suffix}`, role: `pgindexlint_${suffix}` };
}

/** The creation time stamped in a scratch database's or role's name (seconds since the epoch), or undefined. */
export function scratchCreatedAt(kind: "database" | "role", name: string): number | undefined {
  const match = (kind === "database" ? DATABASE_NAME : ROLE_NAME).exec(name);
  return match ? Number(match[1]) : undefined;
}

export interface LeftoverReport {
  dropped: string[];
  /** Leftovers that stay, with the reason: too young, in use, or a failed DROP. */
  kept: { name: string; why: string }[];
}

interface Candidate {
  kind: "database" | "role";
  name: string;
  in_use: boolean;
  now: string | number;
}

/**
 * Drops the scratch databases and roles of earlier runs that are older than `olderThanMs` and
 * that no session uses. Only exact name matches are considered. A database is dropped without
 * FORCE, so a session that connects meanwhile makes the DROP fail instead of being cut off; a
 * role that still owns a database (a live run's) cannot be dropped at all. Never throws for a
 * leftover it cannot drop: it reports it as kept.
 */
export async function dropLeftovers(client: pg.Client, olderThanMs: number): Promise<LeftoverReport> {
  const { rows } = await client.query<Candidate>(
    `SELECT 'database' AS kind, d.datname AS name,
            EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.datname = d.datname) AS in_use,
            extract(epoch FROM now())::bigint AS now
       FROM pg_catalog.pg_database d WHERE d.datname ~ $1
     UNION ALL
     SELECT 'role', r.rolname,
            EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.usename = r.rolname),
            extract(epoch FROM now())::bigint
       FROM pg_catalog.pg_roles r WHERE r.rolname ~ $2
     ORDER BY 1, 2`,
    [DATABASE_NAME.source, ROLE_NAME.source],
  );
  const report: LeftoverReport = { dropped: [], kept: [] };
  // Databases first: a leftover role owns its leftover database.
  for (const row of rows) {
    const created = scratchCreatedAt(row.kind, row.name);
    if (created === undefined) continue;
    const ageMs = (Number(row.now) - created) * 1000;
    const what = `${row.kind} ${row.name}`;
    if (ageMs < olderThanMs) {
      report.kept.push({ name: what, why: `created ${Math.round(ageMs / 1000)} s ago` });
      continue;
    }
    if (row.in_use) {
      report.kept.push({ name: what, why: "in use" });
      continue;
    }
    try {
      if (row.kind === "database") await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(row.name)}`);
      else await client.query(`DROP ROLE IF EXISTS ${quoteIdent(row.name)}`);
      report.dropped.push(what);
    } catch (error) {
      report.kept.push({ name: what, why: error instanceof Error ? error.message : String(error) });
    }
  }
  return report;
}
