import { type Rule, type RuleFinding, ruleMeta } from "./rule.js";

export const replayMismatch: Rule = {
  meta: ruleMeta("replay-mismatch", {
    pass: "verify",
    defaultSeverity: "warning",
    summary: "The replay's predicted schema differs from what PostgreSQL built.",
    fixable: false,
    finalState: true,
  }),
  checkVerify({ sets }) {
    const findings: RuleFinding[] = [];
    for (const set of sets) {
      for (const d of set.differences) {
        findings.push({
          range: d.at ?? set.fallback,
          message: `${d.message} Either the replay has a bug (please report it), or the migrations build this in a way the replay cannot see, such as a function that creates tables or dynamic SQL.`,
          help: "The static findings for this table may be wrong; trust the verify findings.",
        });
      }
    }
    return findings;
  },
};
