import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./cli-io.js";
import { scratchDir } from "./harness.js";

const run = runCli;

function tempRepo(files: Record<string, string | Buffer>): string {
  const root = scratchDir("pil-cli-");
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, name, ".."), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  return root;
}

const EXAMPLE = "examples/factory-service";

describe("pg-index-lint check on the factory-service example", () => {
  it("flags the seed's problems at the right lines and exits 1", async () => {
    const { code, stdout } = await run(["check", EXAMPLE, "--format", "json"]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    const where = report.findings.map(
      (f: { rule: string; file: string; line: number }) =>
        `${f.file.replace(`${EXAMPLE}/migrations/`, "")}:${f.line} ${f.rule}`,
    );
    expect(where).toEqual([
      "002_create_api_keys.sql:2 missing-required-index",
      "003_create_batches.sql:1 missing-required-index",
      "004_add_database_indexes.sql:4 ban-concurrent-index-creation-in-transaction",
      "004_add_database_indexes.sql:5 ban-concurrent-index-creation-in-transaction",
      "004_add_database_indexes.sql:6 ban-concurrent-index-creation-in-transaction",
      "005_audit_and_sku_indexes.sql:2 require-concurrent-index-creation",
      "005_audit_and_sku_indexes.sql:5 require-concurrent-index-creation",
      // Errors first, then warnings, each in the order the migrations run.
      "003_create_batches.sql:3 unindexed-foreign-key",
    ]);
  });

  it("prints JSON that follows the version 1 contract", async () => {
    const report = JSON.parse((await run(["check", EXAMPLE, "--format", "json"])).stdout);
    expect(Object.keys(report)).toEqual(["version", "tool", "findings", "summary", "verify"]);
    expect(report.version).toBe(1);
    expect(report.tool).toEqual({
      name: "pg-index-lint",
      version: JSON.parse(readFileSync("package.json", "utf8")).version,
    });
    expect(report.verify).toBeNull();
    expect(report.summary).toEqual({ errors: 7, warnings: 1, files: 5, statements: 11 });
    const allowed = [
      "rule",
      "severity",
      "message",
      "help",
      "file",
      "line",
      "column",
      "endLine",
      "endColumn",
      "table",
      "columns",
      "source",
      "fix",
    ];
    for (const f of report.findings) {
      expect(Object.keys(f).every((k) => allowed.includes(k))).toBe(true);
      expect(f.help.length).toBeGreaterThan(0);
      expect(f.source).toBe("check");
      expect(f.line).toBeGreaterThan(0);
      expect(f.endLine).toBeGreaterThanOrEqual(f.line);
    }
    const fixed = report.findings.find(
      (f: { line: number; rule: string }) => f.rule === "require-concurrent-index-creation" && f.line === 5,
    );
    expect(fixed.fix).toEqual({
      description: "Build the index CONCURRENTLY",
      replacement: "CREATE INDEX CONCURRENTLY idx_products_sku ON products (sku) WHERE sku IS NOT NULL",
    });
  });

  it("prints code frames, help lines and the assumed runner in text", async () => {
    const { stdout } = await run(["check", EXAMPLE]);
    expect(stdout).toMatchSnapshot();
    expect(stdout).toContain("runner sql (detected)");
    expect(stdout).not.toContain("\x1b[");
  });

  it("colours text when asked to", async () => {
    const { stdout } = await run(["check", EXAMPLE], { NO_COLOR: "", FORCE_COLOR: "1" });
    expect(stdout).toContain("\x1b[");
  });

  it("exits 0 with --fail-on never, and counts warnings with --fail-on warning", async () => {
    expect((await run(["check", EXAMPLE, "--fail-on", "never"])).code).toBe(0);
    const onlyWarning = tempRepo({
      "m/001.sql": "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (id int, p_id int REFERENCES p);",
    });
    expect((await run(["check", join(onlyWarning, "m")])).code).toBe(0);
    expect((await run(["check", join(onlyWarning, "m"), "--fail-on", "warning"])).code).toBe(1);
  });
});

describe("other output formats", () => {
  it("prints SARIF 2.1.0, GitLab Code Quality and GitHub workflow commands, with the same exit code", async () => {
    const sarif = await run(["check", EXAMPLE, "--format", "sarif"]);
    expect(sarif.code).toBe(1);
    const log = JSON.parse(sarif.stdout);
    expect(log.version).toBe("2.1.0");
    expect(log.runs[0].results).toHaveLength(8);
    const gitlab = await run(["check", EXAMPLE, "--format", "gitlab"]);
    expect(JSON.parse(gitlab.stdout).map((i: { check_name: string }) => i.check_name)).toContain(
      "unindexed-foreign-key",
    );
    const markdown = await run(["check", EXAMPLE, "--format", "markdown"]);
    expect(markdown.stdout).toMatch(/^### pg-index-lint\n\n❌ \*\*7 errors, 1 warning\*\*/);
    const github = await run(["check", EXAMPLE, "--format", "github"]);
    expect(github.stdout).toMatch(
      /^::error file=examples\/factory-service\/migrations\/004_add_database_indexes\.sql,line=4,endLine=4,col=1,endColumn=70,title=pg-index-lint%3A ban-concurrent-index-creation-in-transaction::/m,
    );
  });
});

describe("bad input gives one clear line and exit 2", () => {
  const oneLine = (stderr: string) => {
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
  };

  it("a missing path", async () => {
    const { code, stderr } = await run(["check", "no/such/dir"]);
    expect(code).toBe(2);
    expect(stderr).toBe("pg-index-lint: no/such/dir: no such file or directory\n");
  });

  it("an invalid config, with file and line", async () => {
    const root = tempRepo({
      ".pg-index-lint.yml": "migrations:\n  - path: m\nrequired-indexes:\n  - table: t\n    columns: []\n",
      "m/001.sql": "SELECT 1;",
    });
    const { code, stderr } = await run(["check", root]);
    expect(code).toBe(2);
    oneLine(stderr);
    expect(stderr).toMatch(
      /\.pg-index-lint\.yml:5: required-indexes\[0\]\.columns: a required index must name at least one column/,
    );
  });

  it("a syntax error, reported at file:line while the other files are still checked", async () => {
    const root = tempRepo({
      "m/001.sql": "CREATE TABLE t (id int);",
      "m/002.sql": "CREATE INDEX i ON t (id);\nCREATE TABEL oops (id int);",
      "m/003.sql": "CREATE INDEX j ON t (id);",
    });
    const { code, stdout } = await run(["check", join(root, "m"), "--format", "json"]);
    expect(code).toBe(2);
    const findings = JSON.parse(stdout).findings.map(
      (f: { rule: string; file: string; line: number }) => `${f.file.split("/m/")[1]}:${f.line} ${f.rule}`,
    );
    expect(findings).toEqual(["002.sql:2 syntax-error", "003.sql:1 require-concurrent-index-creation"]);
  });

  it("a binary file and a non-UTF-8 file", async () => {
    const root = tempRepo({
      "m/001.sql": "CREATE TABLE t (id int);",
      "m/002.sql": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]),
      "m/003.sql": Buffer.from("-- caf\xe9 in Latin-1\nSELECT 1;", "latin1"),
    });
    const { code, stdout } = await run(["check", join(root, "m")]);
    expect(code).toBe(2);
    expect(stdout).toMatch(
      /error\[unreadable-file\]: This is a binary file, not text\.\n\s+--> .*002\.sql:1:1/,
    );
    expect(stdout).toMatch(/error\[unreadable-file\]: This file is not valid UTF-8.*\n\s+--> .*003\.sql:1:1/);
  });

  it("an unknown option or format", async () => {
    const bad = await run(["check", EXAMPLE, "--formt", "json"]);
    expect(bad.code).toBe(2);
    oneLine(bad.stderr);
    const format = await run(["check", EXAMPLE, "--format", "xml"]);
    expect(format.stderr).toBe(
      'pg-index-lint: --format must be one of text, json, sarif, gitlab, github, markdown (got "xml")\n',
    );
  });

  it("a folder with no migrations", async () => {
    const root = tempRepo({ "README.md": "nothing here" });
    const { code, stderr } = await run(["check", root]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/found no migrations here/);
  });

  it("an unknown rule in the config", async () => {
    const root = tempRepo({
      ".pg-index-lint.yml": "rules: { require-concurrent-index: off }\n",
      "001.sql": "SELECT 1;",
    });
    const { code, stderr } = await run(["check", root]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown rule "require-concurrent-index"/);
  });
});

describe("scoping", () => {
  it("--baseline hides the findings recorded in an earlier JSON report", async () => {
    const before = await run(["check", EXAMPLE, "--format", "json"]);
    const dir = scratchDir("pil-baseline-");
    writeFileSync(join(dir, "baseline.json"), before.stdout);
    const after = await run(["check", EXAMPLE, "--format", "json", "--baseline", join(dir, "baseline.json")]);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).findings).toEqual([]);
  });

  it("--changed-since keeps findings in files changed since the ref", async () => {
    const root = tempRepo({
      "m/001.sql": "CREATE TABLE t (id int);\nCREATE TABLE u (id int);",
      "m/002.sql": "CREATE INDEX i ON t (id);",
    });
    const git = (...args: string[]) => execFileSync("git", args, { cwd: root, stdio: "pipe" });
    git("init", "-q");
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base", "--allow-empty");
    git("add", ".");
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one");
    writeFileSync(join(root, "m/003.sql"), "CREATE INDEX j ON u (id);");
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const { stdout } = await run(["check", "m", "--format", "json", "--changed-since", "HEAD"]);
      expect(JSON.parse(stdout).findings.map((f: { file: string }) => f.file)).toEqual(["m/003.sql"]);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe("other commands", () => {
  it("rules lists every rule with its default severity", async () => {
    const { code, stdout } = await run(["rules"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^require-concurrent-index-creation\s+error\s+CREATE INDEX without CONCURRENTLY/m);
    expect(stdout).toMatch(/^redundant-index\s+warning/m);
  });

  it("rules RULE prints the rule's page", async () => {
    const { stdout } = await run(["rules", "unindexed-foreign-key"]);
    expect(stdout).toMatch(/^# unindexed-foreign-key/);
  });

  it("init writes a config that finds the migrations, and refuses to overwrite it", async () => {
    const root = tempRepo({ "db/migrations/001_init.sql": "CREATE TABLE t (id int);" });
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const first = await run(["init"]);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/^wrote \.pg-index-lint\.yml:$/m);
      expect(first.stdout).toMatch(/^ {2}- path: db\/migrations\n {4}runner: sql$/m);
      expect((await run(["check"])).code).toBe(0);
      expect((await run(["init"])).code).toBe(2);
    } finally {
      process.chdir(cwd);
    }
  });

  it("the installed bin runs without a stack trace on bad input", () => {
    const result = spawnSync(process.execPath, ["bin/pg-index-lint.js", "check", "no/such/dir"], {
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("pg-index-lint: no/such/dir: no such file or directory\n");
  });
});

describe("a CLI that behaves like the tools people know", () => {
  it("--help on every command lists its options, and writes nothing else", async () => {
    for (const command of ["check", "verify", "rules", "init"]) {
      const { code, stdout, stderr } = await run([command, "--help"]);
      expect(code).toBe(0);
      expect(stderr).toBe("");
      expect(stdout).toMatch(new RegExp(`^Usage: pg-index-lint ${command} `));
    }
    expect((await run(["verify", "-h"])).stdout).toMatch(/--statement-timeout <seconds>/);
  });

  it("answers --version from package.json", async () => {
    const { code, stdout } = await run(["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
  });

  it.each([
    [["chek", EXAMPLE], "pg-index-lint: unknown command 'chek' (did you mean check?)\n"],
    [
      ["check", EXAMPLE, "--formt", "json"],
      "pg-index-lint: unknown option '--formt' (did you mean --format?)\n",
    ],
    [
      ["check", EXAMPLE, "--format", "jsn"],
      'pg-index-lint: --format must be one of text, json, sarif, gitlab, github, markdown (got "jsn"; did you mean json?)\n',
    ],
    [
      ["rules", "unindexed-foreign-keys"],
      'pg-index-lint: unknown rule "unindexed-foreign-keys" (did you mean unindexed-foreign-key?); run `pg-index-lint rules` for the list\n',
    ],
  ])("%j: one line with a suggestion, exit 2", async (args, line) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toBe(line);
  });

  it("a misspelt config key or rule id, located at its line, with a suggestion", async () => {
    const key = tempRepo({
      ".pg-index-lint.yml": "migrations:\n  - path: m\n    runnr: sql\n",
      "m/001.sql": "SELECT 1;",
    });
    expect((await run(["check", key])).stderr).toMatch(
      /\.pg-index-lint\.yml:3: migrations\[0\]: unknown key "runnr" \(did you mean "runner"\?\)\n$/,
    );
    const rule = tempRepo({
      ".pg-index-lint.yml": "migrations: [{ path: m }]\nrules:\n  unindexed-foreign-keys: off\n",
      "m/001.sql": "SELECT 1;",
    });
    expect((await run(["check", rule])).stderr).toMatch(
      /\.pg-index-lint\.yml:3: rules: unknown rule "unindexed-foreign-keys" \(did you mean "unindexed-foreign-key"\?\)/,
    );
    const path = tempRepo({
      ".pg-index-lint.yml": "migrations:\n  - path: nowhere\n",
      "m/001.sql": "SELECT 1;",
    });
    expect((await run(["check", path])).stderr).toMatch(
      /\.pg-index-lint\.yml:2: migrations path "nowhere" does not exist/,
    );
  });

  it("lists findings in the runner's order, 1_ before 10_, errors before warnings", async () => {
    const root = tempRepo({
      ".pg-index-lint.yml": "migrations: [{ path: m, runner: golang-migrate }]\n",
      "m/1_a.up.sql":
        "CREATE TABLE t1 (id int PRIMARY KEY, a int, b int);\nCREATE TABLE c1 (id int, p int REFERENCES t1);",
      "m/2_b.up.sql": "CREATE INDEX i1 ON t1 (a);",
      "m/10_c.up.sql": "CREATE INDEX i10 ON t1 (b);",
    });
    const report = JSON.parse((await run(["check", root, "--format", "json"])).stdout);
    expect(
      report.findings.map((f: { file: string; rule: string }) => `${f.file.split("/").pop()} ${f.rule}`),
    ).toEqual([
      "2_b.up.sql require-concurrent-index-creation",
      "10_c.up.sql require-concurrent-index-creation",
      "1_a.up.sql unindexed-foreign-key",
    ]);
  });

  it("ends quietly when the reader of its output goes away (check | head)", () => {
    const result = spawnSync(
      "/bin/sh",
      ["-c", `"${process.execPath}" bin/pg-index-lint.js check ${EXAMPLE} | head -n 1`],
      { encoding: "utf8" },
    );
    expect(result.stdout.split("\n").filter(Boolean)).toHaveLength(1);
    expect(result.stderr).toBe("");
  });

  it("a bug exits 3, says it is one, and shows the stack only with --debug", async () => {
    const root = tempRepo({ "m/001.sql": "SELECT 1;" });
    // A rule that throws stands for any bug in the pipeline.
    const { RULES } = await import("../src/rules/index.js");
    const rule = RULES.find((r) => r.meta.id === "duplicate-index");
    const original = rule?.checkCatalog;
    if (!rule || !original) throw new Error("duplicate-index has no catalog check");
    rule.checkCatalog = () => {
      throw new Error("boom");
    };
    try {
      const plain = await run(["check", join(root, "m")]);
      expect(plain.code).toBe(3);
      expect(plain.stderr).toMatch(/^pg-index-lint: internal error: boom \(this is a bug in pg-index-lint;/);
      expect(plain.stderr).not.toMatch(/\n\s+at /);
      const debug = await run(["check", join(root, "m"), "--debug"]);
      expect(debug.code).toBe(3);
      expect(debug.stderr).toMatch(/\n\s+at /);
    } finally {
      rule.checkCatalog = original;
    }
  });
});

describe("a large report is written in parts", () => {
  it("keeps every byte, and never cuts a surrogate pair", async () => {
    const { writeInParts } = await import("../src/cli.js");
    // "𝄞" is two UTF-16 units: with parts of 3 units, a cut would fall inside a pair 4 times in 12.
    const text = `a${"𝄞".repeat(4)}b\u00e9${"x".repeat(7)}𝄞`;
    const parts: string[] = [];
    writeInParts({ write: (part: string) => parts.push(part) }, text, 3);
    expect(parts.join("")).toBe(text);
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(4);
      expect(Buffer.from(part, "utf8").toString("utf8")).toBe(part);
      expect(part).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
    }
    expect(Buffer.concat(parts.map((p) => Buffer.from(p, "utf8")))).toEqual(Buffer.from(text, "utf8"));
  });
});
