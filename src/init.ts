/**
 * `pg-index-lint init`: finds migration folders below the working directory and writes a starter
 * `.pg-index-lint.yml`. It never overwrites an existing config.
 */
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_NAMES } from "./config/load.js";
import { UserError } from "./errors.js";
import { displayPath } from "./paths.js";
import { detectRunner } from "./sources/index.js";

const SKIP = new Set(["node_modules", ".git", "dist", "build", "vendor", "target", ".venv", "venv"]);

export function initConfig(cwd: string): string {
  for (const name of CONFIG_NAMES) {
    if (existsSync(join(cwd, name))) throw new UserError("a config already exists; edit it instead", name);
  }
  const found: { path: string; runner: string }[] = [];
  const walk = (dir: string, depth: number) => {
    const runner = detectRunner(dir);
    if (runner && /migrat|schema|sql|db/i.test(dir)) {
      found.push({ path: displayPath(dir, cwd), runner: runner.id });
      return;
    }
    if (depth === 0) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && !SKIP.has(entry.name) && !entry.name.startsWith("."))
        walk(join(dir, entry.name), depth - 1);
    }
  };
  walk(cwd, 5);
  const migrations = found.length
    ? found.map((f) => `  - path: ${f.path}\n    runner: ${f.runner}\n`).join("")
    : "  - path: migrations   # no migrations folder was found; point this at yours\n";
  const text = `# pg-index-lint configuration; the README lists every key.
# yaml-language-server: $schema=./node_modules/pg-index-lint/schema/config.schema.json
migrations:
${migrations}
# The indexes your hot queries need. pg-index-lint fails when one is missing.
required-indexes: []
#  - table: users
#    columns: [email]
#    why: every login looks users up by email
`;
  writeFileSync(join(cwd, CONFIG_NAMES[0] as string), text);
  return `wrote ${CONFIG_NAMES[0]} with ${found.length} migrations folder${found.length === 1 ? "" : "s"}: ${found.map((f) => `${f.path} (${f.runner})`).join(", ") || "none found"}\n`;
}
