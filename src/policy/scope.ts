/**
 * What a change answers for. All migrations are still replayed for context, but:
 * - a finding in a file the change adds or modifies is reported;
 * - a final-state finding (a missing required index, an unindexed foreign key, a duplicate…) on a
 *   table the change touches is reported; on another table it is listed apart (out of scope);
 * - a changed config brings back every finding, since a new requirement can concern any table;
 * - a final-state finding located at the config (a required index whose table is missing, or that
 *   verify could not prove) answers for the table its requirement names: reported when the change
 *   touches that table, or, when the table no longer exists, when a changed migration names it;
 * - any other finding is an old one in an untouched file, and is left out.
 * The CLI's --changed-since and the Action's pull-request scope are this one function.
 */
import { execFileSync } from "node:child_process";
import { UserError } from "../errors.js";
import type { Finding } from "../finding.js";
import type { Migration } from "../model.js";
import { isFinalState } from "../rules/index.js";
import { type Catalog, displayName } from "../schema/catalog.js";
import { parseQualifiedName } from "../schema/names.js";

export interface Scoped {
  /** Reported: they count towards the verdict. */
  reported: Finding[];
  /** Final-state findings on tables the change does not touch: listed apart, not counted. */
  outOfScope: Finding[];
  /** Findings in files the change does not touch: left out. */
  omitted: Finding[];
}

export function scopeFindings(
  findings: readonly Finding[],
  changed: ReadonlySet<string>,
  catalogs: readonly Catalog[],
  configFile: string | null,
  migrations: readonly Pick<Migration, "file" | "statements">[] = [],
): Scoped {
  if (configFile && changed.has(configFile)) return { reported: [...findings], outOfScope: [], omitted: [] };
  const touched = touchedTables(changed, catalogs, findings);
  const scope: Scoped = { reported: [], outOfScope: [], omitted: [] };
  for (const f of findings) {
    if (changed.has(f.file)) scope.reported.push(f);
    else if (isFinalState(f.rule)) {
      const inScope =
        f.table !== undefined &&
        (configFile !== null && f.file === configFile
          ? requirementTouched(f.table, touched, catalogs, changed, migrations)
          : touched.has(f.table));
      (inScope ? scope.reported : scope.outOfScope).push(f);
    } else scope.omitted.push(f);
  }
  return scope;
}

/**
 * Whether the change touches the table a requirement names, as the config writes it
 * (`Orders`, `public.orders`, `"Orders"`): the catalog's table when it exists, else any changed
 * migration whose SQL names it (a DROP or RENAME that made it disappear).
 */
function requirementTouched(
  written: string,
  touched: ReadonlySet<string>,
  catalogs: readonly Catalog[],
  changed: ReadonlySet<string>,
  migrations: readonly Pick<Migration, "file" | "statements">[],
): boolean {
  if (touched.has(written)) return true;
  const parts = parseQualifiedName(written);
  const name = parts.at(-1) ?? written;
  const schema = parts.length > 1 ? parts[0] : undefined;
  for (const catalog of catalogs) {
    const table = catalog.resolveTable(schema, name);
    if (table) return touched.has(displayName(table));
  }
  const word = new RegExp(`(^|[^\\w$])"?${escapeRegExp(name)}"?($|[^\\w$])`, "i");
  return migrations.some((m) => changed.has(m.file) && m.statements.some((st) => word.test(st.sql)));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Tables a changed file creates, indexes or constrains, as the replay recorded them, plus the
 * tables of findings in changed files (which covers statements the replay left out).
 */
export function touchedTables(
  changed: ReadonlySet<string>,
  catalogs: readonly Catalog[],
  findings: readonly Finding[],
): Set<string> {
  const touched = new Set<string>();
  for (const catalog of catalogs) {
    for (const table of catalog.tables.values()) {
      const sources = [
        table.source,
        ...[...table.indexes.values()].map((i) => i.source),
        ...[...table.foreignKeys.values()].map((fk) => fk.source),
      ];
      if (sources.some((s) => changed.has(s.file))) touched.add(displayName(table));
    }
  }
  for (const f of findings) if (f.table && changed.has(f.file)) touched.add(f.table);
  return touched;
}

/** Files changed since `ref` (committed or not) and untracked files, relative to the working directory. */
export function changedSince(ref: string): Set<string> {
  // A value that starts with "-" would reach git as an option (--output=FILE writes a file).
  if (ref.startsWith("-")) throw new UserError(`--changed-since takes a git revision, not "${ref}"`);
  const git = (args: string[]) => {
    try {
      return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim().split("\n")[0];
      throw new UserError(`--changed-since ${ref}: git failed${stderr ? `: ${stderr}` : ""}`);
    }
  };
  // --end-of-options: whatever the value, git takes it as a revision, never as an option.
  const diff = git(["diff", "--name-only", "--relative", "--end-of-options", ref, "--"]);
  const untracked = git(["ls-files", "--others", "--exclude-standard"]);
  return new Set(`${diff}\n${untracked}`.split("\n").filter(Boolean));
}
