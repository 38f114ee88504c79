/**
 * verify opens its database while check runs; on a long history check can hold the event loop
 * past the connect timeout. A failed early attempt is made again once check is done.
 */
import { expect, it } from "vitest";
import { check } from "../../src/check.js";
import { UserError } from "../../src/errors.js";
import { verify } from "../../src/verify/verify.js";
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
