/** Every rule, in the order the docs list them. */
import { banConcurrentIndexCreationInTransaction } from "./ban-concurrent-index-creation-in-transaction.js";
import { constraintBuildsIndex } from "./constraint-builds-index.js";
import { duplicateIndex } from "./duplicate-index.js";
import { missingRequiredIndex } from "./missing-required-index.js";
import { ormMigrationDrift } from "./orm-migration-drift.js";
import { redundantIndex } from "./redundant-index.js";
import { requireConcurrentIndexCreation } from "./require-concurrent-index-creation.js";
import { requireConcurrentIndexDeletion } from "./require-concurrent-index-deletion.js";
import { requireConcurrentReindex } from "./require-concurrent-reindex.js";
import type { Rule, RuleMeta } from "./rule.js";
import { unindexedForeignKey } from "./unindexed-foreign-key.js";

export const RULES: Rule[] = [
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  requireConcurrentReindex,
  banConcurrentIndexCreationInTransaction,
  constraintBuildsIndex,
  missingRequiredIndex,
  unindexedForeignKey,
  duplicateIndex,
  redundantIndex,
  ormMigrationDrift,
];

/** Findings about the linter's own inputs rather than the schema. */
export const UNUSED_IGNORE: RuleMeta = {
  id: "unused-ignore",
  defaultSeverity: "warning",
  summary: "An inline pg-index-lint-ignore comment that suppresses nothing, or names an unknown rule.",
  docs: "rules/unused-ignore.md",
  fixable: false,
};

/**
 * Code in an Alembic revision or a SQLAlchemy model that cannot be read without running Python
 * (a computed table name, a loop, a helper call). It was skipped, and says so.
 */
export const UNSUPPORTED_CONSTRUCT: RuleMeta = {
  id: "unsupported-construct",
  defaultSeverity: "warning",
  summary:
    "Python code in a migration or a model that pg-index-lint cannot read statically, and therefore did not check.",
  docs: "rules/unsupported-construct.md",
  fixable: false,
};

/** Rules that `verify` reports; listed here so that config and ignores accept their ids. */
export const VERIFY_RULE_IDS = [
  "migration-failed",
  "invalid-index",
  "replay-mismatch",
  "required-index-not-used",
  "blocking-lock",
];

export const ALL_RULE_IDS = [
  ...RULES.map((r) => r.meta.id),
  UNUSED_IGNORE.id,
  UNSUPPORTED_CONSTRUCT.id,
  ...VERIFY_RULE_IDS,
];
