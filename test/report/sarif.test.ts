/**
 * SARIF output against the official SARIF 2.1.0 schema.
 *
 * test/fixtures/sarif-schema-2.1.0.json is the OASIS schema (draft-07, $id
 * https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json).
 * It was taken from the npm package @datadog/datadog-ci-plugin-sarif@5.25.0, which bundles it
 * (the object literal `sarif_schema_2_1_0_default` in dist/bundle.js, from its
 * src/json-schema/sarif-schema-2.1.0.json), and written out with JSON.stringify(…, null, 2).
 * It equals the normative copy checked into oasis-tcs/sarif-spec on 2019-12-20 (commit 9fc7116),
 * plus that repository's 2021 fix of the `language` pattern (commit f1f6ae7).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import type { Log, Result } from "sarif";
import { beforeAll, describe, expect, it } from "vitest";
import { type CheckResult, check } from "../../src/check.js";
import type { Finding } from "../../src/finding.js";
import { formatSarif } from "../../src/report/sarif.js";
import { RULE_IDS } from "../../src/rules/index.js";

// ajv-formats is CommonJS with a default export; under NodeNext the callable is `.default`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const schema = JSON.parse(readFileSync("test/fixtures/sarif-schema-2.1.0.json", "utf8"));
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validateSchema = ajv.compile(schema);

function expectValid(text: string): Log {
  const log = JSON.parse(text);
  const ok = validateSchema(log);
  expect(ok ? [] : validateSchema.errors).toEqual([]);
  return log as Log;
}

function results(log: Log): Result[] {
  return log.runs[0]?.results ?? [];
}

const EXAMPLE = "examples/factory-service";

function finding(over: Partial<Finding> = {}): Finding {
  return {
    rule: "require-concurrent-index-creation",
    severity: "error",
    message: 'CREATE INDEX on existing table "t" without CONCURRENTLY blocks writes.',
    help: "Use CREATE INDEX CONCURRENTLY.",
    file: "db/migrations/002 add index.sql",
    line: 3,
    column: 1,
    endLine: 3,
    endColumn: 33,
    source: "check",
    fix: { description: "Build the index CONCURRENTLY", replacement: "CREATE INDEX CONCURRENTLY i ON t (a)" },
    ...over,
  };
}

function input(findings: Finding[]): Pick<CheckResult, "findings" | "summary"> {
  return {
    findings,
    summary: {
      errors: findings.filter((f) => f.severity === "error").length,
      warnings: findings.filter((f) => f.severity === "warning").length,
      files: 1,
      statements: 1,
    },
  };
}

describe("formatSarif on the factory-service example", () => {
  let example: CheckResult;
  beforeAll(async () => {
    example = await check({ paths: [EXAMPLE] });
  });

  it("validates against the SARIF 2.1.0 schema", () => {
    const log = expectValid(formatSarif(example, { toolVersion: "0.1.0" }));
    expect(log.version).toBe("2.1.0");
    expect(log.runs).toHaveLength(1);
    expect(results(log)).toHaveLength(example.findings.length);
  });

  it("validates with a repository root, rule pages and a docs base URI", () => {
    const pages = new Map([
      ["require-concurrent-index-creation", "# require-concurrent-index-creation\n\nBody."],
    ]);
    const log = expectValid(
      formatSarif(example, {
        toolVersion: "0.1.0",
        repoRoot: resolve("."),
        ruleDocsBaseUri: "https://example.com/pg-index-lint/blob/v0.1.0/",
        rulePages: pages,
      }),
    );
    const run = log.runs[0];
    expect(run?.originalUriBaseIds?.["%SRCROOT%"]?.uri).toMatch(/^file:\/\/.*\/$/);
    const rule = run?.tool.driver.rules?.find((r) => r.id === "require-concurrent-index-creation");
    expect(rule?.helpUri).toBe(
      "https://example.com/pg-index-lint/blob/v0.1.0/rules/require-concurrent-index-creation.md",
    );
    expect(rule?.help?.markdown).toBe(pages.get("require-concurrent-index-creation"));
  });

  it("names the tool and describes every rule a run can report, with the help GitHub requires", () => {
    const log = expectValid(formatSarif(example, { toolVersion: "0.1.0" }));
    const driver = log.runs[0]?.tool.driver;
    expect(driver?.name).toBe("pg-index-lint");
    expect(driver?.version).toBe("0.1.0");
    expect(driver?.semanticVersion).toBe("0.1.0");
    const ids = driver?.rules?.map((r) => r.id) ?? [];
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of [...RULE_IDS, "syntax-error", "unreadable-file", "invalid-migration"]) {
      expect(ids).toContain(id);
    }
    for (const rule of driver?.rules ?? []) {
      expect(rule.shortDescription?.text.length).toBeGreaterThan(0);
      expect(rule.shortDescription?.text.length).toBeLessThanOrEqual(1024);
      expect(rule.fullDescription?.text.length).toBeLessThanOrEqual(1024);
      expect(rule.help?.text.length).toBeGreaterThan(0);
      expect(["error", "warning"]).toContain(rule.defaultConfiguration?.level);
      expect(rule.helpUri).toBeUndefined();
    }
    expect(driver?.rules?.find((r) => r.id === "redundant-index")?.help?.text).toContain(
      "rules/redundant-index.md",
    );
  });

  it("points each result at its rule, file and region", () => {
    const log = expectValid(formatSarif(example, { toolVersion: "0.1.0" }));
    const rules = log.runs[0]?.tool.driver.rules ?? [];
    results(log).forEach((r, i) => {
      const f = example.findings[i] as Finding;
      expect(r.ruleId).toBe(f.rule);
      expect(rules[r.ruleIndex as number]?.id).toBe(f.rule);
      expect(r.level).toBe(f.severity);
      expect(r.message.text).toBe(`${f.message}\n${f.help}`);
      const location = r.locations?.[0]?.physicalLocation;
      expect(location?.artifactLocation).toEqual({ uri: f.file, uriBaseId: "%SRCROOT%" });
      expect(location?.region).toEqual({
        startLine: f.line,
        startColumn: f.column,
        endLine: f.endLine,
        endColumn: f.endColumn,
      });
      expect(r.partialFingerprints?.["pgIndexLint/v1"]).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  it("writes paths relative to the repository root when the run is in a subdirectory", () => {
    const log = expectValid(
      formatSarif(example, { toolVersion: "0.1.0", repoRoot: resolve(".."), cwd: resolve(".") }),
    );
    const uri = results(log)[0]?.locations?.[0]?.physicalLocation?.artifactLocation?.uri;
    expect(uri).toBe(`${basename(resolve("."))}/${example.findings[0]?.file}`);
  });

  it("gives fixable findings a fix whose replacement turns the file into the fixed one", () => {
    const log = expectValid(formatSarif(example, { toolVersion: "0.1.0" }));
    const fixed = results(log).filter((r) => r.fixes);
    expect(fixed.map((r) => r.ruleId)).toEqual([
      "ban-concurrent-index-creation-in-transaction",
      "require-concurrent-index-creation",
      "require-concurrent-index-creation",
    ]);
    // The BEGIN … COMMIT fix replaces the whole block, not only the finding's statement.
    const block = fixed[0]?.fixes?.[0]?.artifactChanges[0];
    const unwrapped = applyReplacement(
      readFileSync(block?.artifactLocation.uri as string, "utf8"),
      block?.replacements[0]?.deletedRegion as Region,
      block?.replacements[0]?.insertedContent?.text ?? "",
    );
    expect(unwrapped).not.toMatch(/^(BEGIN|COMMIT);$/m);
    expect(unwrapped).toContain("CREATE INDEX CONCURRENTLY idx_batches_product_id ON batches(product_id);\n");
    const change = fixed[1]?.fixes?.[0]?.artifactChanges[0];
    const file = change?.artifactLocation.uri as string;
    const replacement = change?.replacements[0];
    const text = applyReplacement(
      readFileSync(file, "utf8"),
      replacement?.deletedRegion as Region,
      replacement?.insertedContent?.text ?? "",
    );
    expect(text).toContain(
      "CREATE INDEX CONCURRENTLY idx_api_keys_factory_created\n    ON api_keys (factory_id, created_at DESC);",
    );
    expect(text).toContain("CREATE INDEX idx_products_sku ON products");
  });
});

interface Region {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

/** Applies a SARIF replacement: 1-based lines, UTF-16 columns, exclusive end column. */
function applyReplacement(text: string, region: Region, inserted: string): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  const offset = (line: number, column: number) => (starts[line - 1] as number) + column - 1;
  return (
    text.slice(0, offset(region.startLine, region.startColumn)) +
    inserted +
    text.slice(offset(region.endLine, region.endColumn))
  );
}

describe("the schema check", () => {
  it("rejects what SARIF forbids: a relative helpUri, line 0, an unknown level", () => {
    const log = JSON.parse(formatSarif(input([finding()]), { toolVersion: "0.1.0" }));
    const broken = structuredClone(log);
    broken.runs[0].tool.driver.rules[0].helpUri = "rules/require-concurrent-index-creation.md";
    expect(validateSchema(broken)).toBe(false);
    const line0 = structuredClone(log);
    line0.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
    expect(validateSchema(line0)).toBe(false);
    const level = structuredClone(log);
    level.runs[0].results[0].level = "fatal";
    expect(validateSchema(level)).toBe(false);
  });
});

describe("formatSarif on single findings", () => {
  it("validates a finding with a fix, and encodes the path as a URI reference", () => {
    const log = expectValid(formatSarif(input([finding()]), { toolVersion: "0.1.0-rc.1" }));
    const r = results(log)[0];
    expect(r?.locations?.[0]?.physicalLocation?.artifactLocation?.uri).toBe(
      "db/migrations/002%20add%20index.sql",
    );
    expect(r?.fixes).toEqual([
      {
        description: { text: "Build the index CONCURRENTLY" },
        artifactChanges: [
          {
            artifactLocation: { uri: "db/migrations/002%20add%20index.sql", uriBaseId: "%SRCROOT%" },
            replacements: [
              {
                deletedRegion: { startLine: 3, startColumn: 1, endLine: 3, endColumn: 33 },
                insertedContent: { text: "CREATE INDEX CONCURRENTLY i ON t (a)" },
              },
            ],
          },
        ],
      },
    ]);
  });

  it("validates an empty run", () => {
    const log = expectValid(formatSarif(input([]), { toolVersion: "0.1.0" }));
    expect(results(log)).toEqual([]);
  });

  it("describes a rule id it does not know, so every result has a rule", () => {
    const log = expectValid(
      formatSarif(input([finding({ rule: "brand-new-rule", fix: undefined })]), { toolVersion: "x" }),
    );
    const rules = log.runs[0]?.tool.driver.rules ?? [];
    expect(rules[results(log)[0]?.ruleIndex as number]?.id).toBe("brand-new-rule");
    expect(rules).toHaveLength(RULE_IDS.length + 1);
  });

  it("keeps the fingerprint when the finding moves to other lines", () => {
    const before = finding({
      message: "Required index on t (a) is missing (required at .pg-index-lint.yml:12).",
    });
    const after = { ...before, line: 9, endLine: 9, message: before.message.replace(":12", ":14") };
    const fp = (f: Finding) =>
      results(JSON.parse(formatSarif(input([f]), { toolVersion: "0" })))[0]?.partialFingerprints;
    expect(fp(after)).toEqual(fp(before));
    expect(fp({ ...before, rule: "unindexed-foreign-key" })).not.toEqual(fp(before));
    expect(fp({ ...before, file: "db/migrations/003.sql" })).not.toEqual(fp(before));
  });

  it("gives otherwise identical findings different fingerprints", () => {
    const log = JSON.parse(
      formatSarif(input([finding(), finding({ line: 8, endLine: 8 })]), { toolVersion: "0" }),
    );
    const [a, b] = results(log).map((r) => r.partialFingerprints?.["pgIndexLint/v1"]);
    expect(a).not.toBe(b);
  });
});

describe("fingerprints across runs", () => {
  it("are equal when lines are added above the finding", async () => {
    const root = await mkdtemp(join(tmpdir(), "pil-sarif-"));
    const dir = join(root, "migrations");
    await mkdir(dir);
    writeFileSync(join(dir, "001_create.sql"), "CREATE TABLE t (id int PRIMARY KEY, a int);\n");
    const index = "CREATE INDEX t_a ON t (a);\n";
    const run = async () => {
      const result = await check({ paths: [dir] });
      return results(expectValid(formatSarif(result, { toolVersion: "0.1.0", repoRoot: root })));
    };
    writeFileSync(join(dir, "002_index.sql"), index);
    const first = await run();
    writeFileSync(join(dir, "002_index.sql"), `-- a comment\n\n-- and another\n${index}`);
    const second = await run();
    expect(first.map((r) => r.ruleId)).toEqual(["require-concurrent-index-creation"]);
    expect(second[0]?.locations?.[0]?.physicalLocation?.region?.startLine).toBe(
      (first[0]?.locations?.[0]?.physicalLocation?.region?.startLine as number) + 3,
    );
    expect(second[0]?.locations?.[0]?.physicalLocation?.artifactLocation?.uri).toBe(
      "migrations/002_index.sql",
    );
    expect(second[0]?.partialFingerprints).toEqual(first[0]?.partialFingerprints);
  });
});
