/**
 * Finds and loads `.pg-index-lint.yml`. Every mistake in it is a `UserError` that names the file
 * and line, because a config typo must never silently turn a rule off. Reading the YAML and
 * validating it is ./parse.ts's, which the CLI's bundle loads on first use: a run without a config
 * file loads neither yaml nor zod.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { displayPath } from "../paths.js";
import { parseConfig } from "./parse.js";
import type { ConfigData, RequiredIndexData } from "./schema.js";

export { parseConfig };

export const CONFIG_NAMES = [".pg-index-lint.yml", ".pg-index-lint.yaml"];

export interface RequiredIndexEntry extends RequiredIndexData {
  /** 1-based line of the entry in the config file. */
  line: number;
}

export interface LoadedConfig {
  /** Display path of the config file, or null when none was found. */
  file: string | null;
  /** "file:line" of a key in the config (e.g. ["rules", "foo"]), for errors found after loading. */
  where?: (path: (string | number)[]) => string;
  /** Directory that relative paths in the config are resolved against. */
  dir: string;
  data: ConfigData;
  requiredIndexes: RequiredIndexEntry[];
}

/** Walks up from `start` (a file or directory) to the first config file. */
export function findConfig(start: string): string | null {
  let dir = resolve(start);
  if (existsSync(dir) && !statSync(dir).isDirectory()) dir = dirname(dir);
  for (;;) {
    for (const name of CONFIG_NAMES) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function loadConfig(path: string): LoadedConfig {
  const shown = displayPath(path);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new UserError("cannot read the config file", shown);
  }
  return parseConfig(text, path);
}
