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
});

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
  });
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
    // Long words carry break opportunities (<wbr>) so that the table fits: read past them.
    const body = (github.comments[0]?.body ?? "").replaceAll("<wbr>", "");
    // Keyed by the step's working directory: another step keeps its own comment.
    expect(body.startsWith("<!-- pg-index-lint key=services%2Ffactory -->\n")).toBe(true);
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
  });

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
  });
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
  });
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
  });
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
  });

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
  });
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
    });
  }
});

describe("the Action with two steps in one pull request (a monorepo)", () => {
  const OTHER = "services/other";
  const github = new FakeGitHub({ owner: "acme", repo: "factory", number: 7, files: prFiles() });
  let api: string;
  beforeAll(async () => {
    api = await github.start();
    cpSync(example, join(workspace, OTHER), { recursive: true });
  });
  afterAll(() => github.stop());

  it("keeps one comment per working directory or name, each updated in place by its own step", async () => {
    await runAction({ "fail-on": "never" }, { api });
    await runAction({ "fail-on": "never", "working-directory": OTHER }, { api });
    await runAction({ "fail-on": "never", name: "billing" }, { api });
    expect(github.comments.map((c) => c.body.split("\n")[0])).toEqual([
      "<!-- pg-index-lint key=services%2Ffactory -->",
      "<!-- pg-index-lint key=services%2Fother -->",
      "<!-- pg-index-lint key=billing -->",
    ]);
    expect(github.comments[1]?.body).toContain("### pg-index-lint: services/other\n");
    expect(github.comments[2]?.body).toContain("### pg-index-lint: billing\n");
    // A second run of the second step updates its own comment, not the first step's.
    const before = github.requests.length;
    await runAction({ "fail-on": "never", "working-directory": OTHER }, { api, headSha: "head9" });
    const calls = github.calls().slice(before);
    expect(calls).toContain(`PATCH /repos/acme/factory/issues/comments/${github.comments[1]?.id}`);
    expect(github.comments).toHaveLength(3);
    expect(github.comments[1]?.body).toContain("/blob/head9/");
    expect(github.comments[0]?.body).not.toContain("/blob/head9/");
  });
});

describe("the Action's inputs for verify's limits and extra arguments", () => {
  it("passes args to verify, and refuses an unknown argument by name", async () => {
    const viaArgs = await runAction(
      { verify: "true", args: "--keep-going --statement-timeout 30", "fail-on": "never" },
      { event: "push" },
    );
    const report = JSON.parse(readFileSync(viaArgs.outputs["report-json"] as string, "utf8"));
    expect(report.findings.find((f: { rule: string }) => f.rule === "migration-failed").message).toContain(
      "--keep-going applied the later migrations anyway",
    );
    const bad = await runAction({ args: "--keep-going --rm -rf /" }, { event: "push" });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(
      '::error::pg-index-lint: input args: "--rm" is not one of --timeout, --statement-timeout',
    );
  });
});

describe("the Action on a repository whose names and SQL are hostile", () => {
  const EVIL = "services/evil";
  const ESC = "\u001b";
  // File names: Markdown, HTML, a mention, a workflow command and a control byte.
  const files: Record<string, string> = {
    "migrations/001_<img src=x onerror=alert(1)>@octocat.sql": [
      'CREATE TABLE "users<b>@octocat</b>|`x`" (id bigint PRIMARY KEY);',
      'CREATE TABLE "orders::error::pwned" (id bigint PRIMARY KEY, user_id bigint REFERENCES "users<b>@octocat</b>|`x`" (id));',
      'CREATE TABLE "items<i>x" (id bigint PRIMARY KEY, owner bigint REFERENCES "users<b>@octocat</b>|`x`" (id));',
      "",
    ].join("\n"),
    [`migrations/002_[click](https:%2F%2Fevil.example)::warning::x${ESC}[31m.sql`]: [
      'CREATE INDEX "idx_`tick`_<script>alert(1)</script>_@admins" ON "orders::error::pwned" (user_id);',
      "",
    ].join("\n"),
    "migrations/003_unterminated.sql": [
      'CREATE INDEX i2 ON "orders::error::pwned" (user_id) WHERE note = \'abc ``` **bold** @octocat [x](https://evil.example)',
      "",
    ].join("\n"),
    // PostgreSQL's own message carries the payload: RAISE puts it there word for word.
    "migrations/004_raise.sql": [
      "DO $$ BEGIN RAISE EXCEPTION 'pwned ``` **bold** @octocat <img src=x> [x](https://evil.example)'; END $$;",
      "",
    ].join("\n"),
  };
  const github = new FakeGitHub({
    owner: "acme",
    repo: "factory",
    number: 7,
    files: Object.entries(files).map(([name, text]) => ({
      filename: `${EVIL}/${name}`,
      status: "added",
      patch: addedFilePatch(text),
    })),
  });
  let api: string;
  let result: Run;
  beforeAll(async () => {
    api = await github.start();
    mkdirSync(join(workspace, EVIL, "migrations"), { recursive: true });
    writeFileSync(join(workspace, EVIL, ".pg-index-lint.yml"), "migrations:\n  - path: migrations\n");
    for (const [name, text] of Object.entries(files)) writeFileSync(join(workspace, EVIL, name), text);
    result = await runAction({ "working-directory": EVIL, verify: "true", "fail-on": "never" }, { api });
  });
  afterAll(() => github.stop());

  /**
   * Raw Markdown or HTML that would do something (tags, mentions, links, control bytes), outside
   * fenced blocks and code spans, where GitHub shows text as it is.
   */
  const live = (markdown: string) => {
    const text = markdown
      .replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, "")
      .replace(/(?<![\\`])(`+)(?!`)[^\n]*?(?<!`)\1(?!`)/g, "");
    return [
      /<img|<script|<b>/i.test(text) && "raw HTML",
      /(^|[^\u200D])@(octocat|admins)/.test(text.replaceAll("@\u200D", "")) && "a mention",
      /\]\(https:\/\/evil/.test(text) && "a link",
      text.includes(ESC) && "ESC",
      text.includes("\u0000") && "NUL",
    ].filter(Boolean);
  };

  it("the PR comment carries the names only as inert text", () => {
    expect(github.comments).toHaveLength(1);
    const body = (github.comments[0]?.body ?? "").replaceAll("<wbr>", "");
    expect(body).toContain("&lt;img src=x onerror=alert(1)&gt;@\u200Doctocat.sql");
    expect(body).toContain("users&lt;b&gt;@\u200Doctocat&lt;/b&gt;\\|\\`x\\`");
    // The masked database URL has no place in it, and neither has the lock table.
    expect(body).not.toContain("Locks taken");
    expect(live(body)).toEqual([]);
    // Every row of the findings table still has its four cells: no pipe from a name split it.
    const rows = body.split("\n").filter((l) => /^\| (❌|⚠️) \|/.test(l));
    expect(rows.length).toBeGreaterThan(2);
    for (const row of rows) expect(row.split(/(?<!\\)\|/)).toHaveLength(6);
  });

  it("the review comments carry them only as inert text, PostgreSQL's message in a fence", () => {
    const bodies = github.reviewComments.map((c) => c.body);
    expect(bodies.length).toBeGreaterThan(1);
    for (const body of bodies) expect(live(body)).toEqual([]);
    const failed = bodies.find((b) => b.includes("`migration-failed`"));
    expect(failed).toBeDefined();
    // The unterminated string's backticks cannot close the fence it is quoted in.
    expect(failed).toMatch(/\n(`{4,})text\n[^\n]*pwned ``` \*\*bold\*\* @octocat <img src=x>[^\n]*\n\1\n/);
  });

  it("the log carries them only as inert text: workflow command syntax is encoded", () => {
    const lines = result.stdout.split("\n");
    // Every line the runner would read as a command is one of ours.
    const commands = lines.filter((l) => l.trimStart().startsWith("::"));
    for (const line of commands) expect(line).toMatch(/^::(error|warning|notice|debug|add-mask)[ :]/);
    expect(lines.some((l) => /^\s*::(warning::x|error::pwned)/.test(l))).toBe(false);
    expect(result.stdout).not.toContain("##[");
    expect(result.stdout).not.toContain(ESC);
    expect(result.stdout).toContain("%3A%3Awarning%3A%3Ax\\x1b[31m.sql");
  });

  it("the summary and the comment do not name the database", () => {
    expect(result.summary).toContain("#### Verify: `migrations` on embedded PGlite");
    expect(result.summary).toContain("Locks taken");
    expect(live(result.summary)).toEqual([]);
  });
});
