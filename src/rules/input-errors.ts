/**
 * Findings about input that could not be checked at all: the file's statements were not read, so
 * the run is incomplete (exit 2). They have no page; their help says what to do.
 */
import type { Rule, RuleMeta } from "./rule.js";

function inputRule(id: string, summary: string, help: string): Rule {
  const meta: RuleMeta = {
    id,
    pass: "input",
    defaultSeverity: "error",
    summary,
    fixable: false,
    finalState: false,
    lock: false,
    help,
  };
  return { meta };
}

export const syntaxError = inputRule(
  "syntax-error",
  "A migration or model file does not parse, so its statements were not checked.",
  "Fix the file's syntax; its statements were not checked.",
);

export const unreadableFile = inputRule(
  "unreadable-file",
  "A file is binary or not UTF-8 text, so it was not checked.",
  "Remove the file from the migrations folder, or save it as UTF-8 text.",
);

export const invalidMigration = inputRule(
  "invalid-migration",
  "A migration file its runner would refuse, so it was not checked.",
  "Fix the file as the message says; its statements were not checked.",
);
