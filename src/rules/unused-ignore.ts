import { type Rule, ruleMeta } from "./rule.js";

/**
 * An inline ignore that suppresses nothing, or names an unknown rule. Its findings come from the
 * policy step, which is where ignores are matched with findings (src/policy/ignores.ts).
 */
export const unusedIgnore: Rule = {
  meta: ruleMeta("unused-ignore", {
    defaultSeverity: "warning",
    summary: "An inline pg-index-lint-ignore comment that suppresses nothing, or names an unknown rule.",
    fixable: false,
  }),
};
