import { type Rule, ruleMeta } from "./rule.js";

/**
 * A migration alters, indexes or references a table that no earlier migration created: the
 * history starts from a schema made elsewhere (a pg_dump, `create_all`, a platform's own tables).
 * The replay cannot know what that table holds, so findings about it are guesses. The check pass
 * reports it once per table, at the first statement that uses it; a `base:` schema settles it.
 */
export const unknownTable: Rule = {
  meta: ruleMeta("unknown-table", {
    defaultSeverity: "warning",
    summary:
      "A migration uses a table that no migration creates: the schema the history starts from is unknown to the replay.",
    fixable: false,
  }),
};
