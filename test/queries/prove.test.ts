/**
 * The factory service's five suggested indexes, proven on real engines (PGlite always, the server
 * in PG_INDEX_LINT_TEST_DATABASE_URL too): after the migrations, with synthetic rows sized from the
 * table statistics, each query's plan scans its table before the index exists, and uses the
 * suggested index once it is built.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { Finding } from "../../src/finding.js";
import { halves, proofRows } from "../../src/queries/prove.js";
import { readStatsExport, TableStats } from "../../src/queries/table-stats.js";
import type { ProbeResult } from "../../src/verify/probes.js";
import type { VerifyReport } from "../../src/verify/verify.js";
import { engineCases, SERVER_SKIPPED, serverUrl } from "../server.js";
import { runVerify } from "../verify-run.js";

const EXAMPLE = "examples/factory-service";
const engines = engineCases({ url: undefined as string | undefined }, (url) => ({ url }));
it.skipIf(serverUrl)(`proves the suggestions on a server too (${SERVER_SKIPPED})`, () => {});

describe.each(engines)("verify proves the suggested indexes on $name", ({ url }) => {
  let report: VerifyReport;
  let findings: Finding[];

  beforeAll(async () => {
    ({ report, findings } = await runVerify({
      paths: [EXAMPLE],
      config: `${EXAMPLE}/queries.pg-index-lint.yml`,
      env: {},
      ...(url ? { databaseUrl: url } : {}),
    }));
  });

  it("applies the migrations without failure", () => {
    expect(report.sets.map((s) => s.apply.failure ?? null)).toEqual([null]);
  });

  it("proves each of the five: the plan scans without the index and uses it once built", () => {
    const proofs = report.queryProofs ?? [];
    expect(proofs.map((p) => [p.candidate.name, p.proven])).toEqual([
      ["idx_api_keys_key_hash", true],
      ["idx_api_keys_factory_id", true],
      ["idx_api_keys_factory_id_created_at", true],
      ["idx_batches_product_id", true],
      ["idx_products_sku", true],
    ]);
    for (const p of proofs) {
      expect(p.error).toBeUndefined();
      expect(p.before.error).toBeUndefined();
      expect(p.before.served).toBe(false);
      expect(p.before.indexesUsed).not.toContain(p.candidate.name);
      expect(p.after.indexesUsed).toContain(p.candidate.name);
      expect(p.after.topNode).not.toBe("Seq Scan");
      // The planner's estimate at least halves: the condition for keeping the suggestion.
      expect(p.after.totalCost).toBeLessThanOrEqual((p.before.totalCost ?? 0) / 2);
    }
    // Shown with the probe queries, as served.
    expect(report.probes.filter((p) => p.served).map((p) => p.indexesUsed[0])).toEqual(
      proofs.map((p) => p.candidate.name),
    );
    // Nothing reported as unproven; the check findings stay.
    expect(findings.filter((f) => f.rule === "query-needs-index" && f.source === "verify")).toEqual([]);
    expect(findings.filter((f) => f.rule === "query-needs-index")).toHaveLength(5);
  });

  it("sizes the proof's tables from the exported statistics, else with the default", () => {
    const file = `${EXAMPLE}/stats/tables.csv`;
    const stats = new TableStats([readStatsExport(readFileSync(file, "utf8"), file)]);
    const candidates = (report.queryProofs ?? []).map((p) => p.candidate);
    const [first] = candidates;
    if (!first) throw new Error("no candidate");
    expect(proofRows([...candidates, { ...first, table: "audit_log" }], { stats, defaultRows: 500 })).toEqual(
      {
        api_keys: 12_400,
        batches: 104_000,
        products: 25_000,
        audit_log: 500,
      },
    );
  });
});

describe("a suggestion is kept only when the index at least halves the plan's estimated cost", () => {
  const probe = (totalCost?: number) => ({ totalCost }) as unknown as ProbeResult;
  it.each([
    [1000, 400, true],
    [1000, 500, true],
    [1000, 501, false],
    [undefined, 900, true],
  ])("before %s, after %s: %s", (before, after, kept) => {
    expect(halves(probe(before), probe(after))).toBe(kept);
  });
});
