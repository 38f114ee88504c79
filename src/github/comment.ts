/**
 * The one living PR comment: found by our hidden marker and written by the same user, updated in
 * place, or created once.
 */
import { COMMENT_MARKER } from "../report/markdown.js";

export { reportedFindings } from "../report/markdown.js";

import type { ApiComment, GitHubApi, PullRequestRef } from "./api.js";

/** The login GITHUB_TOKEN writes as; used when the token cannot say who it is. */
export const ACTIONS_BOT = "github-actions[bot]";

export function findOurComment(comments: ApiComment[], viewer: string): ApiComment | undefined {
  return comments.find((c) => c.login === viewer && c.body.includes(COMMENT_MARKER));
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
