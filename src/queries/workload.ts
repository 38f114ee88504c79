/**
 * The workload a config points at (`queries:`, `table-stats:`, `query-analysis:`), read once per
 * run: the rule `query-needs-index` analyses it against each final catalog, and the policy step
 * weighs lock findings by the table sizes. A missing path is a config error at its line; a bad
 * row or file inside a source is a located input error of the source.
 */
import { existsSync, readFileSync } from "node:fs";
import { extname, isAbsolute, resolve } from "node:path";
import type { LoadedConfig } from "../config/load.js";
import { UserError } from "../errors.js";
import type { InputError } from "../model.js";
import { displayPath } from "../paths.js";
import type { Thresholds } from "./analyze.js";
import type { QuerySource } from "./model.js";
import { loadQueryFiles } from "./query-files.js";
import { readStatStatements } from "./stat-statements.js";
import { readStatsExport, type StatsExport, TableStats } from "./table-stats.js";

export interface Workload {
  sources: QuerySource[];
  /** Table sizes and column statistics, when `table-stats:` names exports. */
  stats?: TableStats;
  /** Errors in the statistics exports (the query sources carry their own). */
  statsErrors: InputError[];
  thresholds: Partial<Thresholds>;
  /** Tables that get no suggested index, as written in the config. */
  exclude: string[];
  /** Rows from which a lock finding is an error (`query-analysis.lock-rows`). */
  lockRows: number;
}

/** Tables from this size up take long enough to index that a blocking build is an outage. */
export const DEFAULT_LOCK_ROWS = 100_000;

/** The config's workload, or undefined when it names no queries and no table statistics. */
export function loadWorkload(config: LoadedConfig): Workload | undefined {
  const data = config.data;
  const statsPaths = data["table-stats"] === undefined ? [] : [data["table-stats"]].flat();
  if (!data.queries?.length && statsPaths.length === 0) return undefined;
  const at = (path: (string | number)[]) => config.where?.(path) ?? config.file ?? undefined;

  const sources = (data.queries ?? []).map((entry, i) => {
    const path = isAbsolute(entry.path) ? entry.path : resolve(config.dir, entry.path);
    const format = entry.format ?? inferFormat(entry.path);
    if (format === "sql") {
      // A glob matches nothing rather than failing here; the source says so, located.
      if (!/[*?[{]/.test(entry.path) && !existsSync(path))
        throw new UserError(`queries path "${entry.path}" does not exist`, at(["queries", i, "path"]));
      return loadQueryFiles(entry.path, config.dir);
    }
    return readStatStatements(
      readConfigured(path, entry.path, at(["queries", i, "path"])),
      displayPath(path),
    );
  });

  const exports: StatsExport[] = statsPaths.map((p, i) => {
    const path = isAbsolute(p) ? p : resolve(config.dir, p);
    const where = at(Array.isArray(data["table-stats"]) ? ["table-stats", i] : ["table-stats"]);
    return readStatsExport(readConfigured(path, p, where), displayPath(path));
  });

  const analysis = data["query-analysis"] ?? {};
  const thresholds: Partial<Thresholds> = {};
  if (analysis["min-calls"] !== undefined) thresholds.minCalls = analysis["min-calls"];
  if (analysis["min-mean-ms"] !== undefined) thresholds.minMeanMs = analysis["min-mean-ms"];
  if (analysis["min-share"] !== undefined) thresholds.minShare = analysis["min-share"];
  if (analysis["min-rows"] !== undefined) thresholds.minRows = analysis["min-rows"];
  const workload: Workload = {
    sources,
    statsErrors: exports.flatMap((e) => e.errors),
    thresholds,
    exclude: analysis.exclude ?? [],
    lockRows: analysis["lock-rows"] ?? DEFAULT_LOCK_ROWS,
  };
  if (exports.length > 0) workload.stats = new TableStats(exports);
  return workload;
}

function inferFormat(path: string): "pg_stat_statements" | "sql" {
  const ext = extname(path).toLowerCase();
  return ext === ".csv" || ext === ".json" ? "pg_stat_statements" : "sql";
}

function readConfigured(path: string, written: string, where: string | undefined): string {
  if (!existsSync(path)) throw new UserError(`"${written}" does not exist`, where);
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new UserError(`cannot read "${written}"`, where);
  }
}
