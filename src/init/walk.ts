/**
 * The repository as `init` sees it: every folder below the root with the plain files directly in
 * it, named relative to the root (never by the absolute path, so that the same tree reads the same
 * under any parent folder). It honours each folder's `.gitignore`, skips what is never a project's
 * own source (node_modules, .git, vendor, virtualenvs, build output), and follows no symbolic link.
 */
import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import picomatch from "picomatch";

/** Folders that are dependencies, build output or tool state, never the project's migrations. */
const SKIP = new Set([
  "node_modules",
  ".git",
  "vendor",
  "dist",
  "build",
  "target",
  ".venv",
  "venv",
  "__pycache__",
  "site-packages",
  "bower_components",
]);

export interface Folder {
  /** Relative to the root, with forward slashes; "" for the root itself. */
  rel: string;
  abs: string;
  /** Names of the plain files directly in it (symbolic links left out). */
  files: string[];
  /** Names of its sub-folders that were walked. */
  dirs: string[];
}

interface IgnoreRule {
  /** The folder of the .gitignore, relative to the root ("" or "a/b/"). */
  base: string;
  negate: boolean;
  dirOnly: boolean;
  match: (path: string) => boolean;
}

/** The folders of the repository at `root`, parents before children. */
export function walkRepository(root: string): Map<string, Folder> {
  const folders = new Map<string, Folder>();
  const visit = (rel: string, rules: IgnoreRule[]) => {
    const abs = rel === "" ? root : join(root, rel);
    let list: Dirent[];
    try {
      list = readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
    const prefix = rel === "" ? "" : `${rel}/`;
    const own = list.some((e) => e.isFile() && e.name === ".gitignore")
      ? [...rules, ...gitignoreRules(join(abs, ".gitignore"), prefix)]
      : rules;
    const folder: Folder = { rel, abs, files: [], dirs: [] };
    folders.set(rel, folder);
    for (const entry of list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = `${prefix}${entry.name}`;
      if (entry.isDirectory()) {
        if (SKIP.has(entry.name) || entry.name.startsWith(".")) continue;
        if (ignored(own, path, true)) continue;
        folder.dirs.push(entry.name);
      } else if (entry.isFile() && !ignored(own, path, false)) {
        folder.files.push(entry.name);
      }
    }
    for (const name of folder.dirs) visit(`${prefix}${name}`, own);
  };
  visit("", []);
  return folders;
}

/** The last rule that matches decides, as in git. */
function ignored(rules: readonly IgnoreRule[], path: string, isDir: boolean): boolean {
  let out = false;
  for (const rule of rules) {
    if (rule.dirOnly && !isDir) continue;
    if (!path.startsWith(rule.base)) continue;
    if (rule.match(path.slice(rule.base.length))) out = !rule.negate;
  }
  return out;
}

/** The patterns of one .gitignore (gitignore(5)), as matchers of paths relative to its folder. */
export function gitignoreRules(file: string, base: string): IgnoreRule[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.replace(/(?<!\\)\s+$/, "");
    if (line === "" || line.startsWith("#")) continue;
    const negate = line.startsWith("!");
    if (negate) line = line.slice(1);
    line = line.replace(/^\\([#!])/, "$1");
    const dirOnly = line.endsWith("/");
    if (dirOnly) line = line.replace(/\/+$/, "");
    if (line === "") continue;
    // A slash at the start or in the middle anchors the pattern to the .gitignore's folder.
    const anchored = line.includes("/");
    const glob = anchored ? line.replace(/^\//, "") : `**/${line}`;
    const matcher = picomatch(glob, { dot: true });
    rules.push({ base, negate, dirOnly, match: (path) => matcher(path) });
  }
  return rules;
}

/** A file's text when it is at most `limit` bytes (init reads to decide, never whole dumps), else null. */
export function readSmall(path: string, limit = 2 * 1024 * 1024): string | null {
  try {
    if (statSync(path).size > limit) return null;
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}
