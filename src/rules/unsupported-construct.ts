import { type Rule, ruleMeta } from "./rule.js";

/**
 * Code in a migration or a model that cannot be read without running it (a computed table name, a
 * loop, a helper call). Sources report these as warnings while they read; it was skipped, and says so.
 */
export const unsupportedConstruct: Rule = {
  meta: ruleMeta("unsupported-construct", {
    defaultSeverity: "warning",
    summary:
      "Code in a migration or a model that pg-index-lint cannot read statically, and therefore did not check.",
    fixable: false,
  }),
};
