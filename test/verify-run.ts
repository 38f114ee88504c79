/** verify through the one library entry, as the CLI runs it, with the report's verify part at hand. */
import { type RunOptions, run } from "../src/run.js";
import type { VerifyReport } from "../src/verify/verify.js";

export async function runVerify(options: Omit<RunOptions, "command">) {
  const result = await run({ command: "verify", ...options });
  if (!result.verify) throw new Error("verify made no report");
  return { report: result.verify as VerifyReport, findings: result.findings, verdict: result.verdict };
}
