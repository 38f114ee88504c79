import { type Rule, type RuleFinding, ruleMeta } from "./rule.js";

export const requiredIndexNotUsed: Rule = {
  meta: ruleMeta("required-index-not-used", {
    pass: "verify",
    defaultSeverity: "warning",
    summary: "A required index's probe query is not planned with an index on the required columns.",
    fixable: false,
    finalState: true,
  }),
  checkVerify({ probes }) {
    const findings: RuleFinding[] = [];
    for (const probe of probes) {
      if (probe.served) continue;
      const { entry } = probe.requirement;
      findings.push({
        range: probe.at,
        message: probe.error
          ? `The probe query for ${entry.table} failed: ${probe.error}`
          : `The probe query for ${entry.table} (${entry.columns.join(", ")}) is planned as ${probe.topNode}${probe.indexesUsed.length ? ` using ${probe.indexesUsed.join(", ")}` : ""}, not with an index on the required columns${probe.seqscanDisabled ? " (even with sequential scans disabled, because the table is empty)" : ""}.`,
        help: "Check the query and the index: column order, predicate and operator class must match.",
        table: entry.table,
        columns: entry.columns,
      });
    }
    return findings;
  },
};
