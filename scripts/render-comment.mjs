#!/usr/bin/env node
/**
 * Renders the PR comment the Action would post for a repository, as GitHub shows it, so that a
 * long report can be looked at before it reaches a pull request: the Markdown is made by the same
 * formatter with the Action's options (marker, GitHub's size limit, no lock table), turned into
 * HTML by a GFM renderer and wrapped in GitHub-like CSS; headless Chromium can screenshot it.
 *
 *   npm install --prefix /tmp/gfm marked          # the renderer stays out of package.json
 *   npm run build
 *   node scripts/render-comment.mjs [PATH] [--config F] [--verify] [--database-url URL]
 *        [--changed-since REF] [--markdown out.md] [--html out.html] [--screenshot out.png]
 *        [--marked /tmp/gfm/node_modules/marked] [--width 1000] [--height 2000]
 *
 * Run it in the repository under check (paths in the comment are relative to the working
 * directory, as in the Action). Links point at a made-up github.com repository.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const build = new URL("../build/", import.meta.url);
const { run } = await import(new URL("run.js", build).href);
const { COMMENT_LIMIT, formatMarkdown } = await import(new URL("report/markdown.js", build).href);
const { changedSince } = await import(new URL("policy/scope.js", build).href);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    config: { type: "string" },
    verify: { type: "boolean", default: false },
    "database-url": { type: "string" },
    "changed-since": { type: "string" },
    markdown: { type: "string" },
    html: { type: "string", default: "comment.html" },
    screenshot: { type: "string" },
    marked: { type: "string", default: "/tmp/gfm/node_modules/marked" },
    width: { type: "string", default: "1000" },
    height: { type: "string", default: "2000" },
  },
});

const changed = values["changed-since"] ? changedSince(values["changed-since"]) : undefined;
const report = await run({
  command: values.verify || values["database-url"] ? "verify" : "check",
  paths: positionals.length ? positionals : ["."],
  ...(values.config ? { config: values.config } : {}),
  ...(values["database-url"] ? { databaseUrl: values["database-url"] } : {}),
  ...(changed ? { changed } : {}),
  env: {},
});

// The Action's comment options (src/action.ts reportOnPullRequest), with made-up link targets.
const base = "https://github.com/example/repository";
const markdown = formatMarkdown(report, {
  failOn: report.verdict.failOn,
  outOfScope: report.outOfScope,
  omitted: report.omitted,
  fileUrl: (file, line, endLine) =>
    `${base}/blob/0000000/${file}#L${line}${endLine > line ? `-L${endLine}` : ""}`,
  ruleUrl: (rule) => `${base}/blob/v1/rules/${rule}.md`,
  marker: true,
  maxLength: COMMENT_LIMIT,
  locks: false,
  moreAt: `the [job summary](${base}/actions/runs/1) and the step log list every finding`,
});
if (values.markdown) writeFileSync(values.markdown, markdown);

const { marked } = await import(pathToFileURL(resolve(values.marked, "lib/marked.esm.js")).href);
// GitHub drops raw HTML comments from the rendered body; marked keeps them, which shows nothing.
const body = marked.parse(markdown, { gfm: true });

// The comment box of a pull request's conversation tab, on a window `width` wide.
const css = `
body { margin: 0; background: #fff; font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI",
  "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; }
.timeline { margin: 24px 0 24px 60px; max-width: 760px; border: 1px solid #d0d7de; border-radius: 6px; }
.timeline header { background: #f6f8fa; border-bottom: 1px solid #d0d7de; padding: 8px 16px;
  color: #59636e; border-radius: 6px 6px 0 0; }
.markdown-body { padding: 16px; overflow-wrap: break-word; }
.markdown-body h3 { font-size: 1.25em; margin: 0 0 16px; }
.markdown-body h4 { font-size: 1em; margin: 24px 0 16px; }
.markdown-body table { display: block; width: max-content; max-width: 100%; overflow: auto;
  border-spacing: 0; border-collapse: collapse; margin: 0 0 16px; }
.markdown-body th, .markdown-body td { padding: 6px 13px; border: 1px solid #d0d7de; vertical-align: top; }
.markdown-body th { font-weight: 600; }
.markdown-body tr:nth-child(2n) { background: #f6f8fa; }
.markdown-body code { padding: .2em .4em; font-size: 85%; white-space: break-spaces;
  background: rgba(129,139,152,.12); border-radius: 6px;
  font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, monospace; }
.markdown-body a { color: #0969da; text-decoration: none; }
.markdown-body sub { color: #59636e; }
.markdown-body details summary { cursor: pointer; }
`;
const html = `<!doctype html><html><head><meta charset="utf-8"><style>${css}</style></head>
<body><div class="timeline"><header><b>github-actions</b> bot commented</header>
<div class="markdown-body">${body}</div></div></body></html>`;
writeFileSync(values.html, html);
process.stderr.write(
  `${values.html}: ${markdown.length} characters of Markdown, ${report.findings.length} findings\n`,
);

if (values.screenshot) {
  execFileSync(
    "chromium",
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--hide-scrollbars",
      `--screenshot=${resolve(values.screenshot)}`,
      `--window-size=${values.width},${values.height}`,
      pathToFileURL(resolve(values.html)).href,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  process.stderr.write(`${values.screenshot}\n`);
}
