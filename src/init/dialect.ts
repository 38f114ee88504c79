/**
 * Which database a folder of SQL is written for, by its name (relative to the repository) and by
 * its content: other dialects' markers, and whether PostgreSQL's own parser (libpg-query) reads it.
 */
import { parseSync } from "libpg-query";

/** What a name token says; "PostgreSQL" for ours. */
const NAME_TOKENS: Record<string, string> = {
  postgres: "PostgreSQL",
  postgresql: "PostgreSQL",
  pg: "PostgreSQL",
  pgsql: "PostgreSQL",
  psql: "PostgreSQL",
  timescale: "PostgreSQL",
  timescaledb: "PostgreSQL",
  mysql: "MySQL",
  mariadb: "MySQL",
  tidb: "MySQL",
  sqlite: "SQLite",
  sqlite3: "SQLite",
  libsql: "SQLite",
  clickhouse: "ClickHouse",
  cockroach: "CockroachDB",
  cockroachdb: "CockroachDB",
  crdb: "CockroachDB",
  mssql: "SQL Server",
  sqlserver: "SQL Server",
  oracle: "Oracle",
  h2: "H2",
  hsqldb: "HSQLDB",
  derby: "Derby",
  db2: "Db2",
  spanner: "Spanner",
  snowflake: "Snowflake",
  bigquery: "BigQuery",
  redshift: "Redshift",
  duckdb: "DuckDB",
  cassandra: "Cassandra",
};

/** The dialect the nearest named segment of `rel` (a folder relative to the repository) names. */
export function dialectByName(rel: string): { dialect: string; segment: string } | null {
  const segments = rel.split("/").filter(Boolean);
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i] as string;
    for (const token of segment.toLowerCase().split(/[^a-z0-9]+/)) {
      const dialect = NAME_TOKENS[token];
      if (dialect) return { dialect, segment };
    }
  }
  return null;
}

interface Marker {
  dialect: string;
  what: string;
  re: RegExp;
}

/** Text that PostgreSQL never accepts but another database's DDL is made of. */
const MARKERS: readonly Marker[] = [
  {
    dialect: "ClickHouse",
    what: "ENGINE = …MergeTree",
    re: /\)\s*ENGINE\s*=\s*\w*(?:MergeTree|Log|Memory)\b/i,
  },
  { dialect: "ClickHouse", what: "LowCardinality(…)", re: /\bLowCardinality\s*\(/ },
  { dialect: "MySQL", what: "ENGINE=", re: /\)\s*ENGINE\s*=\s*\w+/i },
  { dialect: "MySQL", what: "AUTO_INCREMENT", re: /\bAUTO_INCREMENT\b/i },
  { dialect: "MySQL", what: "backquoted identifiers", re: /`[^`\n]+`/ },
  { dialect: "MySQL", what: "DEFAULT CHARSET", re: /\bDEFAULT\s+CHARSET\b/i },
  {
    dialect: "MySQL",
    what: "UNSIGNED",
    re: /\b(?:INT|INTEGER|BIGINT|SMALLINT|TINYINT)\s*(?:\(\d+\))?\s+UNSIGNED\b/i,
  },
  { dialect: "SQLite", what: "AUTOINCREMENT", re: /\bAUTOINCREMENT\b/i },
  { dialect: "SQLite", what: "PRAGMA", re: /^\s*PRAGMA\b/im },
  { dialect: "SQLite", what: "WITHOUT ROWID", re: /\bWITHOUT\s+ROWID\b/i },
  // SQLite's date function; PostgreSQL has none of that name (its own is to_char).
  { dialect: "SQLite", what: "strftime(…)", re: /\bstrftime\s*\(/i },
  { dialect: "CockroachDB", what: "INTERLEAVE IN PARENT", re: /\bINTERLEAVE\s+IN\s+PARENT\b/i },
  { dialect: "CockroachDB", what: "INVERTED INDEX", re: /\bINVERTED\s+INDEX\b/i },
  { dialect: "SQL Server", what: "IDENTITY(…, …)", re: /\bIDENTITY\s*\(\s*\d+\s*,/i },
  { dialect: "SQL Server", what: "a GO batch separator", re: /^\s*GO\s*$/m },
];

/**
 * SQLite's idiom that PostgreSQL also accepts: `INTEGER PRIMARY KEY` is SQLite's rowid alias (its
 * auto-numbered key). It tells SQLite only in a folder with no PostgreSQL-only syntax at all.
 */
const SQLITE_IDIOM: Marker = {
  dialect: "SQLite",
  what: "INTEGER PRIMARY KEY",
  re: /\bINTEGER\s+(?:NOT\s+NULL\s+)?PRIMARY\s+KEY\b/i,
};

/** Syntax only PostgreSQL (and its forks) accepts: any of it keeps a folder PostgreSQL. */
const POSTGRES_ONLY =
  /\b(?:big|small)?serial\b|\btimestamptz\b|\bwith(?:out)?\s+time\s+zone\b|\bjsonb\b|\buuid\b|::\s*\w|\bCONCURRENTLY\b|\bplpgsql\b|\bCREATE\s+(?:EXTENSION|SCHEMA|TYPE|DOMAIN|SEQUENCE|POLICY)\b|\bUSING\s+(?:gin|gist|brin|btree|hash|spgist)\b|\w\s*\[\s*\]|\bbytea\b|\bAS\s+IDENTITY\b|\bnow\s*\(\s*\)|\bALTER\s+COLUMN\s+\S+\s+(?:SET\s+DATA\s+)?TYPE\b/i;

export interface SqlSample {
  /** How messages name the file: its path relative to the repository. */
  name: string;
  /** The SQL the runner sends (placeholders and unused sections already handled). */
  sql: string;
}

export interface ContentVerdict {
  /** Another dialect's markers, with the first place each was seen: "AUTO_INCREMENT in 1_init.up.sql:3". */
  foreign: { dialect: string; evidence: string[] } | null;
  /** Every dialect whose markers were seen, with its evidence. */
  markers: Map<string, string[]>;
  parsed: number;
  /** Files libpg-query refused, with the first one's error. */
  failed: number;
  firstFailure?: string;
}

/** Reads the samples for other dialects' markers and with libpg-query. */
export function judgeContent(samples: readonly SqlSample[]): ContentVerdict {
  const seen = new Map<string, string[]>();
  let failed = 0;
  let firstFailure: string | undefined;
  const idiom: string[] = [];
  let postgresOnly = false;
  for (const sample of samples) {
    const code = codeOnly(sample.sql);
    // Dollar quotes are PostgreSQL's own: look before codeOnly blanks them.
    if (POSTGRES_ONLY.test(code) || /\$\w*\$/.test(sample.sql.replace(/--[^\n]*/g, ""))) postgresOnly = true;
    const at = SQLITE_IDIOM.re.exec(code);
    if (at && idiom.length < 3)
      idiom.push(`${SQLITE_IDIOM.what} in ${sample.name}:${code.slice(0, at.index).split("\n").length}`);
    const hits = new Set<string>();
    for (const marker of MARKERS) {
      // A ClickHouse ENGINE is not also a MySQL one.
      if (marker.what === "ENGINE=" && hits.has("ClickHouse")) continue;
      const match = marker.re.exec(code);
      if (!match) continue;
      hits.add(marker.dialect);
      const line = code.slice(0, match.index).split("\n").length;
      const list = seen.get(marker.dialect) ?? [];
      if (list.length < 3) list.push(`${marker.what} in ${sample.name}:${line}`);
      seen.set(marker.dialect, list);
    }
    try {
      parseSync(sample.sql);
    } catch (error) {
      failed++;
      firstFailure ??= `${sample.name}: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`;
    }
  }
  let foreign: ContentVerdict["foreign"] = null;
  for (const [dialect, evidence] of seen) {
    if (!foreign || evidence.length > foreign.evidence.length) foreign = { dialect, evidence };
  }
  if (!foreign && idiom.length > 0 && !postgresOnly)
    foreign = { dialect: "SQLite", evidence: [...idiom, "and no PostgreSQL-only syntax"] };
  return {
    foreign,
    markers: seen,
    parsed: samples.length - failed,
    failed,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

/**
 * The SQL with comments, string literals and dollar-quoted bodies blanked (newlines kept), so
 * that a marker in a comment or a string does not count.
 */
export function codeOnly(sql: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, " ");
  return sql.replace(
    /--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|'(?:[^']|'')*(?:'|$)|(\$[A-Za-z_]*\$)[\s\S]*?(?:\1|$)/g,
    (m) => blank(m),
  );
}
