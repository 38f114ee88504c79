/**
 * Proof of the suggested indexes on a real PostgreSQL, with verify's own machinery: the
 * migrations are applied (by the caller), the candidates' tables get synthetic rows sized from the
 * table statistics (capped), each candidate's most expensive query is EXPLAINed as a generic plan
 * (as the application's prepared statement runs) before and after its index is built, and the
 * suggestion holds when the plan then uses an index that covers it.
 */
import type { Analysis } from "../check.js";
import { parseRequirement, type Requirement } from "../rules/coverage.js";
import type { Connection } from "../verify/engine.js";
import { readLiveCatalog } from "../verify/live-catalog.js";
import { type ProbeResult, runProbe, timeProbe } from "../verify/probes.js";
import { type FillResult, fillTables, type RowLimits } from "../verify/synthetic.js";
import { analyzeWorkload, type CandidateIndex } from "./analyze.js";
import type { TableStats } from "./table-stats.js";

export interface IndexProof {
  candidate: CandidateIndex;
  /** The query EXPLAINed: the candidate's most expensive one, `$n` parameters kept. */
  query: string;
  before: ProbeResult;
  after: ProbeResult;
  /**
   * The plan after the build uses the candidate's index and its estimated cost is at most half the
   * cost before (when the planner gave both costs).
   */
  proven: boolean;
  /** The build failed: PostgreSQL's message. */
  error?: string;
}

export interface ProveOptions {
  stats?: TableStats;
  /** Rows per table when the statistics do not say (default 10,000). */
  defaultRows?: number;
  /** At most this many rows per table: the proof needs a table big enough to choose an index, no more. */
  limits?: RowLimits;
  /** Tables that already hold synthetic rows (verify.rows): not filled again. */
  filled?: ReadonlySet<string>;
}

/** Enough rows for the planner to prefer an index to a sequential scan by far, and quick to load. */
export const PROOF_ROWS: RowLimits = { perTable: 20_000, total: 100_000 };

/** The rows each candidate table gets: the exported size, capped; else `defaultRows`. */
export function proofRows(candidates: CandidateIndex[], options: ProveOptions = {}): Record<string, number> {
  const rows: Record<string, number> = {};
  for (const c of candidates) {
    const key = c.schema ? `${c.schema}.${c.table}` : c.table;
    const size = options.stats?.size(c.schema ?? "public", c.table)?.rows;
    rows[key] = Math.max(
      1,
      Math.round(size !== undefined && size >= 0 ? size : (options.defaultRows ?? 10_000)),
    );
  }
  return rows;
}

/**
 * Fills the candidates' tables, then proves each candidate in rank order. Each index stays built
 * after its proof, as the migrations the user adds would leave it.
 */
export async function proveCandidates(
  db: Connection,
  candidates: CandidateIndex[],
  options: ProveOptions = {},
): Promise<{ fills: FillResult[]; proofs: IndexProof[] }> {
  const fills = await fillTables(db, proofRows(candidates, options), {
    limits: options.limits ?? PROOF_ROWS,
  });
  const proofs: IndexProof[] = [];
  let n = 0;
  for (const candidate of candidates) {
    const top = candidate.queries[0];
    if (!top) continue;
    const requirement: Requirement = parseRequirement(
      { ...candidate.requiredIndex, query: top.sql, line: top.range.line },
      null,
    );
    const before = await runProbe(db, await readLiveCatalog(db), requirement, n++);
    const beforeMs = await timeProbe(db, requirement, n++);
    let error: string | undefined;
    try {
      await db.query(candidate.createIndex);
      await db.query(`ANALYZE ${candidate.requiredIndex.table}`);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const after = await runProbe(db, await readLiveCatalog(db), requirement, n++);
    const afterMs = await timeProbe(db, requirement, n++);
    after.timings = {
      ...(beforeMs !== undefined ? { beforeMs } : {}),
      ...(afterMs !== undefined ? { afterMs } : {}),
    };
    const proof: IndexProof = {
      candidate,
      query: top.sql,
      before,
      after,
      proven: !error && after.served && after.indexesUsed.includes(candidate.name) && halves(before, after),
    };
    if (error) proof.error = error;
    proofs.push(proof);
  }
  return { fills, proofs };
}

/**
 * verify's step: the candidates check reported for the first migrations entry, proven on the
 * migrated database. Undefined when the config names no queries. A fill PostgreSQL refuses (rows
 * the migrations inserted collide with the synthetic ones) fails every proof with its message
 * rather than the run.
 */
export async function proveSuggestions(
  db: Connection,
  analysis: Pick<Analysis, "workload" | "sets">,
  filled: FillResult[] = [],
): Promise<IndexProof[] | undefined> {
  const workload = analysis.workload;
  const set = analysis.sets[0];
  if (!workload?.sources.length || !set) return undefined;
  const stats = workload.stats;
  const excluded = new Set(workload.exclude);
  const candidates = analyzeWorkload(workload.sources, {
    catalog: set.catalog,
    ...(stats ? { stats } : {}),
    thresholds: workload.thresholds,
  }).candidates.filter((c) => !excluded.has(c.table) && !excluded.has(`${c.schema ?? "public"}.${c.table}`));
  if (candidates.length === 0) return [];
  try {
    const options: ProveOptions = { filled: new Set(filled.map((f) => f.table)) };
    if (stats) options.stats = stats;
    return (await proveCandidates(db, candidates, options)).proofs;
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    return candidates.map((candidate) => {
      const query = candidate.queries[0]?.sql ?? "";
      const probe = (): ProbeResult => ({
        requirement: parseRequirement({ ...candidate.requiredIndex, line: 1 }, null),
        query,
        indexesUsed: [],
        served: false,
        topNode: "",
        seqscanDisabled: false,
        error,
      });
      return { candidate, query, before: probe(), after: probe(), proven: false, error };
    });
  }
}

/** The index must at least halve the plan's estimated cost, or it is not worth its writes. */
export function halves(before: ProbeResult, after: ProbeResult): boolean {
  if (before.totalCost === undefined || after.totalCost === undefined) return true;
  return after.totalCost <= before.totalCost / 2;
}
