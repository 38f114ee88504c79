/**
 * ORM model folders: which files to read and which reader reads them. SQLAlchemy is the only ORM
 * so far; the config names others, and asking for one is a clear error.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.js";
import type { ModelFile } from "../model.js";
import { displayPath } from "../paths.js";
import { type PythonFile, parsePython } from "../python/syntax.js";
import { filesRecursive } from "../runners/files.js";
import { loadSqlAlchemyModels } from "./sqlalchemy.js";

export type { ModelFile } from "../model.js";

export interface LoadedModels {
  files: ModelFile[];
  /** Files that could not be read as UTF-8 text. */
  unreadable: string[];
  understood: number;
  skipped: number;
}

const SKIP_DIRS = /(^|\/)(__pycache__|\.venv|venv|site-packages|node_modules|versions)\//;

/** An Alembic revision in the models folder is not a model: `revision = "…"` plus `def upgrade`. */
function isRevision(text: string): boolean {
  return /^\s*revision\s*(?::[^=\n]*)?=\s*['"]/m.test(text) && /^def upgrade\s*\(/m.test(text);
}

export function loadModels(
  dir: string,
  orm: string,
  configFile: string | null,
  keep: (absPath: string) => boolean,
  read: (absPath: string) => string | null = readUtf8,
): LoadedModels {
  if (orm !== "sqlalchemy") {
    throw new UserError(
      `models: orm "${orm}" is not supported yet (only sqlalchemy)`,
      configFile ?? undefined,
    );
  }
  const parsed: PythonFile[] = [];
  const unreadable: string[] = [];
  for (const relative of filesRecursive(dir).sort()) {
    if (!relative.endsWith(".py") || SKIP_DIRS.test(`/${relative}`)) continue;
    const absPath = join(dir, relative);
    if (!keep(absPath)) continue;
    const text = read(absPath);
    if (text === null) {
      unreadable.push(displayPath(absPath));
      continue;
    }
    if (isRevision(text)) continue;
    parsed.push(parsePython(text, displayPath(absPath)));
  }
  const loaded = loadSqlAlchemyModels(parsed);
  return { files: loaded.files, unreadable, understood: loaded.understood, skipped: loaded.skipped };
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function readUtf8(absPath: string): string | null {
  try {
    const bytes = readFileSync(absPath);
    if (bytes.includes(0)) return null;
    return decoder.decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    return null;
  }
}
