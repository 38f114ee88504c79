/**
 * The run snapshot of `check --cache` (src/cache/snapshot.ts): a run whose inputs are all as they
 * were prints the recorded output; any change to what the run looked at (a file's content, a
 * folder's entries, a file that appears, a command's output, the command line) means a full run.
 * Through the CLI, the output is byte for byte the output of a run without the cache.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs, { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cacheDirOf, Recorder, type RunContext, replayable } from "../../src/cache/snapshot.js";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "pg-index-lint.js");
const scratch = mkdtempSync(join(tmpdir(), "pil-snapshot-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let made = 0;
function folder(): string {
  const dir = join(scratch, `case-${++made}`);
  mkdirSync(join(dir, "db"), { recursive: true });
  writeFileSync(join(dir, "db", "001.sql"), "CREATE TABLE a (id int);\n");
  writeFileSync(join(dir, "db", "002.sql"), "CREATE TABLE b (id int);\n");
  return dir;
}

/** The tool's folder as the tests see it; one test puts the repository inside it. */
let toolRoot = ROOT;

function contextFor(dir: string, argv = ["check", "--cache"]): RunContext {
  return {
    argv,
    cwd: dir,
    env: {},
    stdoutIsTTY: false,
    stderrIsTTY: false,
    columns: undefined,
    toolRoot,
  };
}

/** A stand-in for a run: it looks at the folder the way the pipeline does, then "prints" `out`. */
function recordRun(dir: string, out = "report\n", look?: () => void): boolean {
  const cache = join(dir, ".pg-index-lint-cache");
  const recorder = new Recorder(cache, contextFor(dir));
  try {
    fs.existsSync(join(dir, ".pg-index-lint.yml"));
    for (const name of fs.readdirSync(join(dir, "db")).sort()) fs.readFileSync(join(dir, "db", name), "utf8");
    look?.();
  } finally {
    recorder.stop();
  }
  return recorder.save(1, out, "");
}

const replay = (dir: string, argv?: string[]) =>
  replayable(join(dir, ".pg-index-lint-cache"), contextFor(dir, argv));

describe("the run snapshot", () => {
  it("finds the cache folder as commander reads --cache [dir]", () => {
    expect(cacheDirOf(["check", "--cache"], "/r")).toBe("/r/.pg-index-lint-cache");
    expect(cacheDirOf(["check", "--cache", "c"], "/r")).toBe("/r/c");
    expect(cacheDirOf(["check", "--cache=c"], "/r")).toBe("/r/c");
    expect(cacheDirOf(["check", "--cache", "--format", "json"], "/r")).toBe("/r/.pg-index-lint-cache");
    expect(cacheDirOf(["check", "--format", "json"], "/r")).toBeUndefined();
    expect(cacheDirOf(["verify", "--cache"], "/r")).toBeUndefined();
  });

  it("replays the output of a run whose inputs have not changed", () => {
    const dir = folder();
    expect(recordRun(dir, "two tables\n")).toBe(true);
    const hit = replay(dir);
    expect(hit?.stdout.toString()).toBe("two tables\n");
    expect(hit?.exitCode).toBe(1);
  });

  it("runs in full after a file it read changed, even with its size and times kept", () => {
    const dir = folder();
    recordRun(dir);
    const file = join(dir, "db", "002.sql");
    const before = statSync(file);
    writeFileSync(file, "CREATE TABLE c (id int);\n");
    fs.utimesSync(file, before.atime, before.mtime);
    expect(replay(dir)).toBeUndefined();
  });

  it("runs in full after an edit when the repository is inside the tool's folder", () => {
    const dir = folder();
    toolRoot = scratch;
    try {
      recordRun(dir);
      expect(replay(dir)).toBeDefined();
      writeFileSync(join(dir, "db", "002.sql"), "CREATE TABLE b (id bigint);\n");
      expect(replay(dir)).toBeUndefined();
    } finally {
      toolRoot = ROOT;
    }
  });

  it("runs in full after a file appears in a folder it listed", () => {
    const dir = folder();
    recordRun(dir);
    writeFileSync(join(dir, "db", "003.sql"), "CREATE TABLE c (id int);\n");
    expect(replay(dir)).toBeUndefined();
  });

  it("runs in full after a file it looked for and did not find appears", () => {
    const dir = folder();
    recordRun(dir);
    writeFileSync(join(dir, ".pg-index-lint.yml"), "migrations: [db]\n");
    expect(replay(dir)).toBeUndefined();
  });

  it("runs in full after a file it read became a link", () => {
    const dir = folder();
    recordRun(dir);
    const file = join(dir, "db", "001.sql");
    writeFileSync(join(dir, "elsewhere.sql"), fs.readFileSync(file));
    rmSync(file);
    fs.symlinkSync(join(dir, "elsewhere.sql"), file);
    expect(replay(dir)).toBeUndefined();
  });

  it("runs in full after a path it resolved (realpathSync.native) resolves elsewhere", () => {
    const dir = folder();
    const outside = join(scratch, `outside-${made}.sql`);
    writeFileSync(outside, "CREATE TABLE z (id int);\n");
    const link = join(dir, "linked.sql");
    fs.symlinkSync(outside, link);
    recordRun(dir, "report\n", () => fs.realpathSync.native(link));
    expect(replay(dir)).toBeDefined();
    rmSync(link);
    writeFileSync(link, "CREATE TABLE z (id int);\n");
    expect(replay(dir)).toBeUndefined();
  });

  it("runs in full when a command it ran prints something else", () => {
    const dir = folder();
    writeFileSync(join(dir, "note.txt"), "one\n");
    recordRun(dir, "report\n", () => execFileSync("git", ["hash-object", "note.txt"], { cwd: dir }));
    expect(replay(dir)).toBeDefined();
    writeFileSync(join(dir, "note.txt"), "two\n");
    expect(replay(dir)).toBeUndefined();
  });

  it("never runs a command other than git to check a snapshot, and is not used then", () => {
    const dir = folder();
    const marker = join(dir, "ran");
    recordRun(dir, "report\n", () => execFileSync("touch", [marker]));
    expect(fs.existsSync(marker)).toBe(true);
    fs.rmSync(marker);
    expect(replay(dir)).toBeUndefined();
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("runs in full when a file it only took the stat of was modified", () => {
    const dir = folder();
    const extra = join(dir, "extra.sql");
    writeFileSync(extra, "SELECT 1;\n");
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(extra, past, past);
    recordRun(dir, "report\n", () => fs.lstatSync(extra));
    expect(replay(dir)).toBeDefined();
    fs.utimesSync(extra, new Date(), new Date(Date.now() - 30_000));
    expect(replay(dir)).toBeUndefined();
  });

  it("runs in full for another command line", () => {
    const dir = folder();
    recordRun(dir);
    expect(replay(dir, ["check", "--cache", "--format", "json"])).toBeUndefined();
  });

  it("is not saved when the run used a call it does not observe", () => {
    const dir = folder();
    expect(recordRun(dir, "report\n", () => fs.stat(join(dir, "db"), () => undefined))).toBe(false);
    expect(replay(dir)).toBeUndefined();
  });

  it("is not used when it is corrupt", () => {
    const dir = folder();
    recordRun(dir);
    const cache = join(dir, ".pg-index-lint-cache");
    for (const name of readdirSync(cache)) {
      const path = join(cache, name);
      const bytes = fs.readFileSync(path);
      const at = bytes.length - 2;
      bytes[at] = (bytes[at] ?? 0) ^ 1;
      writeFileSync(path, bytes);
    }
    expect(replay(dir)).toBeUndefined();
  });

  it("is not used when git tracks it: it would have come with the repository under check", () => {
    const dir = folder();
    execFileSync("git", ["init", "-q"], { cwd: dir });
    recordRun(dir);
    expect(replay(dir)).toBeDefined();
    execFileSync("git", ["add", "-f", ".pg-index-lint-cache"], { cwd: dir });
    expect(replay(dir)).toBeUndefined();
  });

  it("puts Node's own calls back when it stops", () => {
    const before = fs.readFileSync;
    const recorder = new Recorder(join(scratch, "unused"), contextFor(scratch));
    expect(fs.readFileSync).not.toBe(before);
    recorder.stop();
    expect(fs.readFileSync).toBe(before);
  });
});

/** The suite's example repositories with SQL migrations, each checked where its config is. */
const REPOSITORIES = [
  "examples/drizzle-app",
  "examples/prisma-app",
  ...["sql", "flyway", "golang-migrate", "diesel"].map((d) => join("test/fixtures/runners", d)),
];

function cli(cwd: string, where: string, args: string[]) {
  const run = spawnSync(process.execPath, [BIN, "check", where, "--format", "json", "--debug", ...args], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "" },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The newest SQL file of the copy, in path order: where an edit lands. */
function newestSql(dir: string): string {
  const all: string[] = [];
  const walk = (at: string) => {
    for (const e of readdirSync(at, { withFileTypes: true }))
      if (e.isDirectory() && !e.name.startsWith(".")) walk(join(at, e.name));
      else if (e.name.endsWith(".sql")) all.push(join(at, e.name));
  };
  walk(dir);
  return all.sort().at(-1) as string;
}

describe("check --cache through the CLI prints what a run without it prints", () => {
  for (const name of REPOSITORIES) {
    it(`${name}: recorded, replayed, and after an edit`, () => {
      const dir = join(scratch, name.replaceAll("/", "_"));
      cpSync(join(ROOT, name), dir, { recursive: true });
      const file = newestSql(dir);
      // A runner fixture holds its layout one folder down: check from the newest file's folder.
      const where = name.startsWith("examples/") ? "." : relative(dir, dirname(file));
      const plain = cli(dir, where, []);
      expect([0, 1]).toContain(plain.code);

      const first = cli(dir, where, ["--cache"]);
      expect(first.stderr).toContain("run snapshot saved");
      expect(first.stdout).toBe(plain.stdout);
      expect(first.code).toBe(plain.code);

      const second = cli(dir, where, ["--cache"]);
      expect(second.stderr).toContain("its output, from the cache");
      expect(second.stdout).toBe(plain.stdout);
      expect(second.code).toBe(plain.code);

      fs.appendFileSync(
        file,
        "\nCREATE TABLE snapshot_edit (id bigint PRIMARY KEY, parent_id bigint REFERENCES snapshot_edit (id));\n",
      );
      const edited = cli(dir, where, []);
      expect(edited.stdout).not.toBe(plain.stdout);
      const third = cli(dir, where, ["--cache"]);
      expect(third.stderr).not.toContain("from the cache");
      expect(third.stdout).toBe(edited.stdout);
      expect(third.code).toBe(edited.code);
    });
  }
});
