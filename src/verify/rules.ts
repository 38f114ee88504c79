/** The rules the verify pass reports. Their findings come from the database, not from a pure check. */
import type { RuleMeta } from "../rules/rule.js";

const meta = (id: string, defaultSeverity: RuleMeta["defaultSeverity"], summary: string): RuleMeta => ({
  id,
  defaultSeverity,
  summary,
  docs: `rules/${id}.md`,
  fixable: false,
});

export const VERIFY_RULES: Record<string, RuleMeta> = {
  "migration-failed": meta(
    "migration-failed",
    "error",
    "PostgreSQL rejected a statement while verify applied the migrations.",
  ),
  "invalid-index": meta(
    "invalid-index",
    "error",
    "An index exists but pg_index.indisvalid is false: it costs writes and serves no reads.",
  ),
  "required-index-not-used": meta(
    "required-index-not-used",
    "warning",
    "A required index's probe query is not planned with an index on the required columns.",
  ),
  "blocking-lock": meta(
    "blocking-lock",
    "warning",
    "A statement took a lock that blocks writes (SHARE or stronger) on a table that existed before its migration.",
  ),
  "replay-mismatch": meta(
    "replay-mismatch",
    "warning",
    "The replay's predicted schema differs from what PostgreSQL built.",
  ),
  "missing-required-index": meta(
    "missing-required-index",
    "error",
    "A required index is missing from the migrated database.",
  ),
  "unindexed-foreign-key": meta(
    "unindexed-foreign-key",
    "warning",
    "A foreign key has no covering index in the migrated database.",
  ),
};
