/**
 * A child process that opens a server engine and waits to be killed, for the tests of what a
 * killed run leaves behind. It runs the engine sources transpiled on the spot (no prior build),
 * and prints each of the engine's progress lines on stdout as it comes.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import ts from "typescript";

const root = join(import.meta.dirname, "..", "..");
const SOURCES = [
  "src/errors.ts",
  "src/paths.ts",
  ...["connect", "emptiness", "engine", "pglite", "scratch", "server", "time-limits"].map(
    (f) => `src/verify/${f}.ts`,
  ),
];

let compiled: string | undefined;
function childScript(): string {
  if (compiled) return compiled;
  const out = join(root, "node_modules", ".cache", "pg-index-lint-test", "security-child");
  for (const source of SOURCES) {
    const { outputText } = ts.transpileModule(readFileSync(join(root, source), "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const target = join(out, source.replace(/\.ts$/, ".js"));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  // Inside node_modules Node does not look further up for "type": "module".
  writeFileSync(join(out, "package.json"), '{ "type": "module" }\n');
  const script = join(out, "child.js");
  writeFileSync(
    script,
    `import { openEngine } from "./src/verify/connect.js";
const engine = await openEngine({
  databaseUrl: process.argv[2],
  env: {},
  onProgress: (line) => process.stdout.write("progress: " + line + "\\n"),
});
const { rows } = await engine.main.query("SELECT current_database() AS db");
process.stdout.write("ready: " + rows[0].db + "\\n");
setInterval(() => {}, 1000);
`,
  );
  compiled = script;
  return script;
}

export interface Child {
  process: ChildProcessByStdio<null, Readable, Readable>;
  /** The progress lines printed before the engine was ready. */
  progress: string[];
  stderr(): string;
  exited: Promise<number | null>;
}

/** Starts the child and waits until its engine is open. */
export async function startChild(url: string): Promise<Child> {
  const child = spawn(process.execPath, [childScript(), url], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const progress: string[] = [];
  await new Promise<void>((resolve, reject) => {
    let buffer = "";
    child.stdout.on("data", (d) => {
      buffer += String(d);
      let newline = buffer.indexOf("\n");
      while (newline !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.startsWith("progress: ")) progress.push(line.slice("progress: ".length));
        if (line.startsWith("ready: ")) resolve();
        newline = buffer.indexOf("\n");
      }
    });
    void exited.then(() => reject(new Error(`child exited early: ${stderr}`)));
  });
  return { process: child, progress, stderr: () => stderr, exited };
}
