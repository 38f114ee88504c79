/**
 * `check --cache`: findings are the same with and without the result cache, on a cold cache, a
 * warm one, and after a migration changed; a corrupt, foreign or stale cache is ignored with a
 * note. Each repository is a copy in a temporary folder, so the edits stay there.
 */
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CachedMigration } from "../../src/cache/results.js";
import { check } from "../../src/check.js";
import { run } from "../../src/run.js";

const ROOT = join(import.meta.dirname, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "pil-cache-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * The suite's example repositories and runner fixtures that hold SQL migrations. A runner
 * fixture is checked at the folder its layout is detected from (db/, prisma/, …).
 */
const REPOSITORIES = [
  ...readdirSync(join(ROOT, "examples")).map((d) => join("examples", d)),
  ...readdirSync(join(ROOT, "test/fixtures/runners")).map((d) => join("test/fixtures/runners", d)),
].filter((d) => statSync(join(ROOT, d)).isDirectory() && sqlFiles(join(ROOT, d)).length > 0);

/** The first folder, breadth first, where check finds migrations. */
async function checkable(dir: string): Promise<string | undefined> {
  const queue = [dir];
  while (queue.length) {
    const at = queue.shift() as string;
    try {
      const result = await check({ paths: [at] });
      if (result.sets.some((s) => s.migrations.length > 0)) return at;
    } catch {}
    for (const e of readdirSync(at, { withFileTypes: true }))
      if (e.isDirectory() && !e.name.startsWith(".")) queue.push(join(at, e.name));
  }
  return undefined;
}

function sqlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sqlFiles(path));
    else if (entry.name.endsWith(".sql")) out.push(path);
  }
  return out.sort();
}

/** The findings as `--format json` would list them, with paths relative to the copy. */
async function findings(dir: string, cache?: string) {
  const notes: string[] = [];
  const result = await check({
    paths: [dir],
    ...(cache !== undefined ? { cache } : {}),
    onNote: (line) => notes.push(line),
  });
  const list = JSON.parse(JSON.stringify(result.findings)) as { file: string }[];
  for (const f of list) f.file = relative(dir, f.file);
  return {
    list,
    fromCache: result.fromCache,
    files: result.files,
    statements: result.statements,
    notes,
    newest: result.sets[0]?.migrations.at(-1)?.file,
  };
}

function copy(name: string): string {
  const dir = join(scratch, name.replaceAll("/", "_"));
  cpSync(join(ROOT, name), dir, { recursive: true });
  return dir;
}

describe("the result cache gives the findings a cold run gives", () => {
  it("has repositories to run on", () => {
    expect(REPOSITORIES.length).toBeGreaterThanOrEqual(5);
  });

  for (const name of REPOSITORIES) {
    it(`${name}: cold, warm, and after the newest migration changed`, async () => {
      const dir = (await checkable(copy(name))) as string;
      expect(dir).toBeDefined();
      const cache = join(scratch, `${relative(ROOT, dir).replaceAll("/", "_")}-cache`);
      const plain = await findings(dir);
      const cold = await findings(dir, cache);
      expect(cold.list).toEqual(plain.list);
      expect(cold.fromCache).toBe(0);
      const warm = await findings(dir, cache);
      expect(warm.list).toEqual(plain.list);
      expect([warm.files, warm.statements]).toEqual([plain.files, plain.statements]);
      expect(warm.notes).toEqual([]);

      // A statement added to the newest migration, when it is SQL: only a replay of it counts it.
      const newest = plain.newest as string;
      if (!newest.endsWith(".sql")) return;
      writeFileSync(
        newest,
        `${readFileSync(newest, "utf8")}\nCREATE TABLE cache_probe (id int PRIMARY KEY, n int);\n`,
      );
      const edited = await findings(dir);
      const after = await findings(dir, cache);
      expect(after.list).toEqual(edited.list);
      expect([after.files, after.statements]).toEqual([edited.files, edited.statements]);
      // dbmate's newest file ends in its down section, where the statement does not count.
      if (!name.endsWith("dbmate")) expect(after.statements).toBe(plain.statements + 1);
    });
  }
});

describe("the result cache is a hint, never an input", () => {
  const sql = (n: number) =>
    `CREATE TABLE t${n} (id int PRIMARY KEY, ref int);\nCREATE INDEX t${n}_ref ON t${n} (ref);\n`;
  function repository(files: number): string {
    const dir = mkdtempSync(join(scratch, "repo-"));
    for (let i = 1; i <= files; i++) writeFileSync(join(dir, `${String(i).padStart(4, "0")}_t.sql`), sql(i));
    return dir;
  }

  it("replays only the files after the last unchanged checkpoint", async () => {
    const dir = repository(80);
    const cache = join(dir, ".cache");
    const cold = await findings(dir, cache);
    expect((await findings(dir, cache)).fromCache).toBe(80);
    // A new migration at the end: every file before it comes from the cache.
    writeFileSync(join(dir, "0081_t.sql"), `${sql(81)}CREATE INDEX t1_late ON t1 (ref);\n`);
    const appended = await findings(dir, cache);
    expect(appended.fromCache).toBe(80);
    expect(appended.list).toEqual((await findings(dir)).list);
    expect(appended.list.length).toBeGreaterThan(cold.list.length);
    // An edit of the 75th: the replay resumes at the checkpoint the first run made 8 files before
    // its end (72); the second run kept it, and added one at its own end.
    writeFileSync(join(dir, "0075_t.sql"), `${sql(75)}CREATE INDEX t2_late ON t2 (ref);\n`);
    const edited = await findings(dir, cache);
    expect(edited.fromCache).toBe(72);
    expect(edited.list).toEqual((await findings(dir)).list);
  });

  it("takes an unchanged file's hash from its stat, and reads a file whose stat changed", async () => {
    const dir = repository(6);
    const cache = join(dir, ".cache");
    // Modified well before the run: their stat can vouch for them (a recent one would be read).
    const past = new Date(Date.now() - 60_000);
    for (const f of readdirSync(dir)) if (f.endsWith(".sql")) utimesSync(join(dir, f), past, past);
    const cold = await findings(dir, cache);
    // The same size, inode and times, other content: taken as unchanged, so its findings stay.
    const third = join(dir, "0003_t.sql");
    const text = readFileSync(third, "utf8");
    writeFileSync(third, text.replace("CREATE INDEX", "create index"));
    utimesSync(third, past, past);
    const unread = await findings(dir, cache);
    expect(unread.fromCache).toBe(6);
    expect(unread.list).toEqual(cold.list);
    // A new modification time: read and hashed again, and the changed text replays from there.
    writeFileSync(third, `${text}CREATE INDEX t1_stat ON t1 (ref);\n`);
    const read = await findings(dir, cache);
    expect(read.fromCache).toBeLessThan(6);
    expect(read.list).toEqual((await findings(dir)).list);
    expect(read.list.length).toBeGreaterThan(cold.list.length);
  });

  it("keeps an unchanged migration's statements as bytes, and gives them back as they were", async () => {
    const dir = repository(12);
    const cache = join(dir, ".cache");
    const cold = await check({ paths: [dir], cache });
    const warm = await check({ paths: [dir], cache });
    expect(warm.fromCache).toBe(12);
    const before = cold.sets[0]?.migrations ?? [];
    const after = warm.sets[0]?.migrations ?? [];
    expect(after.map((m) => m.file)).toEqual(before.map((m) => m.file));
    expect(after.every((m) => m instanceof CachedMigration)).toBe(true);
    // The count comes without decoding; the statements (their trees released) decode as they were.
    expect(warm.statements).toBe(cold.statements);
    for (const [i, m] of after.entries()) {
      expect((m as CachedMigration).count).toBe(before[i]?.statements.length);
      expect(m.statements.map((st) => [st.sql, st.range, st.tx])).toEqual(
        before[i]?.statements.map((st) => [st.sql, st.range, st.tx]),
      );
      expect(JSON.parse(JSON.stringify(m)).statements.length).toBe(before[i]?.statements.length);
    }
  });

  it("scopes a change the same from cached migrations as from replayed ones", async () => {
    // A required index on a table the last migration drops: whether the change answers for it
    // is decided by the changed migration's SQL, read from the cache on a warm run.
    const dir = repository(4);
    writeFileSync(join(dir, "0005_t9.sql"), "CREATE TABLE t9 (id int PRIMARY KEY, ref int);\n");
    writeFileSync(join(dir, "0006_drop.sql"), "DROP TABLE t9;\n");
    writeFileSync(
      join(dir, ".pg-index-lint.yml"),
      "migrations:\n  - path: .\n    runner: sql\nrequired-indexes:\n  - table: t9\n    columns: [ref]\n",
    );
    const cache = join(dir, ".cache");
    const scope = async (file: string, withCache: boolean) => {
      const report = await run({
        command: "check",
        paths: [dir],
        ...(withCache ? { cache } : {}),
        changed: new Set([relative(process.cwd(), join(dir, file))]),
      });
      const where = (list: { rule: string; file: string }[]) =>
        list.map((f) => `${f.rule} ${relative(dir, f.file)}`);
      return {
        fromCache: report.sets[0]?.migrations.filter((m) => m instanceof CachedMigration).length,
        reported: where(report.findings),
        outOfScope: where(report.outOfScope),
      };
    };
    await run({ command: "check", paths: [dir], cache });
    const cold = await scope("0006_drop.sql", false);
    expect(cold.reported).toContain("missing-required-index .pg-index-lint.yml");
    expect(await scope("0006_drop.sql", true)).toEqual({ ...cold, fromCache: 6 });
    const elsewhere = await scope("0003_t.sql", false);
    expect(elsewhere.outOfScope).toContain("missing-required-index .pg-index-lint.yml");
    expect(await scope("0003_t.sql", true)).toEqual({ ...elsewhere, fromCache: 6 });
  });

  it("takes a truncated entry for a corrupt one", async () => {
    const dir = repository(5);
    const cache = join(dir, ".cache");
    const cold = await findings(dir, cache);
    for (const f of readdirSync(cache)) {
      const bytes = readFileSync(join(cache, f));
      writeFileSync(join(cache, f), bytes.subarray(0, Math.floor(bytes.length / 3)));
    }
    const after = await findings(dir, cache);
    expect(after.fromCache).toBe(0);
    expect(after.list).toEqual(cold.list);
    expect(after.notes.join("\n")).toMatch(/ignored: it cannot be read \(corrupt\)/);
  });

  it("ignores a corrupt cache file with a note", async () => {
    const dir = repository(5);
    const cache = join(dir, ".cache");
    const cold = await findings(dir, cache);
    for (const f of readdirSync(cache)) writeFileSync(join(cache, f), "not a cache");
    const after = await findings(dir, cache);
    expect(after.fromCache).toBe(0);
    expect(after.list).toEqual(cold.list);
    expect(after.notes.join("\n")).toMatch(/ignored: it cannot be read \(corrupt\)/);
  });

  it("ignores a cache made under another config, with a note", async () => {
    const dir = repository(5);
    const cache = join(dir, ".cache");
    await findings(dir, cache);
    writeFileSync(
      join(dir, ".pg-index-lint.yml"),
      "migrations:\n  - path: .\n    runner: sql\nrules:\n  require-concurrent-index-creation: warning\n",
    );
    const after = await findings(dir, cache);
    expect(after.fromCache).toBe(0);
    expect(after.list).toEqual((await findings(dir)).list);
    expect(after.notes.join("\n")).toMatch(/another version or under another config/);
  });

  it("ignores a file that is not its own (another program's, or an older format)", async () => {
    const dir = repository(5);
    const cache = join(dir, ".cache");
    await findings(dir, cache);
    const { serialize } = await import("node:v8");
    for (const f of readdirSync(cache))
      writeFileSync(join(cache, f), serialize({ format: "something else", files: [] }));
    const after = await findings(dir, cache);
    expect(after.fromCache).toBe(0);
    expect(after.notes.join("\n")).toMatch(/not a pg-index-lint result cache/);
  });
});
