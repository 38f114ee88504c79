/** The reporter registry: `--format` values and the Action's outputs come from here. */
import { githubReporter } from "./annotations.js";
import { gitlabReporter } from "./gitlab.js";
import { jsonReporter } from "./json.js";
import { markdownReporter } from "./markdown.js";
import type { Reporter } from "./reporter.js";
import { sarifReporter } from "./sarif.js";
import { textReporter } from "./text.js";

export const REPORTERS: readonly Reporter[] = [
  textReporter,
  jsonReporter,
  sarifReporter,
  gitlabReporter,
  githubReporter,
  markdownReporter,
];

export const FORMATS: readonly string[] = REPORTERS.map((r) => r.format);

export function reporterFor(format: string): Reporter | undefined {
  return REPORTERS.find((r) => r.format === format);
}
