/**
 * Probe queries: EXPLAIN each `required-indexes` entry's `query:` on the migrated database and
 * report which index serves it.
 */
import type { Requirement } from "../rules/coverage.js";
import { coversRequirement } from "../rules/coverage.js";
import type { Catalog } from "../schema/catalog.js";
import { toDatabaseError } from "./apply.js";
import type { Connection } from "./engine.js";

export interface ProbeResult {
  requirement: Requirement;
  query: string;
  /** Indexes that appear in the plan. */
  indexesUsed: string[];
  /** An index in the plan covers the requirement. */
  served: boolean;
  /** The plan's top node, e.g. "Index Scan" or "Seq Scan". */
  topNode: string;
  /** The planner's estimated total cost of the plan (its top node's "Total Cost"). */
  totalCost?: number;
  /** Sequential scans were disabled because the table was empty, so the plan shows what an index would do. */
  seqscanDisabled: boolean;
  /** When EXPLAIN failed, PostgreSQL's message. */
  error?: string;
  /** EXPLAIN ANALYZE timings when synthetic rows were loaded: before and after the migrations under review. */
  timings?: { beforeMs?: number; afterMs?: number };
}

interface PlanNode {
  "Node Type"?: string;
  "Total Cost"?: number;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

export async function runProbe(
  db: Connection,
  live: Catalog,
  requirement: Requirement,
  n: number,
): Promise<ProbeResult> {
  const query = requirement.entry.query ?? "";
  const result: ProbeResult = {
    requirement,
    query,
    indexesUsed: [],
    served: false,
    topNode: "",
    seqscanDisabled: false,
  };
  const table = live.resolveTable(requirement.schema, requirement.table);
  const params = parameterCount(query);
  try {
    if (table) {
      const qualified = `"${table.schema.replace(/"/g, '""')}"."${table.name.replace(/"/g, '""')}"`;
      const empty = await db.query<{ empty: boolean }>(
        `SELECT NOT EXISTS (SELECT 1 FROM ${qualified}) AS empty`,
      );
      result.seqscanDisabled = Boolean(empty.rows[0]?.empty);
    }
    // A generic plan keeps $1 as a parameter, as the application's prepared statement would.
    await db.query("SET plan_cache_mode = force_generic_plan");
    if (result.seqscanDisabled) await db.query("SET enable_seqscan = off");
    const nulls = Array.from({ length: params }, () => "NULL");
    const root = (await explainExecute(db, `pg_index_lint_probe_${n}`, query, nulls, "FORMAT JSON"))?.Plan;
    result.topNode = root?.["Node Type"] ?? "";
    if (typeof root?.["Total Cost"] === "number") result.totalCost = root["Total Cost"];
    const used: string[] = [];
    const walk = (node: PlanNode | undefined) => {
      if (!node) return;
      if (node["Index Name"]) used.push(node["Index Name"]);
      for (const child of node.Plans ?? []) walk(child);
    };
    walk(root);
    result.indexesUsed = [...new Set(used)];
    result.served = result.indexesUsed.some((indexName) => {
      const index = table?.indexes.get(indexName);
      return index !== undefined && coversRequirement(index, requirement).covers;
    });
  } catch (error) {
    result.error = `${toDatabaseError(error).message}`;
  } finally {
    await db.query("RESET plan_cache_mode").catch(() => undefined);
    await db.query("RESET enable_seqscan").catch(() => undefined);
  }
  return result;
}

/**
 * EXPLAIN ANALYZE of a probe with real values: $1, $2… take the required columns' values, in
 * order, from a row in the middle of the table. Returns the execution time in ms.
 */
export async function timeProbe(
  db: Connection,
  requirement: Requirement,
  n: number,
): Promise<number | undefined> {
  const query = requirement.entry.query ?? "";
  const params = parameterCount(query);
  const columns = requirement.keys.slice(0, params).map((k) => k.column ?? "");
  if (columns.length < params || columns.some((c) => c === "")) return undefined;
  const table = requirement.schema
    ? `"${requirement.schema}"."${requirement.table}"`
    : `"${requirement.table}"`;
  try {
    const sample = await db.query<Record<string, unknown>>(
      `SELECT ${columns.map((c) => `"${c}"::text AS "${c}"`).join(", ")} FROM ${table} OFFSET (SELECT count(*) / 2 FROM ${table}) LIMIT 1`,
    );
    const row = sample.rows[0];
    if (!row && params > 0) return undefined;
    const literal = (v: unknown) =>
      v === null || v === undefined ? "NULL" : `'${String(v).replace(/'/g, "''")}'`;
    const args = columns.map((c) => literal(row?.[c]));
    const explained = await explainExecute(
      db,
      `pg_index_lint_time_${n}`,
      query,
      args,
      "ANALYZE, FORMAT JSON",
    );
    return explained?.["Execution Time"];
  } catch {
    return undefined;
  }
}

/** The highest `$n` in a query: how many parameters EXECUTE must pass. */
function parameterCount(query: string): number {
  return Math.max(0, ...[...query.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
}

/** PREPAREs the query, EXPLAINs one execution with `args`, and deallocates it again. */
async function explainExecute(
  db: Connection,
  name: string,
  query: string,
  args: string[],
  options: string,
): Promise<{ Plan?: PlanNode; "Execution Time"?: number } | undefined> {
  try {
    await db.query(`PREPARE ${name} AS ${query}`);
    const list = args.length > 0 ? `(${args.join(", ")})` : "";
    const explained = await db.query<{ "QUERY PLAN": unknown }>(
      `EXPLAIN (${options}) EXECUTE ${name}${list}`,
    );
    const raw = explained.rows[0]?.["QUERY PLAN"];
    // pg returns the JSON plan parsed, PGlite as text.
    return ((typeof raw === "string" ? JSON.parse(raw) : raw) as { Plan?: PlanNode }[])[0];
  } finally {
    await db.query(`DEALLOCATE ${name}`).catch(() => undefined);
  }
}
