/**
 * The one living PR comment: found by our hidden marker and written by the same user, updated in
 * place, or created once.
 */
import { commentMarker } from "../report/markdown.js";

export { reportedFindings } from "../report/markdown.js";

import type { ApiComment, GitHubApi, PullRequestRef } from "./api.js";

/** The login GITHUB_TOKEN writes as; used when the token cannot say who it is. */
export const ACTIONS_BOT = "github-actions[bot]";

/** Our comment for this step: written by `viewer`, and its first line is the step's marker. */
export function findOurComment(comments: ApiComment[], viewer: string, key?: string): ApiComment | undefined {
  const marker = commentMarker(key);
  return comments.find((c) => c.login === viewer && c.body.split("\n", 1)[0]?.trim() === marker);
}

export type CommentOutcome = "created" | "updated" | "unchanged";

export async function writeComment(
  api: GitHubApi,
  pr: PullRequestRef,
  existing: ApiComment | undefined,
  body: string,
): Promise<CommentOutcome> {
  if (!existing) {
    await api.createComment(pr, body);
    return "created";
  }
  if (existing.body.trim() === body.trim()) return "unchanged";
  await api.updateComment(pr, existing.id, body);
  return "updated";
}
