/** A local HTTP server that plays the parts of the GitHub REST API the Action calls. */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

interface StoredComment {
  id: number;
  body: string;
  user: { login: string; type: string };
  path?: string;
  line?: number;
  start_line?: number;
}

export interface FakeGitHubOptions {
  owner: string;
  repo: string;
  number: number;
  files: { filename: string; status: string; patch?: string }[];
  /** Answer 403 to every write, as GitHub does for a fork's read-only token. */
  readOnly?: boolean;
  /** Answer 500 to the first request for this path, once. */
  failOnce?: string;
}

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly comments: StoredComment[] = [];
  readonly reviewComments: StoredComment[] = [];
  readonly reviews: { body: string; commit_id: string; event: string; comments: unknown[] }[] = [];
  private nextId = 1000;
  private server: Server | undefined;
  private failed = false;

  constructor(public options: FakeGitHubOptions) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body }) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }

  /** "METHOD /path" for each request, without the query string. */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = text ? JSON.parse(text) : undefined;
    const path = (req.url ?? "").split("?")[0] ?? "";
    const method = req.method ?? "GET";
    this.requests.push({ method, path, body });
    const { owner, repo, number } = this.options;
    const prefix = `/repos/${owner}/${repo}`;
    const bot = { login: "github-actions[bot]", type: "Bot" };
    if (this.options.failOnce === path && !this.failed) {
      this.failed = true;
      return { status: 500, body: { message: "Server Error" } };
    }
    if (method !== "GET" && this.options.readOnly)
      return { status: 403, body: { message: "Resource not accessible by integration" } };

    if (method === "GET" && path === "/user")
      return { status: 403, body: { message: "Resource not accessible by integration" } };
    if (method === "GET" && path === `${prefix}/pulls/${number}/files`)
      return { status: 200, body: this.options.files };
    if (method === "GET" && path === `${prefix}/issues/${number}/comments`)
      return { status: 200, body: this.comments };
    if (method === "POST" && path === `${prefix}/issues/${number}/comments`) {
      const comment = { id: this.nextId++, body: (body as { body: string }).body, user: bot };
      this.comments.push(comment);
      return { status: 201, body: comment };
    }
    const update = new RegExp(`^${prefix}/issues/comments/(\\d+)$`).exec(path);
    if (method === "PATCH" && update) {
      const comment = this.comments.find((c) => c.id === Number(update[1]));
      if (!comment) return { status: 404, body: { message: "Not Found" } };
      comment.body = (body as { body: string }).body;
      return { status: 200, body: comment };
    }
    if (method === "GET" && path === `${prefix}/pulls/${number}/comments`)
      return { status: 200, body: this.reviewComments };
    if (method === "POST" && path === `${prefix}/pulls/${number}/reviews`) {
      const review = body as { body: string; commit_id: string; event: string; comments: StoredComment[] };
      this.reviews.push(review);
      for (const c of review.comments) this.reviewComments.push({ ...c, id: this.nextId++, user: bot });
      return { status: 200, body: { id: this.nextId++ } };
    }
    return { status: 404, body: { message: `Not Found: ${method} ${path}` } };
  }
}

/** The patch the files API shows for a file the pull request adds. */
export function addedFilePatch(text: string): string {
  const lines = text.replace(/\n$/, "").split("\n");
  return [`@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`)].join("\n");
}
