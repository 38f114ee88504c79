/**
 * Alembic: Python revision files in `versions/`, applied in the order of the revision graph
 * (`revision` → `down_revision`), never by file name. The operations of `upgrade()` are read with
 * @lezer/python and turned into the DDL Alembic would send (src/python/alembic.ts).
 *
 * Transactions on PostgreSQL (a database with transactional DDL):
 * - By default the whole `alembic upgrade` runs in one transaction: env.py wraps
 *   `context.run_migrations()` in `context.begin_transaction()`, which starts a real transaction
 *   "if the target database supports transactional DDL … [and] the
 *   EnvironmentContext.configure.transaction_per_migration flag is not set"
 *   (alembic.sqlalchemy.org/en/latest/api/runtime.html, MigrationContext.begin_transaction).
 * - With `context.configure(..., transaction_per_migration=True)` in env.py, each revision runs in
 *   its own transaction (EnvironmentContext.configure, same page).
 * - `with op.get_context().autocommit_block():` (Alembic ≥ 1.2) commits the transaction so far,
 *   runs the block under the AUTOCOMMIT isolation level, and begins a new transaction after it;
 *   "the database transaction preceding the block is unconditionally committed"
 *   (MigrationContext.autocommit_block, same page). The docs name CREATE INDEX CONCURRENTLY-style
 *   PostgreSQL DDL as its purpose.
 * - SQLAlchemy emits `CREATE INDEX CONCURRENTLY` for `postgresql_concurrently=True`, but does not
 *   leave the transaction for it (sqlalchemy#3887: "CREATE INDEX CONCURRENTLY cannot run inside a
 *   transaction block").
 */
import { dirname, join, resolve } from "node:path";
import { UserError } from "../errors.js";
import type { InputError, SourceRange, Statement } from "../model.js";
import type { ParsedStatement } from "../parse/sql.js";
import { displayPath } from "../paths.js";
import { readRevisionHeader, translateRevision } from "../python/alembic.js";
import { dottedName, inlineIgnores, lastPart, parsePython, rangeOf, statementsOf } from "../python/syntax.js";
import { bool, evaluate, Scope } from "../python/values.js";
import { changeSql, sqlMigrationWords, type Words } from "../schema/change.js";
import { quoteIdent } from "../schema/names.js";
import { readTextNear } from "../sources/read.js";
import { entries, isFile } from "./files.js";
import { ancestors, DEFAULT_VERSION } from "./pinned-version.js";
import type {
  AssumedVersion,
  CodeRunner,
  IsolateRequest,
  Isolation,
  LoadedMigration,
  MigrationFileRef,
  PreparedSection,
  TransactionModel,
} from "./runner.js";
import { assignTransactions } from "./transactions.js";

const CITATIONS = [
  "alembic.sqlalchemy.org/en/latest/api/runtime.html MigrationContext.begin_transaction(): a real transaction around the whole run when the database has transactional DDL and transaction_per_migration is not set",
  "alembic.sqlalchemy.org/en/latest/api/runtime.html EnvironmentContext.configure(transaction_per_migration=False): True runs each migration script in its own transaction",
  "alembic.sqlalchemy.org/en/latest/api/runtime.html MigrationContext.autocommit_block() (Alembic 1.2+): commits the preceding transaction and runs the block in AUTOCOMMIT, for PostgreSQL DDL that must run outside a transaction block",
  "sqlalchemy#3887 (bitbucket zzzeek/sqlalchemy): Index(postgresql_concurrently=True) fails with 'CREATE INDEX CONCURRENTLY cannot run inside a transaction block' unless the connection is in autocommit",
];

const OPT_OUT = "wrap the operation in `with op.get_context().autocommit_block():`";

const py = (text: string) => JSON.stringify(text);
const pyList = (items: string[]) => `[${items.map(py).join(", ")}]`;
const REVISION_WORDS = sqlMigrationWords({
  noun: "revision",
  regenerate: "alembic revision --autogenerate",
  wrap: (sql) => `op.execute(${py(sql)})`,
});

/**
 * Advice in Alembic's operations. An index is built or dropped CONCURRENTLY inside
 * `autocommit_block()`, the only place where PostgreSQL accepts it under Alembic.
 */
export const ALEMBIC_WORDS: Words = {
  advise(change) {
    const block = "with op.get_context().autocommit_block(): ";
    if (change.kind === "create-index" && change.index.keys.every((k) => k.column !== undefined)) {
      const i = change.index;
      const options = [
        i.unique ? "unique=True" : "",
        i.method && i.method !== "btree" ? `postgresql_using=${py(i.method)}` : "",
        i.where ? `postgresql_where=sa.text(${py(i.where)})` : "",
        "postgresql_concurrently=True",
      ].filter(Boolean);
      const keys = i.keys.map((k) =>
        k.desc ? `sa.text(${py(`${quoteIdent(k.column ?? "")} DESC`)})` : py(k.column ?? ""),
      );
      const schema = i.table.schema === "public" ? "" : `, schema=${py(i.table.schema)}`;
      return `Add a revision with: ${block}op.create_index(${py(i.name)}, ${py(i.table.name)}, [${keys.join(", ")}]${schema}, ${options.join(", ")})`;
    }
    if (change.kind === "create-index")
      return `Add a revision with: ${block}op.execute(${py(changeSql(change))})`;
    if (change.kind === "drop-index") {
      const schema = change.table.schema === "public" ? "" : `, schema=${py(change.table.schema)}`;
      return `Add a revision with: ${block}op.drop_index(${py(change.name)}, table_name=${py(change.table.name)}${schema}, postgresql_concurrently=True)`;
    }
    if (change.kind === "create-foreign-key") {
      return `Add a revision with: op.create_foreign_key(${py(change.name)}, ${py(change.table.name)}, ${py(change.refTable.name)}, ${pyList(change.columns)}, ${pyList(change.refColumns)})`;
    }
    return REVISION_WORDS.advise(change);
  },
  regenerate: "alembic revision --autogenerate",
  ignoreComment: (rule) => `# pg-index-lint: ignore[${rule}]`,
  syntaxErrorHelp: "Fix the Python syntax; this file's operations were not checked.",
};

function model(_version: string | null, perMigration = false): TransactionModel {
  return {
    fileInTransaction: perMigration,
    allFilesInOneTransaction: !perMigration,
    // Each operation is its own execute() call on the DBAPI connection.
    fileSentAsOneString: false,
    detectsNonTransactional: false,
    refusesMixedFile: false,
    optOut: OPT_OUT,
    citations: CITATIONS,
  };
}

/** The folder that holds the revision files: `<dir>/versions`, or `dir` itself. */
export function versionsDir(dir: string): string {
  const versions = join(dir, "versions");
  return entries(versions).length > 0 || revisionFileNames(dir).length === 0 ? versions : dir;
}

function revisionFileNames(dir: string): string[] {
  // Alembic's ScriptDirectory skips __init__.py and editor backups (`.#x.py`).
  // Links and other non-folders are listed, so that reading one says why it was refused.
  return entries(dir)
    .filter(
      (e) =>
        !e.isDirectory() && e.name.endsWith(".py") && e.name !== "__init__.py" && !e.name.startsWith(".#"),
    )
    .map((e) => e.name);
}

const REVISION_RE = /^\s*revision\s*(?::[^=\n]*)?=\s*['"]/m;

/** Is this Python text an Alembic revision (`revision = "…"` and a `def upgrade`), not a model? */
export function isRevisionText(text: string): boolean {
  return REVISION_RE.test(text) && /^def upgrade\s*\(/m.test(text);
}

/**
 * `context.configure(..., transaction_per_migration=True)` in the env.py next to the versions
 * folder. Read from the syntax tree, so that a comment or docstring naming it does not count.
 */
export function transactionPerMigration(dir: string): { on: boolean; source: string | null } {
  for (const candidate of [join(dir, "env.py"), join(dir, "..", "env.py")]) {
    if (!isFile(candidate)) continue;
    const text = readTextNear(candidate, dirname(candidate));
    if (text === null) continue;
    const py = parsePython(text, displayPath(resolve(candidate)));
    const scope = new Scope(py).collect(statementsOf(py.tree.topNode));
    let found: { on: boolean; source: string | null } = { on: false, source: null };
    py.tree.iterate({
      enter(ref) {
        if (ref.name !== "CallExpression" || found.on) return;
        if (lastPart(dottedName(py, ref.node.firstChild)) !== "configure") return;
        const value = evaluate(scope, ref.node);
        if (value.kind !== "call") return;
        const flag = value.kwargs.get("transaction_per_migration");
        if (bool(flag) === true && flag)
          found = { on: true, source: `${py.file}:${rangeOf(py, flag.node).line}` };
      },
    });
    return found;
  }
  return { on: false, source: null };
}

export const alembicRunner: CodeRunner = {
  kind: "migrations",
  id: "alembic",
  name: "Alembic",
  describe: "Alembic (versions/*.py, in revision-graph order)",
  words: ALEMBIC_WORDS,
  exampleFile: "0001_example.py",
  versioned: true,
  // version_table in env.py's context.configure(), default "alembic_version".
  historyTables: ["alembic_version"],
  detect(dir) {
    const versions = join(dir, "versions");
    if (isFile(join(dir, "env.py")) && entries(versions).some((e) => e.isDirectory() === false)) return true;
    const candidates = [versions, dir];
    return candidates.some((folder) =>
      revisionFileNames(folder)
        .slice(0, 5)
        .some((name) => REVISION_RE.test(readTextNear(join(folder, name), dir) ?? "")),
    );
  },
  list(dir): MigrationFileRef[] {
    const folder = versionsDir(dir);
    const revisions: { ref: MigrationFileRef; down: string[]; depends: string[]; name: string }[] = [];
    const unreadable: MigrationFileRef[] = [];
    for (const name of revisionFileNames(folder).sort()) {
      const absPath = join(folder, name);
      const text = readTextNear(absPath, dir);
      if (text === null) {
        // Reading it again for the run reports why it cannot be read, at the file.
        unreadable.push({ absPath, id: name });
        continue;
      }
      const header = readRevisionHeader(parsePython(text, displayPath(absPath)));
      if (header.revision === null || header.problem) {
        // load() reports why (a syntax error, or a revision it cannot read) at the file.
        unreadable.push({ absPath, id: name });
        continue;
      }
      revisions.push({
        ref: { absPath, id: header.revision },
        down: header.downRevisions,
        depends: header.dependsOn,
        name,
      });
    }
    return [...orderByGraph(revisions, folder), ...unreadable];
  },
  pinnedVersion(dir): AssumedVersion {
    return pythonPinnedVersion(dir) ?? DEFAULT_VERSION;
  },
  model: (version) => model(version),
  isolate,
  modelAt(dir, version) {
    return model(version, transactionPerMigration(dir).on);
  },
  load(text, ref, txModel, label, part = "upgrade"): LoadedMigration {
    const file = displayPath(ref.absPath);
    const py = parsePython(text, file);
    if (py.errors.length > 0) {
      // A file lezer had to repair is not trusted: its operations are not checked.
      return { statements: [], errors: py.errors, ignores: inlineIgnores(py), warnings: [] };
    }
    const header = readRevisionHeader(py);
    if (header.problem) throw new UserError(`Alembic cannot use this revision file: ${header.problem}`, file);
    const translated = translateRevision(py, part);
    const parsed: ParsedStatement[] = translated.statements.map((s) => ({
      node: s.node,
      sql: s.sql,
      range: s.range,
      offset: s.offset,
    }));
    const sections = sectionsFor(translated.statements, text.length);
    // The same decision procedure as the SQL runners: an autocommit_block is a section that opts
    // out of the runner's transaction; an op.execute("COMMIT") ends it, as in a SQL file.
    const statements: Statement[] = assignTransactions(
      parsed,
      txModel,
      { sql: text, noTransaction: false, sections },
      label,
    ).map((s) => ({ ...s, generated: true }));
    const locators = new Map<Statement, (byteLocation: number | undefined) => SourceRange>();
    statements.forEach((statement, i) => {
      const source = translated.statements[i];
      if (source) locators.set(statement, source.locate);
    });
    const warnings: InputError[] = translated.skipped.map((s) => ({ message: s.message, range: s.range }));
    return {
      statements,
      errors: translated.errors,
      // The downgrade pass reads the same file: its comments were collected with the upgrade.
      ignores: part === "upgrade" ? inlineIgnores(py) : [],
      warnings,
      locators,
    };
  },
};

/**
 * Alembic's way out is `with op.get_context().autocommit_block():` (MigrationContext.autocommit_block,
 * Alembic 1.2+): an operation already written CONCURRENTLY is wrapped in one, its lines indented
 * under it. An operation that must also change (postgresql_concurrently=True) gets the words only.
 */
function isolate(request: IsolateRequest): Isolation {
  const { statement, text } = request;
  const unchanged = request.sql.length === 1 && request.sql[0] === statement.sql;
  const help = unchanged
    ? OPT_OUT
    : `${OPT_OUT}, and build it CONCURRENTLY there (postgresql_concurrently=True, or CONCURRENTLY in its SQL)`;
  if (!unchanged || statement.tx.reason === "explicit") return { help };
  const lines = text.split("\n").map((line) => line.replace(/\r$/, ""));
  const first = lines[statement.range.line - 1] ?? "";
  const last = lines[statement.range.endLine - 1] ?? "";
  const indent = /^[ \t]*/.exec(first)?.[0] ?? "";
  // Only whole lines can move under the block: nothing before the operation, nothing after it.
  const before = first.slice(0, statement.range.column - 1);
  const after = last.slice(statement.range.endColumn - 1).trim();
  if (before !== indent || (after !== "" && !after.startsWith("#"))) return { help };
  const body = lines
    .slice(statement.range.line - 1, statement.range.endLine)
    .map((line) => (line.trim() === "" ? line : `    ${line}`));
  return {
    help,
    fix: {
      replacement: [`${indent}with op.get_context().autocommit_block():`, ...body].join("\n"),
      range: {
        file: statement.range.file,
        line: statement.range.line,
        column: 1,
        endLine: statement.range.endLine,
        endColumn: last.length + 1,
      },
      code: true,
    },
  };
}

/** The runner's transaction sections: each autocommit_block on its own, the rest in the runner's transaction. */
function sectionsFor(
  statements: { autocommitBlock: { from: number; to: number; line: number } | null }[],
  length: number,
): PreparedSection[] {
  const blocks = new Map<number, { from: number; to: number; line: number }>();
  for (const s of statements) if (s.autocommitBlock) blocks.set(s.autocommitBlock.from, s.autocommitBlock);
  const sorted = [...blocks.values()].sort((a, b) => a.from - b.from);
  const sections: PreparedSection[] = [];
  let at = 0;
  for (const block of sorted) {
    if (block.from < at) continue; // nested in one already taken
    if (block.from > at)
      sections.push({ start: at, end: block.from, noTransaction: false, label: "the whole file" });
    sections.push({
      start: block.from,
      end: block.to,
      noTransaction: true,
      optOutSource: `with op.get_context().autocommit_block() on line ${block.line}`,
      label: `the autocommit_block on line ${block.line}`,
    });
    at = block.to;
  }
  sections.push({ start: at, end: Math.max(length, at) + 1, noTransaction: false, label: "the whole file" });
  return sections;
}

interface RevisionNode {
  ref: MigrationFileRef;
  down: string[];
  depends: string[];
  name: string;
}

/** Topological order from the base revisions up to the one head; ties by file name. */
function orderByGraph(revisions: RevisionNode[], folder: string): MigrationFileRef[] {
  const byId = new Map<string, RevisionNode>();
  for (const r of revisions) {
    const other = byId.get(r.ref.id);
    if (other) {
      throw new UserError(
        `Alembic revision "${r.ref.id}" is defined twice, in ${other.name} and ${r.name}`,
        displayPath(folder),
      );
    }
    byId.set(r.ref.id, r);
  }
  for (const r of revisions) {
    for (const parent of r.down) {
      if (!byId.has(parent)) {
        throw new UserError(
          `Alembic revision "${r.ref.id}" (${r.name}) has down_revision "${parent}", which no revision file defines`,
          displayPath(folder),
        );
      }
    }
  }
  const children = new Map<string, string[]>();
  for (const r of revisions) for (const p of r.down) children.set(p, [...(children.get(p) ?? []), r.ref.id]);
  const heads = revisions.filter((r) => !children.has(r.ref.id));
  if (heads.length > 1) {
    throw new UserError(
      `Alembic history has ${heads.length} heads: ${heads.map((h) => `"${h.ref.id}" (${h.name})`).join(", ")}; merge them with \`alembic merge heads\``,
      displayPath(folder),
    );
  }
  refuseCycles(revisions, byId, folder);
  return alembicUpgradeOrder(revisions, byId, heads).map((id) => (byId.get(id) as RevisionNode).ref);
}

/** Alembic refuses a revision graph with a cycle (RevisionMap._detect_cycles); so do we, naming the files. */
function refuseCycles(revisions: RevisionNode[], byId: Map<string, RevisionNode>, folder: string): void {
  const parents = (r: RevisionNode) => [...r.down, ...r.depends.filter((d) => byId.has(d))];
  const done = new Set<string>();
  let progress = true;
  while (progress) {
    progress = false;
    for (const r of revisions) {
      if (!done.has(r.ref.id) && parents(r).every((p) => done.has(p))) {
        done.add(r.ref.id);
        progress = true;
      }
    }
  }
  const stuck = revisions
    .filter((r) => !done.has(r.ref.id))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (stuck.length > 0) {
    throw new UserError(
      `Alembic revisions form a cycle: ${stuck.map((r) => `"${r.ref.id}" (${r.name})`).join(", ")}`,
      displayPath(folder),
    );
  }
}

/**
 * The order `alembic upgrade heads` applies revisions in, which is not the file names' order when
 * branches diverge and merge: alembic/script/revision.py `RevisionMap._topological_sort` walks down
 * from the heads, following one branch until another head still needs the revision it reached,
 * with the revision map's insertion order (the files, sorted by name) breaking ties; the upgrade
 * runs that walk reversed (script/base.py `_upgrade_revs`). A cycle is an error.
 */
function alembicUpgradeOrder(
  revisions: RevisionNode[],
  byId: Map<string, RevisionNode>,
  heads: RevisionNode[],
): string[] {
  const inserted = [...revisions]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((r) => r.ref.id);
  // depends_on counts as a down revision unless it is already an ancestor (_normalized_down_revisions).
  const versionedAncestors = (id: string): Set<string> => {
    const seen = new Set<string>();
    const todo = [...(byId.get(id)?.down ?? [])];
    while (todo.length) {
      const next = todo.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push(...(byId.get(next)?.down ?? []));
    }
    return seen;
  };
  const normalizedDown = new Map<string, string[]>();
  const extraDependencies = new Map<string, boolean>();
  for (const r of revisions) {
    const known = versionedAncestors(r.ref.id);
    const deps = r.depends.filter((d) => byId.has(d) && !known.has(d));
    normalizedDown.set(r.ref.id, [...r.down, ...deps]);
    extraDependencies.set(r.ref.id, deps.length > 0);
  }
  const ancestors = (id: string): Set<string> => {
    const seen = new Set<string>();
    const todo = [id];
    while (todo.length) {
      const next = todo.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push(...(normalizedDown.get(next) ?? []));
    }
    return seen;
  };
  const todo = new Set(revisions.map((r) => r.ref.id));
  const currentHeads = heads.map((h) => h.ref.id).sort((a, b) => inserted.indexOf(a) - inserted.indexOf(b));
  const ancestorsByIndex = currentHeads.map(ancestors);
  const output: string[] = [];
  let candidateIndex = 0;
  let guard = 0;
  while (currentHeads.length > 0) {
    if (guard++ > revisions.length * revisions.length + 10)
      throw new UserError("Alembic revisions form a cycle");
    const candidate = currentHeads[candidateIndex] as string;
    const waiting = ancestorsByIndex.findIndex((set, i) => i !== candidateIndex && set.has(candidate));
    if (waiting >= 0) {
      // Another head still needs this revision: walk that branch first.
      candidateIndex = waiting;
      continue;
    }
    if (todo.has(candidate)) {
      output.push(candidate);
      todo.delete(candidate);
    }
    const toAdd = (normalizedDown.get(candidate) ?? []).filter(
      (r) => todo.has(r) && !currentHeads.includes(r),
    );
    if (toAdd.length === 0) {
      currentHeads.splice(candidateIndex, 1);
      ancestorsByIndex.splice(candidateIndex, 1);
      candidateIndex = Math.max(candidateIndex - 1, 0);
    } else if (!extraDependencies.get(candidate) && (byId.get(candidate)?.down.length ?? 0) === 1) {
      currentHeads[candidateIndex] = toAdd[0] as string;
      ancestorsByIndex[candidateIndex]?.delete(candidate);
    } else {
      currentHeads[candidateIndex] = toAdd[0] as string;
      currentHeads.push(...toAdd.slice(1));
      ancestorsByIndex[candidateIndex] = ancestors(toAdd[0] as string);
      ancestorsByIndex.push(...toAdd.slice(1).map(ancestors));
    }
  }
  if (todo.size > 0) {
    throw new UserError(
      `Alembic revisions form a cycle: ${[...todo].map((id) => `"${id}" (${byId.get(id)?.name})`).join(", ")}`,
    );
  }
  return output.reverse();
}

/** `alembic==1.13.1` in requirements*.txt, pyproject.toml, poetry.lock, uv.lock or Pipfile.lock near `dir`. */
export function pythonPinnedVersion(dir: string): AssumedVersion | null {
  for (const folder of ancestors(dir)) {
    const names = entries(folder)
      .filter(
        (e) =>
          e.isFile() &&
          /^(requirements.*\.txt|pyproject\.toml|poetry\.lock|uv\.lock|Pipfile\.lock|setup\.cfg)$/.test(
            e.name,
          ),
      )
      .map((e) => e.name)
      .sort((a, b) => rank(a) - rank(b));
    for (const name of names) {
      const text = readTextNear(join(folder, name), folder);
      if (text === null) continue;
      const version = alembicVersionIn(name, text);
      if (version) return { version, source: `${name} (alembic ${version})` };
    }
  }
  return null;
}

/** Lock files name the installed version; manifests only a range. */
function rank(name: string): number {
  return name.endsWith(".lock") ? 0 : name.startsWith("requirements") ? 1 : 2;
}

function alembicVersionIn(name: string, text: string): string | null {
  if (name === "poetry.lock" || name === "uv.lock") {
    return /\[\[package\]\]\s*name\s*=\s*"alembic"\s*version\s*=\s*"([^"]+)"/i.exec(text)?.[1] ?? null;
  }
  if (name === "Pipfile.lock")
    return /"alembic"\s*:\s*\{[^}]*"version"\s*:\s*"==([^"]+)"/.exec(text)?.[1] ?? null;
  return (
    /(?:^|["'\s])alembic\s*(?:\[[^\]]*\])?\s*(?:==|~=|>=|\^|=)\s*"?v?(\d+(?:\.\d+)*)/im.exec(text)?.[1] ??
    null
  );
}
