#!/usr/bin/env node
// Entry point of the npm bin. The code lives in build/ (compiled by `npm run build`, which
// `npm ci` runs through the `prepare` script).
import { main } from "../build/cli.js";

// `pg-index-lint check | head` closes the pipe early: stop quietly, as other tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
process.exitCode = code;
