/**
 * The Action end to end, as the runner starts it: `node dist/index.js` (bundled fresh into a temp
 * directory, with no node_modules beside it) with the INPUT_* and GITHUB_* environment, a
 * pull_request payload, and a local server in place of the GitHub API.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addedFilePatch, FakeGitHub, type FakeGitHubOptions } from "./fake-github.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const example = join(root, "examples", "factory-service");
let tmp: string;
let dist: string;
let workspace: string;

const SERVICE = "services/factory";
const CHANGED = ["migrations/004_add_database_indexes.sql", "migrations/005_audit_and_sku_indexes.sql"];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "pg-index-lint-action-"));
  dist = join(tmp, "action", "dist");
  await run(process.execPath, [join(root, "scripts", "bundle.mjs"), "--out", dist]);
  workspace = join(tmp, "workspace");
  mkdirSync(join(workspace, "services"), { recursive: true });
  cpSync(example, join(workspace, SERVICE), { recursive: true });
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function prFiles(): FakeGitHubOptions["files"] {
  return CHANGED.map((file) => ({
    filename: `${SERVICE}/${file}`,
    status: "added",
    patch: addedFilePatch(readFileSync(join(example, file), "utf8")),
  }));
}

interface Run {
  code: number;
  stdout: string;
  summary: string;
  outputs: Record<string, string>;
}

async function runAction(
  inputs: Record<string, string>,
  options: { api?: string; event?: "pull_request" | "push"; headSha?: string } = {},
): Promise<Run> {
  const dir = mkdtempSync(join(tmp, "run-"));
  const event = join(dir, "event.json");
  const summary = join(dir, "summary.md");
  const output = join(dir, "output.txt");
  writeFileSync(summary, "");
  writeFileSync(output, "");
  const pull = options.event !== "push";
  writeFileSync(
    event,
    JSON.stringify(
      pull
        ? { pull_request: { number: 7, head: { sha: options.headSha ?? "head1" }, base: { sha: "base0" } } }
        : { ref: "refs/heads/main" },
    ),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: tmp,
    RUNNER_TEMP: dir,
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_NAME: pull ? "pull_request" : "push",
    GITHUB_EVENT_PATH: event,
    GITHUB_REPOSITORY: "acme/factory",
    GITHUB_SHA: "merge1",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_API_URL: options.api ?? "http://127.0.0.1:9",
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: output,
    GITHUB_ACTION_REPOSITORY: "acme/pg-index-lint",
    GITHUB_ACTION_REF: "v1",
    "INPUT_GITHUB-TOKEN": "ghs_secret-token-value",
    "INPUT_WORKING-DIRECTORY": SERVICE,
    INPUT_VERIFY: "false",
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  };
  let code = 0;
  let stdout = "";
  try {
    ({ stdout } = await run(process.execPath, [join(dist, "index.js")], { env, cwd: workspace }));
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    code = failed.code;
    stdout = failed.stdout;
  }
  return {
    code,
    stdout,
    summary: readFileSync(summary, "utf8"),
    outputs: parseOutputs(readFileSync(output, "utf8")),
  };
}

function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const re = /^(.+?)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) outputs[m[1] as string] = m[3] as string;
  return outputs;
}

describe("the Action on a pull request", () => {
  const github = new FakeGitHub({ owner: "acme", repo: "factory", number: 7, files: prFiles() });
  let api: string;
  let first: Run;
  beforeAll(async () => {
    api = await github.start();
    first = await runAction({ "sarif-file": "pg-index-lint.sarif" }, { api });
  }, 60_000);
  afterAll(() => github.stop());

  it("lists the PR's files and comments, creates the comment, then posts one review", () => {
    expect(github.calls()).toEqual([
      "GET /repos/acme/factory/pulls/7/files",
      "GET /user",
      "GET /repos/acme/factory/issues/7/comments",
      "POST /repos/acme/factory/issues/7/comments",
      "GET /repos/acme/factory/pulls/7/comments",
      "POST /repos/acme/factory/pulls/7/reviews",
    ]);
  });

  it("annotates the findings of the changed files with workflow commands, paths from the repository root", () => {
    expect(first.stdout).toContain(
      `::error title=pg-index-lint%3A ban-concurrent-index-creation-in-transaction,file=${SERVICE}/migrations/004_add_database_indexes.sql,line=4,endLine=4,col=1,endColumn=70::`,
    );
    expect(first.stdout).toContain(
      `::error title=pg-index-lint%3A require-concurrent-index-creation,file=${SERVICE}/migrations/005_audit_and_sku_indexes.sql,line=2,endLine=3::`,
    );
    // A final-state finding on a table the PR touches is reported where the table is created.
    expect(first.stdout).toContain(`file=${SERVICE}/migrations/002_create_api_keys.sql,line=2`);
    // The runner hides a value after ::add-mask::; nothing else prints the token.
    expect(first.stdout).toContain("::add-mask::ghs_secret-token-value\n");
    expect(first.stdout.replace("::add-mask::ghs_secret-token-value", "")).not.toContain(
      "ghs_secret-token-value",
    );
  });

  it("fails the step: the findings reach fail-on error", () => {
    expect(first.code).toBe(1);
    expect(first.stdout).toContain("::error::pg-index-lint: 7 errors, 1 warning at fail-on: error");
  });

  it("creates one comment with the marker, the verdict and links to lines and rule pages", () => {
    expect(github.comments).toHaveLength(1);
    const body = github.comments[0]?.body ?? "";
    expect(body.startsWith("<!-- pg-index-lint -->\n")).toBe(true);
    expect(body).toContain("❌ **7 errors, 1 warning**");
    expect(body).toContain(
      `[migrations/005_audit_and_sku_indexes.sql:2](https://github.com/acme/factory/blob/head1/${SERVICE}/migrations/005_audit_and_sku_indexes.sql#L2-L3)`,
    );
    expect(body).toContain(
      "[`require-concurrent-index-creation`](https://github.com/acme/pg-index-lint/blob/v1/rules/require-concurrent-index-creation.md)",
    );
    expect(body).toContain("#### Required indexes");
  });

  it("posts a review on the head commit with inline comments on diff lines and suggestion fixes", () => {
    expect(github.reviews).toHaveLength(1);
    const review = github.reviews[0];
    expect(review?.commit_id).toBe("head1");
    expect(review?.event).toBe("COMMENT");
    const comments = review?.comments as {
      path: string;
      line: number;
      start_line?: number;
      side: string;
      body: string;
    }[];
    expect(comments.map((c) => [c.path.split("/").pop(), c.start_line, c.line])).toEqual([
      // The first finding of the BEGIN … COMMIT block carries the fix that removes both lines.
      ["004_add_database_indexes.sql", 3, 7],
      ["004_add_database_indexes.sql", undefined, 5],
      ["004_add_database_indexes.sql", undefined, 6],
      ["005_audit_and_sku_indexes.sql", 2, 3],
      ["005_audit_and_sku_indexes.sql", undefined, 5],
    ]);
    expect(comments.every((c) => c.side === "RIGHT")).toBe(true);
    expect(comments[3]?.body).toContain(
      "```suggestion\nCREATE INDEX CONCURRENTLY idx_api_keys_factory_created\n    ON api_keys (factory_id, created_at DESC);\n```",
    );
    expect(comments[4]?.body).toContain(
      "```suggestion\nCREATE INDEX CONCURRENTLY idx_products_sku ON products (sku) WHERE sku IS NOT NULL;\n```",
    );
    expect(comments[0]?.body).toContain(
      "```suggestion\nCREATE INDEX CONCURRENTLY idx_api_keys_key_hash ON api_keys(key_hash);\nCREATE INDEX CONCURRENTLY idx_api_keys_factory_id ON api_keys(factory_id);\nCREATE INDEX CONCURRENTLY idx_batches_product_id ON batches(product_id);\n```",
    );
    expect(comments[0]?.body).toMatch(/^<!-- pg-index-lint:fp=[0-9a-f]{16}-0 -->/);
    expect(comments[1]?.body).toMatch(/^<!-- pg-index-lint:fp=[0-9a-f]{16}-1 -->/);
  });

  it("writes the job summary, the JSON report, SARIF and the outputs", () => {
    expect(first.summary).toContain("### pg-index-lint");
    expect(first.summary).toContain("| ❌ | [`ban-concurrent-index-creation-in-transaction`]");
    expect(first.summary).toContain("not on lines of this pull request's diff");
    expect(first.outputs).toMatchObject({ findings: "8", errors: "7", warnings: "1" });
    const report = JSON.parse(readFileSync(first.outputs["report-json"] as string, "utf8"));
    expect(report.version).toBe(1);
    expect(report.findings).toHaveLength(8);
    expect(first.outputs["sarif-file"]).toBe(join(workspace, SERVICE, "pg-index-lint.sarif"));
    const sarif = JSON.parse(readFileSync(first.outputs["sarif-file"] as string, "utf8"));
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].results).toHaveLength(8);
  });

  it("on a second run after a push, updates the same comment and repeats no review comment", async () => {
    const before = github.requests.length;
    const second = await runAction({}, { api, headSha: "head2" });
    const calls = github.calls().slice(before);
    expect(second.code).toBe(1);
    expect(calls).toContain(`PATCH /repos/acme/factory/issues/comments/${github.comments[0]?.id}`);
    expect(calls).not.toContain("POST /repos/acme/factory/issues/7/comments");
    expect(calls).not.toContain("POST /repos/acme/factory/pulls/7/reviews");
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toContain("/blob/head2/");
    expect(github.reviewComments).toHaveLength(5);
  }, 60_000);

  it("says so in the comment when a later push fixes everything", async () => {
    github.options.files = [
      { filename: `${SERVICE}/README.md`, status: "modified", patch: "@@ -1 +1 @@\n-a\n+b" },
    ];
    const fixed = await runAction({}, { api, headSha: "head3" });
    expect(fixed.code).toBe(0);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toContain("✅ **All fixed.**");
    // The schema's older problems stay visible, apart, without failing the check.
    expect(github.comments[0]?.body).toContain("on tables this pull request does not touch");
    github.options.files = prFiles();
  }, 60_000);
});

describe("the Action with a read-only token (a pull request from a fork)", () => {
  const github = new FakeGitHub({
    owner: "acme",
    repo: "factory",
    number: 7,
    files: prFiles(),
    readOnly: true,
  });
  let api: string;
  beforeAll(async () => {
    api = await github.start();
  });
  afterAll(() => github.stop());

  it("skips the comment and review with a notice, and does not fail because of the 403", async () => {
    const result = await runAction({ "fail-on": "never" }, { api });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("::notice::pg-index-lint: the token cannot write to this pull request");
    expect(result.stdout).toContain("::error title=pg-index-lint%3A ");
    expect(result.summary).toContain("### pg-index-lint");
    expect(github.calls()).not.toContain("POST /repos/acme/factory/pulls/7/reviews");
  }, 60_000);
});

describe("the Action when the API fails once", () => {
  const github = new FakeGitHub({
    owner: "acme",
    repo: "factory",
    number: 7,
    files: prFiles(),
    failOnce: "/repos/acme/factory/issues/7/comments",
  });
  let api: string;
  beforeAll(async () => {
    api = await github.start();
  });
  afterAll(() => github.stop());

  it("retries the call and goes on", async () => {
    const result = await runAction({ "fail-on": "never" }, { api });
    expect(result.code).toBe(0);
    expect(github.calls().filter((c) => c === "GET /repos/acme/factory/issues/7/comments")).toHaveLength(2);
    expect(github.comments).toHaveLength(1);
    expect(result.stdout).not.toContain("::warning::pg-index-lint: GitHub API");
  }, 60_000);
});

describe("the Action on a push", () => {
  it("masks the database URL and its password before anything else is printed", async () => {
    const result = await runAction(
      { "database-url": "postgres://ci:s3cr%40t@127.0.0.1:9/postgres", "fail-on": "never" },
      { event: "push" },
    );
    const masks = result.stdout.split("\n").filter((l) => l.startsWith("::add-mask::"));
    // Workflow commands escape "%" as "%25"; the runner reads back s3cr%40t.
    expect(masks).toEqual([
      "::add-mask::ghs_secret-token-value",
      "::add-mask::postgres://ci:s3cr%2540t@127.0.0.1:9/postgres",
      "::add-mask::s3cr%2540t",
      "::add-mask::s3cr@t",
    ]);
    expect(result.stdout.split("\n").slice(masks.length).join("\n")).not.toMatch(/s3cr/);
  }, 60_000);

  it("reports every finding, comments nowhere, and verifies on embedded PGlite", async () => {
    const result = await runAction(
      { verify: "true", "database-url": "" },
      { event: "push", api: "http://127.0.0.1:9" },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `::error title=pg-index-lint%3A migration-failed,file=${SERVICE}/migrations/004_add_database_indexes.sql,line=4`,
    );
    expect(result.summary).toContain("#### Verify: `migrations` on embedded PGlite");
    expect(result.summary).toContain("| products (sku) WHERE sku IS NOT NULL | ❌ missing |");
    expect(result.summary).toContain("#### Impact with synthetic rows");
  }, 120_000);
});

describe("the CLI and the Action are two callers of one run()", () => {
  const cli = async (args: string[]) => {
    try {
      const { stdout } = await run(process.execPath, [join(root, "bin", "pg-index-lint.js"), ...args], {
        cwd: join(workspace, SERVICE),
      });
      return { code: 0, stdout };
    } catch (error) {
      const failed = error as { code: number; stdout: string };
      return { code: failed.code, stdout: failed.stdout };
    }
  };

  for (const failOn of ["error", "warning", "never"]) {
    it(`report the same findings and reach the same verdict at fail-on ${failOn}`, async () => {
      const action = await runAction({ "fail-on": failOn }, { event: "push" });
      const fromCli = await cli(["check", ".", "--format", "json", "--fail-on", failOn]);
      const actionReport = JSON.parse(readFileSync(action.outputs["report-json"] as string, "utf8"));
      const cliReport = JSON.parse(fromCli.stdout);
      expect(actionReport.findings.length).toBeGreaterThan(0);
      expect(actionReport.findings).toEqual(cliReport.findings);
      expect(actionReport.summary).toEqual(cliReport.summary);
      expect(action.code).toBe(fromCli.code);
      expect(action.code).toBe(failOn === "never" ? 0 : 1);
    }, 120_000);
  }
});
