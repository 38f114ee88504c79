/**
 * `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers. One run, every
 * rule described, one result per finding with its region, a stable fingerprint and the text fix.
 *
 * What GitHub code scanning reads from it (docs.github.com, "SARIF support for code scanning",
 * "Supported SARIF output file properties"):
 * - per rule `shortDescription.text`, `fullDescription.text` (each at most 1024 characters) and
 *   `help.text` are required; `help.markdown` is shown instead of `help.text` when present.
 *   `helpUri` is not among the properties it uses, and the schema wants an absolute URI there, so
 *   it is written only when the caller knows where the rule pages are published.
 * - `partialFingerprints`: code scanning itself matches alerts by `primaryLocationLineHash`, which
 *   `github/codeql-action/upload-sarif` computes from the file when it is absent (it keeps other
 *   keys; src/fingerprints.ts there). Our own key is for every other consumer, and for us.
 * - relative `artifactLocation.uri`s are taken relative to the repository root.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Log, ReportingDescriptor, Result } from "sarif";
import type { Finding } from "../finding.js";
import { RULES } from "../rules/index.js";
import type { RuleMeta } from "../rules/rule.js";
import { findingFingerprints } from "./fingerprints.js";
import { repoPath } from "./paths.js";
import type { Reporter, ReportInput } from "./reporter.js";

export interface SarifOptions {
  /** The pg-index-lint version, for `tool.driver.version`. */
  toolVersion: string;
  /**
   * The repository root, absolute. Finding paths (relative to `cwd`) are rewritten relative to it,
   * as code scanning expects, and it becomes `%SRCROOT%` in `originalUriBaseIds`. Without it the
   * working directory is taken to be the root and no base URI is written.
   */
  repoRoot?: string;
  /** The directory finding paths are relative to. Default `process.cwd()`. */
  cwd?: string;
  /**
   * Absolute URI under which `rules/<id>.md` is published, e.g.
   * `https://github.com/OWNER/pg-index-lint/blob/v1.0.0/`. Gives each rule a `helpUri`.
   */
  ruleDocsBaseUri?: string;
  /** The text of the rule pages by rule id (`rules/<id>.md`), for `help.markdown`. */
  rulePages?: ReadonlyMap<string, string>;
}

/** One rule as the reports describe it. */
export type RuleDescription = Pick<RuleMeta, "id" | "defaultSeverity" | "summary" | "docs" | "fixable">;

export const sarifReporter: Reporter = {
  format: "sarif",
  render: (report, context) =>
    formatSarif(report, {
      toolVersion: report.toolVersion,
      ...(context.repoRoot ? { repoRoot: context.repoRoot } : {}),
      ...(context.cwd ? { cwd: context.cwd } : {}),
      ...(context.ruleDocsBaseUri ? { ruleDocsBaseUri: context.ruleDocsBaseUri } : {}),
    }),
};

const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT = "%SRCROOT%";
/** GitHub's limit on `shortDescription.text` and `fullDescription.text`. */
const DESCRIPTION_LIMIT = 1024;

export function formatSarif(result: ReportInput, options: SarifOptions): string {
  const rules: RuleDescription[] = RULES.map((r) => r.meta);
  // A rule id we have no description for still gets a descriptor, so every result has a ruleIndex.
  for (const f of result.findings) {
    if (!rules.some((r) => r.id === f.rule)) {
      rules.push({ id: f.rule, defaultSeverity: f.severity, summary: f.message, fixable: false });
    }
  }
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const fingerprints = findingFingerprints(result.findings, options.repoRoot, options.cwd);
  const results = result.findings.map((f, i) =>
    toResult(f, index.get(f.rule) ?? 0, fingerprints[i] as string, options),
  );
  const semver = /^\d+\.\d+\.\d+(?:[-+].*)?$/.test(options.toolVersion);
  const log: Log = {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "pg-index-lint",
            version: options.toolVersion,
            ...(semver ? { semanticVersion: options.toolVersion } : {}),
            rules: rules.map((r) => toDescriptor(r, options)),
          },
        },
        ...(options.repoRoot !== undefined
          ? {
              originalUriBaseIds: {
                [SRCROOT]: {
                  uri: directoryUri(options.repoRoot),
                  description: { text: "The root of the repository." },
                },
              },
            }
          : {}),
        // Our columns count UTF-16 code units (JavaScript string offsets), plus one.
        columnKind: "utf16CodeUnits",
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function toDescriptor(rule: RuleDescription, options: SarifOptions): ReportingDescriptor {
  const page = options.rulePages?.get(rule.id);
  const where = rule.docs ? `See ${rule.docs} in the pg-index-lint package.` : "";
  const full = [
    rule.summary,
    rule.fixable ? "pg-index-lint suggests an automatic fix." : "",
    `Default severity: ${rule.defaultSeverity}.`,
  ]
    .filter(Boolean)
    .join(" ");
  const helpUri =
    options.ruleDocsBaseUri && rule.docs ? new URL(rule.docs, options.ruleDocsBaseUri).href : undefined;
  return {
    id: rule.id,
    name: rule.id,
    shortDescription: { text: clip(rule.summary) },
    fullDescription: { text: clip(full) },
    defaultConfiguration: { level: rule.defaultSeverity },
    ...(helpUri ? { helpUri } : {}),
    help: {
      text: [rule.summary, where].filter(Boolean).join("\n\n"),
      markdown:
        page ??
        [rule.summary, rule.docs ? `See \`${rule.docs}\` in the pg-index-lint package.` : ""]
          .filter(Boolean)
          .join("\n\n"),
    },
    properties: {
      tags: ["postgresql", "migrations", ...(rule.docs ? [] : ["input"])],
      "problem.severity": rule.defaultSeverity,
    },
  };
}

function toResult(f: Finding, ruleIndex: number, fingerprint: string, options: SarifOptions): Result {
  const artifactLocation = {
    uri: encodePath(repoPath(f.file, options.repoRoot, options.cwd)),
    uriBaseId: SRCROOT,
  };
  // Our ranges are 1-based with an exclusive end column, exactly SARIF's text region.
  const region = { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn };
  return {
    ruleId: f.rule,
    ruleIndex,
    level: f.severity,
    message: { text: `${f.message}\n${f.help}` },
    locations: [{ physicalLocation: { artifactLocation, region } }],
    partialFingerprints: { "pgIndexLint/v1": fingerprint },
    ...(f.fix ? { fixes: [sarifFix(f, region, options)] } : {}),
    properties: {
      source: f.source,
      ...(f.table !== undefined ? { table: f.table } : {}),
      ...(f.columns !== undefined ? { columns: f.columns } : {}),
    },
  };
}

/**
 * A fix as SARIF's artifact changes, one per file: the replacement, then the other edits. A file
 * the fix creates is an insertion at its start (SARIF 2.1.0 §3.57 has no "create").
 */
function sarifFix(f: Finding, region: Region, options: SarifOptions) {
  const fix = f.fix as NonNullable<Finding["fix"]>;
  const changes = new Map<string, { deletedRegion: Region; insertedContent: { text: string } }[]>();
  const add = (file: string, deletedRegion: Region, text: string) => {
    const list = changes.get(file) ?? [];
    list.push({ deletedRegion, insertedContent: { text } });
    changes.set(file, list);
  };
  add(
    fix.range?.file ?? f.file,
    fix.range
      ? {
          startLine: fix.range.line,
          startColumn: fix.range.column,
          endLine: fix.range.endLine,
          endColumn: fix.range.endColumn,
        }
      : region,
    fix.replacement,
  );
  for (const e of fix.edits ?? []) {
    add(
      e.file,
      { startLine: e.line, startColumn: e.column, endLine: e.endLine, endColumn: e.endColumn },
      e.text,
    );
  }
  return {
    description: { text: fix.description },
    artifactChanges: [...changes].map(([file, replacements]) => ({
      artifactLocation: {
        uri: encodePath(repoPath(file, options.repoRoot, options.cwd)),
        uriBaseId: SRCROOT,
      },
      replacements,
    })),
  };
}

interface Region {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

/** A relative path as a URI reference: each segment percent-encoded, the slashes kept. */
function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** SARIF wants base URIs to end with a slash (§3.14.14). */
function directoryUri(dir: string): string {
  const href = pathToFileURL(resolve(dir)).href;
  return href.endsWith("/") ? href : `${href}/`;
}

function clip(text: string): string {
  return text.length <= DESCRIPTION_LIMIT ? text : `${text.slice(0, DESCRIPTION_LIMIT - 1)}…`;
}
