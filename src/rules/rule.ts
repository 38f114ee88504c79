/**
 * A rule is a small module: metadata plus a pure function from what a pass saw to findings. Check
 * rules read a statement with the catalog before it, or the final catalog; verify rules read what
 * verify measured on a real PostgreSQL. A rule never prints or formats, and knows no framework:
 * words that name a runner's or an ORM's own calls come from the source through `wordsFor`.
 */
import type { Fix, Severity } from "../finding.js";
import type { Migration, SourceRange, Statement } from "../model.js";
import type { QueryContext } from "../queries/findings.js";
import type { IndexProof } from "../queries/prove.js";
import type { Isolation } from "../runners/runner.js";
import type { Catalog } from "../schema/catalog.js";
import type { Words } from "../schema/change.js";
import type { Requirement } from "./coverage.js";

/**
 * Where a rule's findings come from: the static pass, the database, or the input itself (a file
 * that could not be read or parsed, so nothing in it was checked).
 */
export type RulePass = "check" | "verify" | "input";

export interface RuleMeta {
  id: string;
  pass: RulePass;
  defaultSeverity: Severity;
  /** One sentence: what the rule catches. */
  summary: string;
  /** Path of the rule's page, relative to the package root; input errors have none. */
  docs?: string;
  fixable: boolean;
  /**
   * It judges the schema after every migration, not one statement: a pull request answers for it
   * on the tables the pull request touches, wherever the finding is located.
   */
  finalState: boolean;
  /** It is about the lock a statement takes: verify's measurement of that lock belongs in its finding. */
  lock: boolean;
  /**
   * A finding of this rule means PostgreSQL will reject the statement, so the replay leaves it
   * out of the catalog, as the server would.
   */
  rejectsStatement?: boolean;
  /** For input errors: the help every finding of the rule carries. */
  help?: string;
  /**
   * With `lock`: what holds the lock. "build" (the default) holds it while an index is built, for
   * a time that grows with the table; "queue" takes it briefly, but queues every query behind the
   * longest running one (a drop).
   */
  lockHeld?: "build" | "queue";
  /** Its message quotes PostgreSQL's own error (`… (SQLSTATE …)`), which reports quote apart. */
  quotesPostgres?: boolean;
  /**
   * Rules whose finding asks for an index this rule's finding also asks for (same table, its
   * columns leading this one's): the policy folds such a finding into this rule's, so one need is
   * reported once, with the other rule's location in its message.
   */
  subsumes?: readonly string[];
}

/** What a rule reports; the engine adds the rule id, severity and source. */
export interface RuleFinding {
  range: SourceRange;
  message: string;
  help: string;
  table?: string;
  columns?: string[];
  fix?: Fix;
  /** What verify measured of the statement (its lock and how long it held it), in words. */
  measured?: string;
  /**
   * The fix edits the code that generates the statement (a runner's code-level way out), so it
   * holds for generated SQL too. Not part of the finding that is reported.
   */
  codeFix?: boolean;
}

export interface StatementContext {
  statement: Statement;
  /** The catalog as it was before this statement. */
  catalog: Catalog;
  migration: Migration;
  /** Position of `migration` in apply order. */
  migrationIndex: number;
  /**
   * Asks the migration's runner how `sql` runs in place of `statement`, its first statement
   * outside any transaction (a CONCURRENTLY build): in place, a migration of its own, or the
   * runner's opt-out. Every rule that offers a CONCURRENTLY rewrite asks here. Absent: no fix.
   */
  isolate?(statement: Statement, sql: string[]): Isolation;
}

export interface CatalogContext {
  /** The final catalog of each migrations entry, after every migration. */
  catalogs: Catalog[];
  requirements: Requirement[];
  /** Display path of the config file, for findings about the config's own entries. */
  configFile: string | null;
  /**
   * The schema each ORM models entry declares, when the config has both models and migrations.
   * (With models only, the models' catalogs are `catalogs`.)
   */
  models?: Catalog[];
  /** The queries the config names (`queries:`), with each catalog's migrations entry. */
  queries?: QueryContext;
  /** The words of the source that owns a location. */
  wordsFor(range: SourceRange): Words;
}

/** A relation lock verify saw a statement take. */
export interface MeasuredLock {
  /** `schema.name`, or `name` in public. */
  relation: string;
  /** pg_class.relkind: r (table), p (partitioned table), i (index), m (materialized view)… */
  relkind: string;
  /** pg_locks.mode, e.g. "ShareLock". */
  mode: string;
  /** The relation existed before the migration that took the lock. */
  preexisting: boolean;
  /**
   * The table is new in the change under review (a migration of the pull request or of
   * --changed-since created it; without a change, the history replayed into an empty database)
   * and held no rows when the migration that took the lock began: no query waits on it yet.
   */
  fresh: boolean;
  /** Not observed: the mode PostgreSQL documents for the statement. */
  inferred: boolean;
}

/** How verify proved a required index on the migrated database. */
export type Proof = "proven" | "missing" | "invalid" | "table missing";

/** What verify measured for one migrations entry. */
export interface VerifiedSet {
  /** The replayed catalog, to find where a live object was declared. */
  catalog: Catalog;
  /** Where a finding about the set goes when nothing closer is known: its first statement. */
  fallback: SourceRange;
  /** Statements PostgreSQL rejected, in order. */
  failures: { range: SourceRange; code: string; message: string }[];
  /** Migrations not applied because applying stopped at a failure. */
  notApplied: number;
  /** Every statement that ran, with the locks it took; `migration` indexes the set's migrations. */
  statements: {
    range: SourceRange;
    durationMs: number;
    locks: MeasuredLock[];
    statement: Statement;
    migration: number;
  }[];
  /** Where the replay's prediction and the database disagree. */
  differences: { message: string; at?: SourceRange }[];
  /** The catalog read back from the database. */
  live: Catalog;
}

export interface VerifyContext {
  engine: "server" | "pglite";
  /** Later migrations were applied after a failure, where the runner would stop. */
  keepGoing: boolean;
  sets: VerifiedSet[];
  /** Each requirement, proven against every set's live catalog, located where check located it. */
  coverage: { requirement: Requirement; proof: Proof; index?: string; at: SourceRange }[];
  /** The probe queries, EXPLAINed. */
  probes: {
    requirement: Requirement;
    at: SourceRange;
    served: boolean;
    error?: string;
    topNode: string;
    indexesUsed: string[];
    seqscanDisabled: boolean;
  }[];
  /** The indexes query-needs-index suggests, each built on synthetic rows and its query EXPLAINed. */
  queryProofs?: IndexProof[];
  /** The words of the source that owns a location. */
  wordsFor(range: SourceRange): Words;
}

export interface Rule {
  meta: RuleMeta;
  checkStatement?(ctx: StatementContext): RuleFinding[];
  checkCatalog?(ctx: CatalogContext): RuleFinding[];
  checkVerify?(ctx: VerifyContext): RuleFinding[];
}

/** The metadata of a rule with a page, `rules/<id>.md`. */
export function ruleMeta(
  id: string,
  meta: Omit<RuleMeta, "id" | "docs" | "pass" | "finalState" | "lock"> &
    Partial<Pick<RuleMeta, "pass" | "finalState" | "lock">>,
): RuleMeta {
  return { id, docs: `rules/${id}.md`, pass: "check", finalState: false, lock: false, ...meta };
}
