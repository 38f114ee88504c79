/**
 * The one rule registry. Every list of rule ids in the program is derived from `RULES`: the
 * config's accepted ids, the statement, catalog and verify passes, the final-state and lock sets,
 * `pg-index-lint rules`, SARIF's rule descriptors and the docs test. Adding a rule is one module
 * and one line here.
 */
import { banConcurrentIndexCreationInTransaction } from "./ban-concurrent-index-creation-in-transaction.js";
import { blockingLock } from "./blocking-lock.js";
import { constraintBuildsIndex } from "./constraint-builds-index.js";
import { duplicateIndex } from "./duplicate-index.js";
import { invalidMigration, syntaxError, unreadableFile } from "./input-errors.js";
import { invalidIndex } from "./invalid-index.js";
import { migrationFailed } from "./migration-failed.js";
import { missingRequiredIndex } from "./missing-required-index.js";
import { ormMigrationDrift } from "./orm-migration-drift.js";
import { queryNeedsIndex } from "./query-needs-index.js";
import { redundantIndex } from "./redundant-index.js";
import { replayMismatch } from "./replay-mismatch.js";
import { requireConcurrentIndexCreation } from "./require-concurrent-index-creation.js";
import { requireConcurrentIndexDeletion } from "./require-concurrent-index-deletion.js";
import { requireConcurrentReindex } from "./require-concurrent-reindex.js";
import { requiredIndexNotUsed } from "./required-index-not-used.js";
import type { Rule, RuleMeta } from "./rule.js";
import { unindexedForeignKey } from "./unindexed-foreign-key.js";
import { unknownTable } from "./unknown-table.js";
import { unsupportedConstruct } from "./unsupported-construct.js";
import { unusedIgnore } from "./unused-ignore.js";

/** Every rule, in the order `pg-index-lint rules` and the docs list them. */
export const RULES: readonly Rule[] = [
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  requireConcurrentReindex,
  banConcurrentIndexCreationInTransaction,
  constraintBuildsIndex,
  missingRequiredIndex,
  queryNeedsIndex,
  unindexedForeignKey,
  duplicateIndex,
  redundantIndex,
  ormMigrationDrift,
  unusedIgnore,
  unsupportedConstruct,
  unknownTable,
  migrationFailed,
  invalidIndex,
  replayMismatch,
  requiredIndexNotUsed,
  blockingLock,
  syntaxError,
  unreadableFile,
  invalidMigration,
];

const BY_ID = new Map(RULES.map((rule) => [rule.meta.id, rule]));

export const RULE_IDS: readonly string[] = RULES.map((rule) => rule.meta.id);

export function ruleById(id: string): Rule | undefined {
  return BY_ID.get(id);
}

/** The rule's metadata; a bug when the id is not registered. */
export function metaOf(id: string): RuleMeta {
  const rule = BY_ID.get(id);
  if (!rule) throw new Error(`rule "${id}" is not in the registry`);
  return rule.meta;
}

export const STATEMENT_RULES = RULES.filter((rule) => rule.checkStatement);
export const CATALOG_RULES = RULES.filter((rule) => rule.checkCatalog);
export const VERIFY_RULES = RULES.filter((rule) => rule.checkVerify);

/** Rules with a page under rules/: every rule but the input errors. */
export const DOCUMENTED_RULES = RULES.filter((rule) => rule.meta.docs);

/** Does the rule judge the final schema (so a pull request answers for it on the tables it touches)? */
export function isFinalState(id: string): boolean {
  return BY_ID.get(id)?.meta.finalState ?? false;
}

/** Is the rule about the lock a statement takes? */
export function isLockRule(id: string): boolean {
  return BY_ID.get(id)?.meta.lock ?? false;
}

/** Can only verify tell whether a finding of the rule exists (so check cannot call its ignore unused)? */
export function onlyVerifyFinds(id: string): boolean {
  const rule = BY_ID.get(id);
  return rule !== undefined && rule.checkVerify !== undefined && !rule.checkStatement && !rule.checkCatalog;
}
