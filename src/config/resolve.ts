/** Which config a run uses, and which migrations folders it names. */
import { existsSync, realpathSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../errors.js";
import { displayPath } from "../paths.js";
import { isInside, repositoryRoot } from "../sources/read.js";
import { findConfig, type LoadedConfig, loadConfig } from "./load.js";

/** The explicit config, else the first found walking up from the target, else none. */
export function resolveConfig(explicit: string | undefined, target: string): LoadedConfig {
  if (explicit) {
    if (!existsSync(explicit)) throw new UserError("config file not found", displayPath(resolve(explicit)));
    return loadConfig(resolve(explicit));
  }
  const found = findConfig(target);
  if (found) return loadConfig(found);
  const dir = statSync(target).isDirectory() ? target : resolve(target, "..");
  return { file: null, dir, data: {}, requiredIndexes: [] };
}

export interface MigrationsEntryResolved {
  dir: string;
  runner?: string;
  version?: string;
  /** The schema the migrations start from: an absolute SQL file path, or the models'. */
  base?: { file: string } | { models: true };
  /** Where the entry's `base` is in the config, for errors. */
  baseAt?: string;
}

/** The config's migrations entries; with none, the target itself is the migrations folder. */
export function migrationEntries(config: LoadedConfig, targets: string[]): MigrationsEntryResolved[] {
  const configured = config.data.migrations ?? [];
  // A config with models and no migrations checks the models alone.
  if (configured.length === 0 && (config.data.models ?? []).length > 0) return [];
  if (configured.length === 0) {
    return targets.map((t) => ({ dir: statSync(t).isDirectory() ? t : resolve(t, "..") }));
  }
  return configured.map((m, index) => {
    const dir = resolve(config.dir, m.path);
    if (!existsSync(dir)) {
      const at = config.where?.(["migrations", index, "path"]) ?? config.file ?? undefined;
      throw new UserError(`migrations path "${m.path}" does not exist`, at);
    }
    insideRepository(
      config,
      dir,
      `migrations path ${JSON.stringify(m.path)}`,
      config.where?.(["migrations", index, "path"]),
    );
    const resolved: MigrationsEntryResolved = { dir };
    if (m.runner) resolved.runner = m.runner;
    if (m.version) resolved.version = m.version;
    if (m.base !== undefined) {
      const at = config.where?.(["migrations", index, "base"]) ?? config.file ?? undefined;
      if (typeof m.base === "string") {
        const file = resolve(config.dir, m.base);
        if (!existsSync(file)) throw new UserError(`base "${m.base}" does not exist`, at);
        insideRepository(config, file, `base ${JSON.stringify(m.base)}`, at);
        resolved.base = { file };
      } else resolved.base = { models: true };
      if (at) resolved.baseAt = at;
    }
    return resolved;
  });
}

/**
 * A path the config names must stay inside the repository that holds the config, once its links
 * are resolved: the config comes with the repository, and is as untrusted as its migrations.
 * `what` names the setting and its value, quoted as JSON; `at` is its place in the config.
 */
export function insideRepository(config: LoadedConfig, path: string, what: string, at?: string): void {
  if (isInside(realpathSync(path), repositoryRoot(config.dir))) return;
  throw new UserError(
    `${what} leads outside the repository (through "..", an absolute path or a link), so it was not read`,
    at ?? config.file ?? undefined,
  );
}
