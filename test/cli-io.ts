/** Runs the CLI in-process with captured stdout and stderr, for the CLI tests. */
import { Writable } from "node:stream";
import { main } from "../src/cli.js";

export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        append(String(chunk));
        done();
      },
    });
  const code = await main(args, {
    stdout: sink((s) => {
      stdout += s;
    }),
    stderr: sink((s) => {
      stderr += s;
    }),
    env: { NO_COLOR: "1", ...env },
  });
  return { code, stdout, stderr };
}
