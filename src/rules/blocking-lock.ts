import { lockModeName, WRITE_BLOCKING_MODES } from "../schema/locks.js";
import { type Rule, type RuleFinding, ruleMeta } from "./rule.js";

export const blockingLock: Rule = {
  meta: ruleMeta("blocking-lock", {
    pass: "verify",
    defaultSeverity: "warning",
    summary:
      "A statement took a lock that blocks writes (SHARE or stronger) on a table that existed before its migration.",
    fixable: false,
    lock: true,
  }),
  checkVerify({ sets, engine }) {
    const findings: RuleFinding[] = [];
    for (const set of sets) {
      for (const st of set.statements) {
        const blocking = st.locks.filter(
          (l) =>
            l.preexisting && WRITE_BLOCKING_MODES.has(l.mode) && (l.relkind === "r" || l.relkind === "p"),
        );
        if (blocking.length === 0) continue;
        const what = blocking.map((l) => `${lockModeName(l.mode)} on ${l.relation}`).join(", ");
        const measured = `${what}, which blocks writes to a table that already existed; it held it for ${st.durationMs.toFixed(1)} ms on ${engine === "pglite" ? "PGlite" : "the server"}${blocking.some((l) => l.inferred) ? " (lock inferred)" : ""}`;
        findings.push({
          range: st.range,
          message: `This statement took ${measured}.`,
          help: "On a large, busy table the lock is held for the whole statement, and writes queue behind it: use the CONCURRENTLY form, or a short lock_timeout and retries.",
          measured,
        });
      }
    }
    return findings;
  },
};
