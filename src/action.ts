/**
 * The GitHub Action (action.yml): a thin entry point over the same `check()` and `verify()` the
 * CLI runs. It reads the inputs, scopes the findings to the pull request, and reports them as
 * annotations, one living PR comment, one review with suggestion fixes, the job summary, a JSON
 * report and optionally SARIF; the step fails when findings reach `fail-on`.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import * as core from "@actions/core";
import * as github from "@actions/github";
import { UserError } from "./errors.js";
import type { Finding } from "./finding.js";
import { annotate } from "./github/annotations.js";
import { type GitHubApi, octokitApi, type PrFile, type PullRequestRef, statusOf } from "./github/api.js";
import { type ExtraOptions, parseExtraArgs, seconds, splitArgs } from "./github/args.js";
import { ACTIONS_BOT, findOurComment, reportedFindings, writeComment } from "./github/comment.js";
import { planReview, postedKeys } from "./github/review.js";
import { FAIL_ON, type FailOn } from "./policy/verdict.js";
import { codeSpan, inertLogLine, visibleControls } from "./report/escape.js";
import { formatJson } from "./report/json.js";
import { COMMENT_LIMIT, formatMarkdown, type MarkdownOptions } from "./report/markdown.js";
import { sarifReporter } from "./report/sarif.js";
import { type Report, run as runPasses } from "./run.js";
import { readTextNear } from "./sources/read.js";

/** GitHub caps a step's summary at 1 MiB; leave room for what other steps add. */
const SUMMARY_LIMIT = 900_000;

export interface ActionInputs {
  config: string;
  paths: string[];
  workingDirectory: string;
  failOn: FailOn;
  verify: boolean;
  databaseUrl: string;
  token: string;
  comment: boolean;
  review: boolean;
  annotations: boolean;
  sarifFile: string;
  baseline: string;
  /** Undefined: on for pull requests. */
  changedOnly: boolean | undefined;
  /** `cache`: the result cache's folder (check only; actions/cache keeps it between runs), or "". */
  cache: string;
  /** Tells this step's PR comment from another step's; default: working directory and config. */
  name: string;
  /** verify's limits, and the other CLI flags, from `timeout`, `statement-timeout`, … and `args`. */
  extra: ExtraOptions;
}

export function readInputs(): ActionInputs {
  const failOn = core.getInput("fail-on") || "error";
  if (!(FAIL_ON as readonly string[]).includes(failOn))
    throw new UserError(`input fail-on must be one of ${FAIL_ON.join(", ")} (got "${failOn}")`);
  const changedOnly = core.getInput("changed-only");
  return {
    config: core.getInput("config"),
    paths: core.getMultilineInput("paths").flatMap((line) => line.split(/\s+/).filter(Boolean)),
    workingDirectory: core.getInput("working-directory") || ".",
    failOn: failOn as FailOn,
    verify: bool("verify", true),
    databaseUrl: core.getInput("database-url"),
    token: core.getInput("github-token"),
    comment: bool("comment", true),
    review: bool("review", true),
    annotations: bool("annotations", true),
    sarifFile: core.getInput("sarif-file"),
    baseline: core.getInput("baseline"),
    changedOnly: changedOnly === "" ? undefined : bool("changed-only", true),
    name: core.getInput("name").trim(),
    cache: core.getInput("cache").trim(),
    extra: extraOptions(),
  };
}

/** The inputs for verify's limits, then `args` (split without a shell), which may add to them. */
function extraOptions(): ExtraOptions {
  const extra: ExtraOptions = {};
  const timeout = core.getInput("timeout");
  if (timeout) extra.timeoutMs = seconds("input timeout", timeout);
  const statementTimeout = core.getInput("statement-timeout");
  if (statementTimeout) extra.statementTimeoutMs = seconds("input statement-timeout", statementTimeout);
  if (bool("keep-going", false)) extra.keepGoing = true;
  if (bool("downgrade", false)) extra.downgrade = true;
  if (bool("trust-migrations", false)) extra.trustMigrations = true;
  return { ...extra, ...parseExtraArgs(splitArgs(core.getInput("args"))) };
}

/**
 * The key of a step's PR comment: its `name` input, else its working directory and config, so
 * that two steps in a monorepo keep two comments. The default step has none (the plain marker).
 */
export function commentKey(inputs: Pick<ActionInputs, "name" | "workingDirectory" | "config">): string {
  if (inputs.name) return inputs.name;
  const dir = posix(inputs.workingDirectory)
    .replace(/^(\.\/)+/, "")
    .replace(/\/+$/, "");
  const parts = [dir === "." ? "" : dir, inputs.config ? `config ${posix(inputs.config)}` : ""];
  return parts.filter(Boolean).join(", ");
}

function bool(name: string, fallback: boolean): boolean {
  const value = core.getInput(name).toLowerCase();
  if (value === "") return fallback;
  if (["true", "yes", "on", "1"].includes(value)) return true;
  if (["false", "no", "off", "0"].includes(value)) return false;
  throw new UserError(`input ${name} must be true or false (got "${value}")`);
}

/** Masks the token, the database URL and its password (as written and decoded) in every log line. */
export function maskSecrets(inputs: Pick<ActionInputs, "token" | "databaseUrl">): void {
  if (inputs.token) core.setSecret(inputs.token);
  if (!inputs.databaseUrl) return;
  core.setSecret(inputs.databaseUrl);
  try {
    const password = new URL(inputs.databaseUrl).password;
    if (password) {
      core.setSecret(password);
      core.setSecret(decodeURIComponent(password));
    }
  } catch {
    // Not a URL (a key=value connection string): the whole value is masked above.
  }
}

/** The entry point: never throws; a failure becomes `core.setFailed`. */
export async function run(): Promise<void> {
  try {
    await runAction(readInputs());
  } catch (error) {
    if (error instanceof UserError) core.setFailed(`pg-index-lint: ${visibleControls(error.format())}`);
    else core.setFailed(error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
}

export async function runAction(inputs: ActionInputs): Promise<void> {
  maskSecrets(inputs);
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  const workdir = resolve(workspace, inputs.workingDirectory);
  process.chdir(workdir);
  const prefix = posix(relative(workspace, workdir));
  const repoPath = (file: string) => (prefix ? `${prefix}/${file}` : file);

  // 1. The pull request, when there is one: what it changes decides what it answers for.
  const context = github.context;
  const pull = context.payload.pull_request as
    | { number: number; head?: { sha?: string }; base?: { sha?: string } }
    | undefined;
  const pr: PullRequestRef | undefined = pull
    ? { ...context.repo, number: pull.number, headSha: pull.head?.sha ?? context.sha }
    : undefined;
  const client = inputs.token ? octokitApi(inputs.token) : undefined;
  let files: PrFile[] | undefined;
  if (pr && client) {
    try {
      files = await client.listFiles(pr);
    } catch (error) {
      core.warning(
        `pg-index-lint: could not list the pull request's files (${apiMessage(error)}); using git diff`,
      );
    }
  }
  let changed: Set<string> | undefined;
  if (inputs.changedOnly ?? Boolean(pull)) {
    changed = changedFiles(files, pull?.base?.sha, prefix);
    if (!changed && inputs.changedOnly)
      core.warning(
        "pg-index-lint: changed-only needs a pull request or git history; reporting every finding",
      );
  }

  // 2. The same run as the CLI.
  const report = await runPasses({
    command: inputs.verify ? "verify" : "check",
    paths: inputs.paths,
    failOn: inputs.failOn,
    env: process.env,
    onMigration: (line) => core.debug(visibleControls(line)),
    onNote: (line) => core.info(`pg-index-lint note: ${inertLogLine(line)}`),
    ...(inputs.config ? { config: inputs.config } : {}),
    ...(inputs.baseline ? { baseline: inputs.baseline } : {}),
    // verify needs every statement's syntax tree, which the cache does not keep: check only.
    ...(inputs.cache && !inputs.verify ? { cache: inputs.cache } : {}),
    ...inputs.extra,
    ...(inputs.databaseUrl ? { databaseUrl: inputs.databaseUrl } : {}),
    ...(changed ? { changed } : {}),
  });

  // 3. Links, for the comment and the summary.
  const server = context.serverUrl;
  const sha = pr?.headSha ?? context.sha;
  const { owner, repo } = safeRepo();
  const key = commentKey(inputs);
  const markdown: MarkdownOptions = {
    failOn: inputs.failOn,
    ...(key ? { key } : {}),
    outOfScope: report.outOfScope,
    omitted: report.omitted,
    ...(owner && sha
      ? {
          fileUrl: (file: string, line: number, endLine: number) =>
            `${server}/${owner}/${repo}/blob/${sha}/${repoPath(file)}#L${line}${endLine > line ? `-L${endLine}` : ""}`,
        }
      : {}),
  };
  const docsBase = ruleDocsBase(server);
  if (docsBase) markdown.ruleUrl = (rule) => `${docsBase}rules/${rule}.md`;

  // 4. Annotations, most severe first within GitHub's caps.
  if (inputs.annotations) annotate(report.findings, workspace, workdir);

  // 5. The PR comment and review.
  let outsideDiff: Finding[] = [];
  if (pr && client && (inputs.comment || inputs.review)) {
    outsideDiff = await reportOnPullRequest(client, pr, inputs, { report, files, repoPath, markdown });
  }

  // 6. Job summary, JSON report, SARIF.
  const jsonPath = join(
    process.env.RUNNER_TEMP || tmpdir(),
    `pg-index-lint-report${key ? `-${fileSafe(key)}` : ""}.json`,
  );
  const summaryText = formatMarkdown(report, {
    ...markdown,
    maxLength: SUMMARY_LIMIT,
    moreAt: `the step log lists every finding, and the JSON report (the \`report-json\` output, ${codeSpan(jsonPath)}) has them all: upload it with actions/upload-artifact to keep it`,
  });
  const notInline = outsideDiff.length
    ? `\n${outsideDiff.length} finding(s) are not on lines of this pull request's diff, so they have no inline review comment.\n`
    : "";
  await core.summary.addRaw(summaryText + notInline).write();

  writeFileSync(jsonPath, formatJson(report));
  core.setOutput("report-json", jsonPath);
  if (inputs.sarifFile) {
    const sarifPath = resolve(workdir, inputs.sarifFile);
    writeFileSync(
      sarifPath,
      sarifReporter.render(report, {
        color: false,
        repoRoot: workspace,
        cwd: workdir,
        ...(docsBase ? { ruleDocsBaseUri: docsBase } : {}),
      }),
    );
    core.setOutput("sarif-file", sarifPath);
  }
  core.setOutput("findings", report.findings.length);
  core.setOutput("errors", report.summary.errors);
  core.setOutput("warnings", report.summary.warnings);

  // 7. Merge blocking: the verdict run() decided.
  if (report.verdict.exitCode !== 0)
    core.setFailed(`pg-index-lint: ${visibleControls(report.verdict.reason ?? "")}`);
}

interface PrReport {
  report: Report;
  files: PrFile[] | undefined;
  repoPath: (file: string) => string;
  markdown: MarkdownOptions;
}

/**
 * Writes the comment, then the review. A 403 means a read-only token (a pull request from a
 * fork): both are skipped with a notice. Any other API error becomes a warning.
 */
async function reportOnPullRequest(
  api: GitHubApi,
  pr: PullRequestRef,
  inputs: ActionInputs,
  data: PrReport,
): Promise<Finding[]> {
  const viewer = (await api.viewer()) ?? ACTIONS_BOT;
  let outsideDiff: Finding[] = [];
  try {
    if (inputs.comment) {
      const existing = findOurComment(await api.listComments(pr), viewer, data.markdown.key);
      const runUrl = workflowRunUrl();
      const body = formatMarkdown(data.report, {
        ...data.markdown,
        marker: true,
        maxLength: COMMENT_LIMIT,
        // The lock table of a long history goes to the job summary only.
        locks: false,
        moreAt: `${runUrl ? `the [job summary](${runUrl})` : "the job summary"} and the step log list every finding`,
        previouslyFailing: (existing ? (reportedFindings(existing.body) ?? 0) : 0) > 0,
      });
      const outcome = await writeComment(api, pr, existing, body);
      core.info(`pg-index-lint: PR comment ${outcome}`);
    }
    if (inputs.review && data.files) {
      const posted = postedKeys(await api.listReviewComments(pr), viewer);
      const plan = planReview({
        findings: data.report.findings,
        files: data.files,
        repoPath: data.repoPath,
        readLines,
        posted,
        ...(data.markdown.ruleUrl ? { ruleUrl: data.markdown.ruleUrl } : {}),
      });
      outsideDiff = plan.outsideDiff;
      if (plan.comments.length) {
        const n = plan.comments.length;
        await api.createReview(
          pr,
          `pg-index-lint: ${n} finding${n === 1 ? "" : "s"} on lines of this diff. The summary comment has the full report.`,
          plan.comments,
        );
      }
      core.info(
        `pg-index-lint: review with ${plan.comments.length} new comment(s); ${plan.alreadyPosted.length} already posted`,
      );
    }
  } catch (error) {
    if (statusOf(error) === 403)
      core.notice(
        "pg-index-lint: the token cannot write to this pull request (a pull request from a fork has a read-only token), so the comment and review were skipped; the annotations and the job summary have the report",
      );
    else
      core.warning(
        `pg-index-lint: GitHub API call failed (${apiMessage(error)}); the job summary has the report`,
      );
  }
  return outsideDiff;
}

/**
 * The files the pull request changes, relative to the working directory: from the API, else from
 * `git diff` against the base commit. Undefined when neither can tell.
 */
function changedFiles(files: PrFile[] | undefined, baseSha: string | undefined, prefix: string) {
  let names = files?.flatMap((f) => (f.status === "removed" ? [] : [f.filename]));
  if (!names && baseSha) {
    try {
      names = execFileSync("git", ["diff", "--name-only", baseSha, "HEAD"], {
        cwd: process.env.GITHUB_WORKSPACE || process.cwd(),
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      })
        .split("\n")
        .filter(Boolean);
    } catch {
      return undefined;
    }
  }
  if (!names) return undefined;
  const changed = new Set<string>();
  for (const name of names) {
    if (!prefix) changed.add(name);
    else if (name.startsWith(`${prefix}/`)) changed.add(name.slice(prefix.length + 1));
  }
  return changed;
}

function readLines(file: string): string[] | undefined {
  // As the run read it: no link out of the repository, FIFO or device is opened for a snippet.
  const path = resolve(file);
  return readTextNear(path, dirname(path))?.split(/\r?\n/);
}

/** Where the rule pages of the running Action are published, when the runner says which Action runs. */
function ruleDocsBase(server: string): string | undefined {
  const repository = process.env.GITHUB_ACTION_REPOSITORY;
  const ref = process.env.GITHUB_ACTION_REF;
  return repository && ref ? `${server}/${repository}/blob/${ref}/` : undefined;
}

function safeRepo(): { owner: string; repo: string } {
  return process.env.GITHUB_REPOSITORY ? github.context.repo : { owner: "", repo: "" };
}

function apiMessage(error: unknown): string {
  const status = statusOf(error);
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return status ? `HTTP ${status}: ${message}` : (message ?? "unknown error");
}

/** This workflow run's page, where the job summary is. */
function workflowRunUrl(): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: id } = process.env;
  return server && repository && id && /^\d+$/.test(id)
    ? `${server}/${repository}/actions/runs/${id}`
    : undefined;
}

/** A key as part of a file name. */
function fileSafe(key: string): string {
  return key.replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 80);
}

function posix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}
