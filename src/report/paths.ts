/** How reports name a finding's file: relative to the repository root, as code hosts expect. */
import { isAbsolute, relative, resolve, sep } from "node:path";

/**
 * A finding's path as the repository sees it: relative to `repoRoot`, with forward slashes, and
 * no leading `./` (GitLab rejects one).
 */
export function repoPath(file: string, repoRoot?: string, cwd: string = process.cwd()): string {
  let path = file;
  if (repoRoot !== undefined) {
    const absolute = isAbsolute(file) ? file : resolve(cwd, file);
    path = relative(repoRoot, absolute);
  }
  if (sep !== "/") path = path.split(sep).join("/");
  return path.replace(/^(\.\/)+/, "");
}
