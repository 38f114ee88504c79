/** Stable identities of findings for the machine-readable reports and the PR review. */
import { createHash } from "node:crypto";
import { type Finding, numberedFingerprints } from "../finding.js";
import { repoPath } from "./paths.js";

/**
 * A stable identity per finding, as hex SHA-256: the rule, the repository path and the message
 * without line numbers (`fingerprint()`, which --baseline uses too), so it survives lines moving.
 * Findings that are otherwise identical are told apart by their order in the file.
 */
export function findingFingerprints(findings: readonly Finding[], repoRoot?: string, cwd?: string): string[] {
  return numberedFingerprints(findings, (f) => repoPath(f.file, repoRoot, cwd)).map(({ key, occurrence }) =>
    createHash("sha256").update(`${key}\u0000${occurrence}`).digest("hex"),
  );
}
