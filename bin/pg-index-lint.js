#!/usr/bin/env node
// Entry point of the npm bin. The code lives in build/ (compiled by `npm run build`, which
// `npm ci` runs through the `prepare` script).
import { main } from "../build/cli.js";

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
process.exitCode = code;
