/**
 * Reading a source file as text: the one place that decides what counts as readable. Everything
 * a repository holds is untrusted, so a file is read only when it is a regular file inside the
 * repository once its symbolic links are resolved: a migration that is a link to /etc/passwd, a
 * FIFO (opening one blocks) or /dev/zero (it never ends) is refused without being opened.
 */
import { existsSync, lstatSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { onceWhileReading } from "../runners/files.js";

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * git's top level for `start`: the first folder from it upwards that holds `.git` (a folder in a
 * clone, a file in a worktree or submodule), with its links resolved; undefined outside git.
 */
export function gitTopLevel(start: string): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) return realOrSelf(dir);
    if (dirname(dir) === dir) return undefined;
  }
}

/** The repository `start` belongs to: its git top level, else `start` itself, links resolved. */
export function repositoryRoot(start: string): string {
  return gitTopLevel(start) ?? realOrSelf(resolve(start));
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Is `path` (links resolved) `root` or inside it? `root` must already be resolved. */
export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!isAbsolute(rel) && rel !== ".." && !rel.startsWith(`..${sep}`));
}

/** Does `path`, its links resolved, lie inside `root` (already resolved)? False when it cannot be resolved. */
export function resolvesInside(path: string, root: string): boolean {
  try {
    return isInside(realpathSync(path), root);
  } catch {
    return false;
  }
}

/**
 * Why `absPath` may not be read as a source file of the repository at `root`, or null when it may:
 * it must resolve to a regular file inside `root`. Nothing is opened to find out.
 */
export function refusal(absPath: string, root: string): string | null {
  const checked = readable(absPath, root);
  return "problem" in checked ? checked.problem : null;
}

/** The resolved path of `absPath` when it may be read (see `refusal`), or why not. */
function readable(absPath: string, root: string): { real: string } | { problem: string } {
  // A regular file (not a link) is where its folder resolves to: inside a pass that reads a
  // folder's files, the folder is resolved once and each file needs one lstat, not a realpath(3)
  // that looks at every component of its path (18,000 readlink calls at 3,000 files).
  const dir = dirname(absPath);
  const realDir = onceWhileReading(`realpath\0${dir}`, () => {
    try {
      return realpathSync.native(dir);
    } catch {
      return null;
    }
  });
  if (realDir !== null) {
    const stat = lstatSync(absPath, { throwIfNoEntry: false });
    if (stat?.isFile()) {
      const real = join(realDir, basename(absPath));
      if (!isInside(real, root))
        return { problem: "This file is a link to a place outside the repository, so it was not read." };
      return { real };
    }
  }
  let real: string;
  try {
    // One realpath(3) call; the JS realpathSync lstat()s every component of the path.
    real = realpathSync.native(absPath);
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { problem: `This file cannot be read${code ? ` (${code})` : ""}.` };
  }
  if (!isInside(real, root))
    return { problem: "This file is a link to a place outside the repository, so it was not read." };
  const stat = statSync(real);
  if (stat.isDirectory()) return { problem: "This is a directory, not a file." };
  if (!stat.isFile())
    return {
      problem: `This is ${stat.isFIFO() ? "a FIFO" : stat.isSocket() ? "a socket" : "a device"}, not a regular file, so it was not read.`,
    };
  return { real };
}

/**
 * The text of a file of the repository at `root`, without a byte order mark, or why it cannot be
 * read as text (see `refusal`).
 */
export function readText(absPath: string, root: string): { text: string } | { problem: string } {
  const checked = readable(absPath, root);
  if ("problem" in checked) return checked;
  let bytes: Buffer;
  try {
    bytes = readFileSync(checked.real);
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { problem: `This file cannot be read${code ? ` (${code})` : ""}.` };
  }
  if (bytes.includes(0)) return { problem: "This is a binary file, not text." };
  try {
    return { text: decoder.decode(bytes).replace(/^\uFEFF/, "") };
  } catch {
    return { problem: "This file is not valid UTF-8; save it as UTF-8." };
  }
}

/** `readText` for a file a runner reads about its own folder (a journal, an env.py): the text or null. */
export function readTextNear(absPath: string, dir: string): string | null {
  const read = readText(absPath, repositoryRoot(dir));
  return "text" in read ? read.text : null;
}
