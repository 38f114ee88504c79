/**
 * The few GitHub REST calls the Action makes, behind an interface the orchestration and its tests
 * share. Every call is retried once on a server or network error; a 403 or 404 is not retried.
 */
import { getOctokit } from "@actions/github";

export interface PullRequestRef {
  owner: string;
  repo: string;
  number: number;
  /** The PR's head commit: review comments are placed on its lines. */
  headSha: string;
}

export interface ApiComment {
  id: number;
  body: string;
  login: string | undefined;
}

export interface PrFile {
  /** Relative to the repository root. */
  filename: string;
  status: string;
  patch?: string;
}

export interface NewReviewComment {
  path: string;
  body: string;
  line: number;
  side: "RIGHT";
  start_line?: number;
  start_side?: "RIGHT";
}

export interface GitHubApi {
  /** The login of the token's user, when the token may ask (GITHUB_TOKEN may not). */
  viewer(): Promise<string | undefined>;
  listFiles(pr: PullRequestRef): Promise<PrFile[]>;
  listComments(pr: PullRequestRef): Promise<ApiComment[]>;
  createComment(pr: PullRequestRef, body: string): Promise<ApiComment>;
  updateComment(pr: PullRequestRef, id: number, body: string): Promise<void>;
  listReviewComments(pr: PullRequestRef): Promise<ApiComment[]>;
  createReview(pr: PullRequestRef, body: string, comments: NewReviewComment[]): Promise<void>;
}

/** An HTTP status from a failed call, when there is one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

/** Calls `fn`, and once more after a server error (5xx), a rate limit (429) or a network error. */
export async function withRetry<T>(fn: () => Promise<T>, delayMs = 1000): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const status = statusOf(error);
    if (status !== undefined && status < 500 && status !== 429) throw error;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return fn();
  }
}

type Login = { user?: { login?: string } | null };

export function octokitApi(token: string, retryDelayMs = 1000): GitHubApi {
  const octokit = getOctokit(token);
  const retry = <T>(fn: () => Promise<T>) => withRetry(fn, retryDelayMs);
  const comment = (c: { id: number; body?: string | null } & Login): ApiComment => ({
    id: c.id,
    body: c.body ?? "",
    login: c.user?.login,
  });
  const base = (pr: PullRequestRef) => ({ owner: pr.owner, repo: pr.repo });
  return {
    async viewer() {
      try {
        const { data } = await octokit.rest.users.getAuthenticated();
        return data.login;
      } catch {
        // GITHUB_TOKEN and app installation tokens cannot read /user.
        return undefined;
      }
    },
    listFiles: (pr) =>
      retry(async () => {
        const files = await octokit.paginate(octokit.rest.pulls.listFiles, {
          ...base(pr),
          pull_number: pr.number,
          per_page: 100,
        });
        return files.map((f) => ({
          filename: f.filename,
          status: f.status,
          ...(f.patch !== undefined ? { patch: f.patch } : {}),
        }));
      }),
    listComments: (pr) =>
      retry(async () => {
        const list = await octokit.paginate(octokit.rest.issues.listComments, {
          ...base(pr),
          issue_number: pr.number,
          per_page: 100,
        });
        return list.map(comment);
      }),
    createComment: (pr, body) =>
      retry(async () => {
        const { data } = await octokit.rest.issues.createComment({
          ...base(pr),
          issue_number: pr.number,
          body,
        });
        return comment(data);
      }),
    updateComment: (pr, id, body) =>
      retry(async () => {
        await octokit.rest.issues.updateComment({ ...base(pr), comment_id: id, body });
      }),
    listReviewComments: (pr) =>
      retry(async () => {
        const list = await octokit.paginate(octokit.rest.pulls.listReviewComments, {
          ...base(pr),
          pull_number: pr.number,
          per_page: 100,
        });
        return list.map(comment);
      }),
    createReview: (pr, body, comments) =>
      retry(async () => {
        await octokit.rest.pulls.createReview({
          ...base(pr),
          pull_number: pr.number,
          commit_id: pr.headSha,
          event: "COMMENT",
          body,
          comments,
        });
      }),
  };
}
