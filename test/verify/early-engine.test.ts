/**
 * verify opens its database while check runs; on a long history check can hold the event loop
 * past the connect timeout. A failed early attempt is made again once check is done.
 */
import { expect, it } from "vitest";
import { check } from "../../src/check.js";
import { UserError } from "../../src/errors.js";
import { openEngineEarly, verify } from "../../src/verify/verify.js";
import { writeRepo } from "../harness.js";

it("opens the database again when the early attempt failed while check ran", { timeout: 0 }, async () => {
  const root = writeRepo({
    files: { "001.sql": "CREATE TABLE t (id int PRIMARY KEY, a int);\nCREATE INDEX t_a ON t (a);" },
  });
  const analysis = await check({ paths: [root], keepSyntaxTrees: true });
  const early = Promise.reject(new UserError("cannot connect to the server: no answer within 10 s"));
  const { report } = await verify(analysis, { env: {} }, early);
  expect(report.engine.kind).toBe("pglite");
  expect(report.sets[0]?.apply.failures).toEqual([]);
  expect(report.sets[0]?.differences).toBe(0);
});

it("replaces an early PGlite, started without extensions, when the first set creates one", {
  timeout: 0,
}, async () => {
  const root = writeRepo({
    files: {
      "001.sql":
        "CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE TABLE t (id int PRIMARY KEY, name text);\nCREATE INDEX t_name ON t USING gin (name gin_trgm_ops);",
    },
  });
  const analysis = await check({ paths: [root], keepSyntaxTrees: true });
  const early = openEngineEarly({ env: {} });
  const { report } = await verify(analysis, { env: {} }, early);
  expect(report.engine.kind).toBe("pglite");
  expect(report.sets[0]?.apply.failures).toEqual([]);
  expect(report.sets[0]?.differences).toBe(0);
  // The early engine was closed: a query on it fails.
  await expect((await early).main.query("SELECT 1")).rejects.toThrow();
});
