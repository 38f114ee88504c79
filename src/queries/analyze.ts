/**
 * The workload analysis: query sources → parsed statements → per-table scans → candidate indexes
 * → dropped when the schema already serves them → merged → ranked by the share of the export's
 * execution time that their queries take. Every query that yields no candidate says why.
 *
 * Call `initSqlParser()` first.
 */
import type { Node } from "@pgsql/types";
import { parseSync } from "libpg-query";
import type { InputError, SourceRange } from "../model.js";
import type { Catalog } from "../schema/catalog.js";
import {
  type Candidate,
  type CoverVerdict,
  candidateFor,
  candidateId,
  coveredBy,
  keyText,
  mergeable,
} from "./candidates.js";
import type { QuerySource, SkippedQuery, SourceQuery } from "./model.js";
import { extractScans } from "./scans.js";
import {
  count,
  createIndexStatement,
  duration,
  indexName,
  nameTaken,
  percent,
  tableText,
} from "./suggestion.js";
import type { TableStats } from "./table-stats.js";

export interface Thresholds {
  /** A statement called fewer times is skipped (one-off and ad-hoc statements). */
  minCalls: number;
  /** A statement whose mean time is lower is skipped: it is already served from memory. */
  minMeanMs: number;
  /** A candidate whose queries take a smaller share of the export's time is listed apart. */
  minShare: number;
  /** A table the stats export says has fewer rows gets no candidate. */
  minRows: number;
}

/**
 * Dexter (ankane/dexter, lib/dexter/client.rb) defaults `--min-calls` and `--min-time` to 0 and
 * leans on the planner instead (`--min-cost` 100, `--min-cost-savings-pct` 50). With no planner
 * here, the thresholds stand in for that cost bar:
 * - 10 calls drops one-off statements (migrations, psql sessions) that pg_stat_statements keeps;
 * - 0.1 ms mean drops statements that already run from memory through an index or a tiny table;
 * - 0.1% of the export's time drops candidates whose queries cost next to nothing;
 * - 1,000 rows: below about ten 8 kB pages PostgreSQL's cost model prefers a sequential scan to
 *   an index scan anyway (seq_page_cost 1 per page vs random_page_cost 4 per index and heap page).
 */
export const DEFAULT_THRESHOLDS: Thresholds = {
  minCalls: 10,
  minMeanMs: 0.1,
  minShare: 0.001,
  minRows: 1000,
};

/** track_activity_query_size's default: texts captured through it are cut at 1024 bytes. */
export const DEFAULT_QUERY_TEXT_LIMIT = 1024;

export interface AnalyzeOptions {
  /** The schema after the migrations: its indexes drop candidates they already serve. */
  catalog?: Catalog;
  stats?: TableStats;
  thresholds?: Partial<Thresholds>;
  /** Bytes at which the exported texts may have been cut (track_activity_query_size). */
  queryTextLimit?: number;
}

export interface CandidateQuery {
  text: string;
  /** Parseable SQL (`$n` parameters): a probe query for `verify`. */
  sql: string;
  range: SourceRange;
  name?: string;
  queryid?: string;
  calls?: number;
  totalMs?: number;
  meanMs?: number;
}

export interface RequiredIndexSuggestion {
  table: string;
  columns: string[];
  where?: string;
  query: string;
  why: string;
}

export interface CandidateIndex {
  table: string;
  schema?: string;
  /** Index elements as written in CREATE INDEX and `required-indexes` (`created_at DESC`). */
  columns: string[];
  where?: string;
  unique: false;
  /** The queries behind it, most expensive first. */
  queries: CandidateQuery[];
  /** Share of the exports' total execution time (0–1); null when no query has figures. */
  share: number | null;
  totalMs: number | null;
  calls: number | null;
  reason: string;
  name: string;
  createIndex: string;
  requiredIndex: RequiredIndexSuggestion;
}

export interface CoveredCandidate {
  table: string;
  schema?: string;
  columns: string[];
  where?: string;
  /** The index that serves it. */
  index: string;
  reason: string;
  queries: CandidateQuery[];
}

export type ScanOutcome =
  | "candidate"
  | "covered"
  | "no-candidate"
  | "small-table"
  | "not-in-schema"
  | "system";

/** What became of one table scan of one query. */
export interface ScanVerdict {
  query: SourceQuery;
  table: string;
  schema?: string;
  outcome: ScanOutcome;
  reason: string;
  /** For `candidate`: the name of the candidate that serves it (after merging). */
  candidate?: string;
}

export interface WorkloadAnalysis {
  /** Ranked: by share of the exports' time, then query-file candidates in file order. */
  candidates: CandidateIndex[];
  /** Candidates under `minShare`: listed apart, not dropped in silence. */
  belowShare: CandidateIndex[];
  covered: CoveredCandidate[];
  scans: ScanVerdict[];
  skipped: SkippedQuery[];
  errors: InputError[];
  /** Notes on queries that did not resolve fully (ambiguous columns…), by query. */
  notes: { query: SourceQuery; message: string }[];
  summary: {
    queries: number;
    analyzed: number;
    skipped: Partial<Record<SkippedQuery["kind"], number>>;
    totalMs: number;
  };
  thresholds: Thresholds;
}

interface Work {
  candidate: Candidate;
  queries: Set<SourceQuery>;
  /** Candidates merged into this one, by their key text. */
  merged: string[];
  verdicts: ScanVerdict[];
  nearMisses: string[];
  /** Creation order: scans of one query rank in the order they appear. */
  seq: number;
}

export function analyzeWorkload(sources: QuerySource[], options: AnalyzeOptions = {}): WorkloadAnalysis {
  const thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
  const limit = options.queryTextLimit ?? DEFAULT_QUERY_TEXT_LIMIT;
  const skipped: SkippedQuery[] = [];
  const errors: InputError[] = [];
  const notes: { query: SourceQuery; message: string }[] = [];
  const scans: ScanVerdict[] = [];
  const order = new Map<SourceQuery, number>();
  const work = new Map<string, Work>();
  let queries = 0;
  let analyzed = 0;
  let totalMs = 0;

  for (const source of sources) {
    errors.push(...source.errors);
    skipped.push(...source.skipped);
    queries += source.queries.length + source.skipped.length;
    totalMs += source.totalMs ?? 0;
    for (const query of source.queries) {
      order.set(query, order.size);
      const f = query.figures;
      if (f && (f.calls < thresholds.minCalls || f.meanMs < thresholds.minMeanMs)) {
        skipped.push({
          kind: "below-threshold",
          reason: `${count(f.calls)} calls, ${duration(f.meanMs)} mean: under the thresholds (${thresholds.minCalls} calls, ${thresholds.minMeanMs} ms mean)`,
          range: query.range,
          query,
        });
        continue;
      }
      const parsed = parse(query, limit);
      if ("skip" in parsed) {
        skipped.push(parsed.skip);
        continue;
      }
      let reads = false;
      let sawQuery = false;
      let other: { kind: "not-a-query" | "unsupported"; reason: string } | undefined;
      for (const node of parsed.nodes) {
        const result = extractScans(node, options.catalog);
        if (result.kind !== "query") {
          other ??= result;
          continue;
        }
        sawQuery = true;
        for (const message of result.notes) notes.push({ query, message });
        for (const scan of result.scans) {
          reads = true;
          const verdict: ScanVerdict = { query, table: scan.table, outcome: "no-candidate", reason: "" };
          if (scan.schema) verdict.schema = scan.schema;
          scans.push(verdict);
          if (scan.system) {
            verdict.outcome = "system";
            verdict.reason = `${scan.table} is a system catalog`;
            continue;
          }
          if (options.catalog && !scan.def) {
            verdict.outcome = "not-in-schema";
            verdict.reason = `table ${scan.table} is not in the schema the migrations build`;
            continue;
          }
          const size = options.stats?.size(scan.schema ?? "public", scan.table);
          if (size && size.rows >= 0 && size.rows < thresholds.minRows) {
            verdict.outcome = "small-table";
            verdict.reason = `${scan.table} has about ${count(size.rows)} rows (${size.range.file}:${size.range.line}), under ${count(thresholds.minRows)}: a sequential scan reads it as fast as an index would`;
            continue;
          }
          const outcome = candidateFor(scan, options.stats);
          if ("none" in outcome) {
            verdict.reason = outcome.none;
            continue;
          }
          const id = candidateId(outcome.candidate);
          let entry = work.get(id);
          if (!entry) {
            entry = {
              candidate: outcome.candidate,
              queries: new Set(),
              merged: [],
              verdicts: [],
              nearMisses: [],
              seq: work.size,
            };
            work.set(id, entry);
          }
          entry.queries.add(query);
          entry.verdicts.push(verdict);
          verdict.outcome = "candidate";
          verdict.reason = outcome.candidate.explanation.join("; ");
        }
      }
      if (reads) analyzed++;
      else if (other && !sawQuery)
        skipped.push({ kind: other.kind, reason: other.reason, range: query.range, query });
      else {
        const reason = sawQuery
          ? "it reads no table (INSERT … VALUES, SELECT without FROM…)"
          : "it holds no statement";
        skipped.push({ kind: "not-a-query", reason, range: query.range, query });
      }
    }
  }

  // Drop what the schema already serves.
  const covered: CoveredCandidate[] = [];
  const open: Work[] = [];
  for (const entry of work.values()) {
    const c = entry.candidate;
    let hit: { name: string; verdict: CoverVerdict } | undefined;
    for (const index of c.def?.indexes.values() ?? []) {
      const verdict = coveredBy(index, c);
      if (verdict.covers) {
        hit = { name: index.name, verdict };
        break;
      }
      const first = index.keys[0];
      const mine = c.keys[0];
      if (first && mine && (first.column ?? first.expression) === (mine.column ?? mine.expression))
        entry.nearMisses.push(verdict.reason);
    }
    if (hit) {
      const item: CoveredCandidate = {
        table: c.table,
        columns: c.keys.map(keyText),
        index: hit.name,
        reason: hit.verdict.reason,
        queries: queryList(entry.queries, order),
      };
      if (c.schema && c.schema !== "public") item.schema = c.schema;
      if (c.where) item.where = c.where;
      covered.push(item);
      for (const v of entry.verdicts) {
        v.outcome = "covered";
        v.reason = hit.verdict.reason;
      }
    } else open.push(entry);
  }

  // Merge what one index can serve: longest keys first, so a shorter key joins a longer one.
  // Only candidates on the same table with the same predicate can merge, and only into one whose
  // key holds the other's first key: peers are bucketed by both.
  open.sort((a, b) => b.candidate.keys.length - a.candidate.keys.length);
  const kept: Work[] = [];
  const buckets = new Map<string, Work[]>();
  const target = (k: { column?: string; expression?: string }) => k.column ?? `(${k.expression})`;
  for (const entry of open) {
    const c = entry.candidate;
    const group = `${c.schema}.${c.table}|${c.where ?? ""}|`;
    const first = c.keys[0];
    const peers = first ? (buckets.get(group + target(first)) ?? []) : [];
    const into = peers.find((k) => mergeable(k.candidate, c));
    if (!into) {
      kept.push(entry);
      for (const key of new Set(c.keys.map(target))) {
        const bucket = buckets.get(group + key) ?? [];
        bucket.push(entry);
        buckets.set(group + key, bucket);
      }
      continue;
    }
    for (const q of entry.queries) into.queries.add(q);
    into.merged.push(`(${entry.candidate.keys.map(keyText).join(", ")})`);
    into.verdicts.push(...entry.verdicts);
  }

  const ranked = kept.map((entry) => {
    let first = Number.POSITIVE_INFINITY;
    for (const q of entry.queries) first = Math.min(first, order.get(q) ?? 0);
    return { entry, first, ...figures(entry.queries) };
  });
  ranked.sort((a, b) => {
    const am = a.totalMs ?? -1;
    const bm = b.totalMs ?? -1;
    if (am !== bm) return bm - am;
    return (b.calls ?? 0) - (a.calls ?? 0) || a.first - b.first || a.entry.seq - b.entry.seq;
  });

  const assigned = new Set<string>();
  const candidates: CandidateIndex[] = [];
  const belowShare: CandidateIndex[] = [];
  for (const { entry, totalMs: ms, calls } of ranked) {
    const c = entry.candidate;
    const schema = c.schema ?? "public";
    const name = indexName(c, (n) => assigned.has(`${schema}.${n}`) || nameTaken(options.catalog, schema, n));
    assigned.add(`${schema}.${name}`);
    const list = queryList(entry.queries, order);
    const share = ms === null ? null : totalMs > 0 ? ms / totalMs : 0;
    const columns = c.keys.map(keyText);
    const why = whyText(list, ms, calls, share);
    const top = list[0] as CandidateQuery;
    const requiredIndex: RequiredIndexSuggestion = {
      table: tableText(c.schema, c.table),
      columns,
      query: top.sql,
      why,
    };
    if (c.where) requiredIndex.where = c.where;
    const reason = [
      ...c.explanation,
      ...(entry.merged.length ? [`also serves the queries that need ${entry.merged.join(", ")}`] : []),
      ...entry.nearMisses,
    ].join("; ");
    const candidate: CandidateIndex = {
      table: c.table,
      columns,
      unique: false,
      queries: list,
      share,
      totalMs: ms,
      calls,
      reason,
      name,
      createIndex: createIndexStatement(c, name),
      requiredIndex,
    };
    if (c.schema && c.schema !== "public") candidate.schema = c.schema;
    if (c.where) candidate.where = c.where;
    for (const v of entry.verdicts) v.candidate = name;
    if (share !== null && share < thresholds.minShare) belowShare.push(candidate);
    else candidates.push(candidate);
  }

  const bySkip: Partial<Record<SkippedQuery["kind"], number>> = {};
  for (const s of skipped) bySkip[s.kind] = (bySkip[s.kind] ?? 0) + 1;
  return {
    candidates,
    belowShare,
    covered,
    scans,
    skipped,
    errors,
    notes,
    summary: { queries, analyzed, skipped: bySkip, totalMs },
    thresholds,
  };
}

type Parsed = { nodes: Node[] } | { skip: SkippedQuery };

/**
 * Parses a query; decides whether an exported text was cut short. pg_stat_statements itself
 * keeps whole texts since PostgreSQL 9.4 (they moved to an external file), but older servers, and
 * exports built from pg_stat_activity or by monitoring agents, cut them at
 * track_activity_query_size bytes (1024 by default, counted in bytes: PostgreSQL docs,
 * "Run-time Statistics"), mid-token. A cut text either fails to parse at its very end, or — when
 * the cut happens to leave valid SQL (`… AND fact` from `… AND factory_id = $2`) — has exactly
 * the limit's length.
 */
function parse(query: SourceQuery, limit: number): Parsed {
  const exported = query.origin === "pg-stat-statements";
  const bytes = exported ? Buffer.byteLength(query.text) : 0;
  const atLimit = exported && (bytes === limit || bytes === limit - 1);
  try {
    const nodes = (parseSync(query.sql).stmts ?? []).flatMap((s) => (s.stmt ? [s.stmt] : []));
    if (atLimit) {
      return {
        skip: {
          kind: "truncated",
          reason: `the text is ${bytes} bytes long, the length at which track_activity_query_size (${limit}) cuts texts: it is probably incomplete`,
          range: query.range,
          query,
        },
      };
    }
    return { nodes };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // The text's UTF-8 length can fall a few bytes short of the limit: the cut never splits a character.
    const endOfText = /at end of input|unterminated/.test(message);
    if (exported && (endOfText || (bytes <= limit && bytes >= limit - 4))) {
      return {
        skip: {
          kind: "truncated",
          reason: `the text ends mid-statement (${message}) after ${bytes} bytes: it was cut short, e.g. by track_activity_query_size (${limit} bytes)`,
          range: query.range,
          query,
        },
      };
    }
    return { skip: { kind: "syntax-error", reason: `not valid SQL: ${message}`, range: query.range, query } };
  }
}

function figures(queries: Set<SourceQuery>): { totalMs: number | null; calls: number | null } {
  let totalMs: number | null = null;
  let calls: number | null = null;
  for (const q of queries) {
    if (!q.figures) continue;
    totalMs = (totalMs ?? 0) + q.figures.totalMs;
    calls = (calls ?? 0) + q.figures.calls;
  }
  return { totalMs, calls };
}

function queryList(queries: Set<SourceQuery>, order: Map<SourceQuery, number>): CandidateQuery[] {
  return [...queries]
    .sort(
      (a, b) =>
        (b.figures?.totalMs ?? -1) - (a.figures?.totalMs ?? -1) || (order.get(a) ?? 0) - (order.get(b) ?? 0),
    )
    .map((q) => {
      const item: CandidateQuery = { text: q.text, sql: q.sql, range: q.range };
      if (q.name) item.name = q.name;
      if (q.queryid) item.queryid = q.queryid;
      if (q.figures) {
        item.calls = q.figures.calls;
        item.totalMs = q.figures.totalMs;
        item.meanMs = q.figures.meanMs;
      }
      return item;
    });
}

/** "52,000 calls, 46.8 s total (61% of the export)"; for query files, the queries by name or place. */
function whyText(
  list: CandidateQuery[],
  ms: number | null,
  calls: number | null,
  share: number | null,
): string {
  const files = list.filter((q) => q.calls === undefined);
  const where = files.map((q) => q.name ?? `${q.range.file}:${q.range.line}`);
  const used = where.length
    ? `used by ${where.slice(0, 3).join(", ")}${where.length > 3 ? ` and ${where.length - 3} more` : ""}`
    : "";
  if (ms === null || calls === null) return used;
  const measured = `${count(calls)} calls, ${duration(ms)} total (${percent(share ?? 0)} of the export)`;
  return used ? `${measured}; ${used}` : measured;
}
