/**
 * The factory service's five suggested indexes, proven on real engines (PGlite always, the server
 * in PG_INDEX_LINT_TEST_DATABASE_URL too): after the migrations, with synthetic rows sized from the
 * table statistics, each query's plan scans its table before the index exists, and uses the
 * suggested index once it is built.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckResult, check } from "../../src/check.js";
import { analyzeWorkload } from "../../src/queries/analyze.js";
import { type IndexProof, proofRows, proveCandidates } from "../../src/queries/prove.js";
import { applySet } from "../../src/verify/apply.js";
import { openEngine } from "../../src/verify/connect.js";
import type { Engine } from "../../src/verify/engine.js";
import type { FillResult } from "../../src/verify/synthetic.js";
import { engineCases, SERVER_SKIPPED, serverUrl } from "../server.js";

const EXAMPLE = "examples/factory-service";
const engines = engineCases({ url: undefined as string | undefined }, (url) => ({ url }));
it.skipIf(serverUrl)(`proves the suggestions on a server too (${SERVER_SKIPPED})`, () => {});

describe.each(engines)("the suggested indexes on $name", ({ url }) => {
  let engine: Engine;
  let checked: CheckResult;
  let proofs: IndexProof[];
  let fills: FillResult[];

  beforeAll(async () => {
    checked = await check({
      paths: [EXAMPLE],
      config: `${EXAMPLE}/queries.pg-index-lint.yml`,
      keepSyntaxTrees: true,
    });
    const set = checked.sets[0];
    const workload = checked.workload;
    if (!set || !workload) throw new Error("the example has no migrations or no queries");
    engine = await openEngine({ ...(url ? { databaseUrl: url } : {}), env: {} });
    const applied = await applySet(engine, set);
    expect(applied.failure ?? null).toBeNull();
    const { candidates } = analyzeWorkload(workload.sources, {
      catalog: set.catalog,
      ...(workload.stats ? { stats: workload.stats } : {}),
    });
    ({ proofs, fills } = await proveCandidates(
      engine.main,
      candidates,
      workload.stats ? { stats: workload.stats } : {},
    ));
  }, 240_000);
  afterAll(async () => {
    await engine?.close();
  });

  it("fills the tables with the exported sizes, capped", () => {
    expect(fills.map((f) => [f.table, f.rows, f.requested ?? null])).toEqual(
      expect.arrayContaining([
        ["api_keys", 12_400, null],
        ["batches", 20_000, 104_000],
        ["products", 20_000, 25_000],
      ]),
    );
  });

  it("proves each of the five: the plan scans without the index and uses it once built", () => {
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
    }
  });

  it("sizes a table the statistics do not name with the default", () => {
    const [first] = proofs;
    if (!first) throw new Error("no proof");
    expect(proofRows([{ ...first.candidate, table: "audit_log" }], { defaultRows: 500 })).toEqual({
      audit_log: 500,
    });
  });
});
