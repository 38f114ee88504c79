import { type Rule, type RuleFinding, ruleMeta } from "./rule.js";

export const migrationFailed: Rule = {
  meta: ruleMeta("migration-failed", {
    pass: "verify",
    defaultSeverity: "error",
    summary: "PostgreSQL rejected a statement while verify applied the migrations.",
    fixable: false,
    quotesPostgres: true,
  }),
  checkVerify({ sets, keepGoing }) {
    const findings: RuleFinding[] = [];
    for (const set of sets) {
      for (const failure of set.failures) {
        const stops = keepGoing
          ? "The runner would stop here; --keep-going applied the later migrations anyway"
          : `The runner stops here${set.notApplied ? `: ${set.notApplied} later migration${set.notApplied === 1 ? " was" : "s were"} not applied` : ""}`;
        findings.push({
          range: failure.range,
          message: `PostgreSQL rejected this statement: ${failure.message} (SQLSTATE ${failure.code}). ${stops}.`,
          help: helpFor(failure.code),
        });
      }
    }
    return findings;
  },
};

function helpFor(code: string): string {
  switch (code) {
    case "25001":
      return "A CONCURRENTLY statement ran inside a transaction block; see ban-concurrent-index-creation-in-transaction for the runner's way out.";
    case "57014":
      return "The statement ran past the statement timeout; on production data it would hold its locks even longer.";
    default:
      return "Fix the statement: the runner would stop at this point and leave later migrations unapplied.";
  }
}
