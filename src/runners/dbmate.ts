/**
 * dbmate (github.com/amacneil/dbmate): `<version>_<name>.sql` files with `-- migrate:up` and
 * `-- migrate:down` sections; only the up sections run on `dbmate up`.
 */
import { resolve } from "node:path";
import { UserError } from "../errors.js";
import { SourceText } from "../parse/source-text.js";
import { SQL_MIGRATION_WORDS } from "../schema/change.js";
import { fileNames, keepOnly, onceWhileReading, sampleHasMarker } from "./files.js";
import {
  besides,
  keepFirstInPlace,
  moveToNewMigrations,
  sortsRightAfter,
  statementsText,
  versionsAfter,
} from "./isolate.js";
import { DEFAULT_VERSION, goPinnedVersion, npmPinnedVersion } from "./pinned-version.js";
import type {
  IsolateRequest,
  Isolation,
  MigrationFileRef,
  PreparedSection,
  PreparedSql,
  SqlRunner,
  TransactionModel,
} from "./runner.js";

// pkg/dbmate/db.go: migrationFileRegexp = `^(\d+).*\.sql$`.
const MIGRATION_FILE = /^(\d+).*\.sql$/;
// pkg/dbmate/migration.go: upRegExp and downRegExp (multi-line, at the start of a line).
const UP_DIRECTIVE = /^--\s*migrate:up(?:[ \t]*$|\s+\S+)/gm;
const DOWN_DIRECTIVE = /^--\s*migrate:down(?:[ \t]*$|\s+\S+)/gm;

const CITATIONS = [
  "amacneil/dbmate pkg/dbmate/db.go Migrate(): each up section runs with tx.Exec(section.Up) inside doTransaction() (sql.DB.Begin … Commit), or with sqlDB.Exec(section.Up) outside one when UpOptions.Transaction() is false",
  "amacneil/dbmate pkg/dbmate/migration.go parseMigrationOptions(): `-- migrate:up transaction:false` turns the transaction off; the option is read from the directive line only",
  "amacneil/dbmate pkg/driver/postgres/postgres.go uses lib/pq; Exec without arguments is a simple query, so a multi-statement up section runs in PostgreSQL's implicit transaction even with transaction:false (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT)",
  "amacneil/dbmate #620 (v2.29.0): a file may hold several `-- migrate:up` … `-- migrate:down` pairs, each run on its own with its own options",
  "amacneil/dbmate pkg/dbmate/db.go FindMigrations(): files are ordered by file name (Go string order), not by numeric version",
  "amacneil/dbmate README.md 'Options': `-- migrate:up transaction:false` runs the up section outside a transaction, for statements such as CREATE INDEX CONCURRENTLY",
];

const MODEL: TransactionModel = {
  // db.go Migrate(): doTransaction() wraps every up section unless transaction:false.
  fileInTransaction: true,
  allFilesInOneTransaction: false,
  // db.go Migrate(): the section is one Exec (lib/pq simple query), with or without transaction.
  fileSentAsOneString: true,
  detectsNonTransactional: false,
  refusesMixedFile: false,
  optOut:
    "write `-- migrate:up transaction:false` and keep the statement alone in its up section (dbmate still sends a section as one string)",
  citations: CITATIONS,
};

interface UpSection {
  start: number;
  end: number;
  directiveLine: number;
  transaction: boolean;
}

/** The up sections of a dbmate file, as dbmate's parser finds them. Throws UserError where dbmate refuses the file. */
export function dbmateUpSections(text: string, file: string): UpSection[] {
  const source = new SourceText(text, file);
  const ups = [...text.matchAll(UP_DIRECTIVE)].map((m) => m.index ?? 0);
  if (ups.length === 0) {
    throw new UserError("dbmate requires each migration to define an up block with '-- migrate:up'", file);
  }
  const first = ups[0] ?? 0;
  // migration.go statementsPrecedeMigrateBlocks(): only blank and comment lines may precede it.
  for (const line of text.slice(0, first).split("\n")) {
    if (line.trim() !== "" && !/^\s*--/.test(line)) {
      throw new UserError("dbmate does not support statements preceding the '-- migrate:up' block", file);
    }
  }
  const sections: UpSection[] = [];
  for (const [i, upStart] of ups.entries()) {
    const sectionEnd = ups[i + 1] ?? text.length;
    const body = text.slice(upStart, sectionEnd);
    const downs = [...body.matchAll(DOWN_DIRECTIVE)].map((m) => upStart + (m.index ?? 0));
    const line = source.position(upStart).line;
    if (downs.length === 0) {
      throw new UserError(
        "dbmate requires each migration to define a down block with '-- migrate:down'",
        `${file}:${line}`,
      );
    }
    if (downs.length > 1) {
      throw new UserError(
        "dbmate requires every '-- migrate:down' to be preceded by a '-- migrate:up'",
        `${file}:${line}`,
      );
    }
    const directive = body.split("\n", 1)[0] ?? "";
    sections.push({
      start: upStart,
      end: downs[0] ?? sectionEnd,
      directiveLine: line,
      transaction: directiveOption(directive, "transaction") !== "false",
    });
  }
  return sections;
}

/** migration.go parseMigrationOptions(): `key:value` pairs after the directive, split on whitespace. */
function directiveOption(directive: string, key: string): string | undefined {
  const rest = directive.replace(/^--\s*migrate:(up|down)/, "").trim();
  if (rest === "") return undefined;
  for (const pair of rest.split(/\s+/)) {
    const parts = pair.split(":");
    if (parts.length === 2 && parts[0] === key) return parts[1];
  }
  return undefined;
}

export const dbmateRunner: SqlRunner = {
  kind: "migrations",
  id: "dbmate",
  name: "dbmate",
  describe: "dbmate (-- migrate:up sections)",
  words: SQL_MIGRATION_WORDS,
  exampleFile: "20240101000000_example.sql",
  versioned: true,
  // dbmate --migrations-table, default "schema_migrations".
  historyTables: ["schema_migrations"],
  detect: (dir) => sampleHasMarker(dir, MIGRATION_FILE, /^--\s*migrate:up/m),
  list(dir): MigrationFileRef[] {
    // Go's sort on FileName compares bytes: "10_x.sql" comes before "2_x.sql", as dbmate applies them.
    return fileNames(dir)
      .map((name) => ({ name, match: MIGRATION_FILE.exec(name) }))
      .filter((f): f is { name: string; match: RegExpExecArray } => f.match !== null)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((f) => ({ absPath: resolve(dir, f.name), id: f.match[1] ?? f.name }));
  },
  prepare(text, ref): PreparedSql {
    const ups = dbmateUpSections(text, ref.absPath);
    const sections: PreparedSection[] = ups.map((up) => ({
      start: up.start,
      end: up.end,
      noTransaction: !up.transaction,
      ...(up.transaction
        ? {}
        : { optOutSource: `-- migrate:up transaction:false on line ${up.directiveLine}` }),
      label: `the -- migrate:up section on line ${up.directiveLine}`,
    }));
    const optOut = sections.find((s) => s.noTransaction);
    return {
      sql: keepOnly(text, ups),
      noTransaction: sections.length > 0 && sections.every((s) => s.noTransaction),
      ...(optOut?.optOutSource ? { optOutSource: optOut.optOutSource } : {}),
      sections,
    };
  },
  pinnedVersion: (dir) =>
    npmPinnedVersion(dir, ["dbmate"]) ??
    goPinnedVersion(dir, "github.com/amacneil/dbmate/v2") ??
    DEFAULT_VERSION,
  // Every dbmate release runs an up section as one Exec, in a transaction unless transaction:false.
  // prepare() follows the v2.29.0+ parser (several up sections per file). Before 2.29.0 dbmate
  // ran only the first up section and treated everything after the first `-- migrate:down` as
  // down SQL; files with one section, by far the usual, read the same under both.
  model: () => MODEL,
  isolate,
};

/** Go's sort on file names, as FindMigrations() orders them. */
const byName = (names: readonly string[]) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * dbmate's own way out is `-- migrate:up transaction:false` (README, "Options"), and it still sends
 * the section as one string: so the statement must be alone in its section. When it is, the
 * directive gets the option; otherwise it moves to a new file of its own, right after this one.
 */
function isolate(request: IsolateRequest): Isolation {
  const { text, statement, migration } = request;
  let sections: UpSection[];
  try {
    sections = dbmateUpSections(text, request.ref.absPath);
  } catch {
    return { help: MODEL.optOut ?? "" };
  }
  const section = sections.find((s) => statement.offset >= s.start && statement.offset < s.end);
  const alone =
    section !== undefined &&
    migration.statements.filter((s) => s.offset >= section.start && s.offset < section.end).length === 1;
  const name = request.ref.absPath.slice(request.ref.absPath.lastIndexOf("/") + 1);
  const match = /^(\d+)(.*)\.sql$/.exec(name);
  const names = onceWhileReading(`dbmate names\0${request.dir}`, () =>
    fileNames(request.dir).filter((n) => MIGRATION_FILE.test(n)),
  );
  const taken = onceWhileReading(`dbmate versions\0${request.dir}`, () =>
    names.flatMap((n) => MIGRATION_FILE.exec(n)?.[1] ?? []),
  );
  const fileNamesOf = (list: { path: string }[]) =>
    list.map((f) => f.path.slice(f.path.lastIndexOf("/") + 1));
  /** New files right after this one, each with its up section; null when no name is free. */
  const newFiles = (sections: { sql: string[]; noTransaction: boolean }[]) => {
    const versions = match?.[1] ? versionsAfter(match[1], taken, sections.length) : null;
    if (!match || !versions) return null;
    const files = versions.map((version, i) => ({
      path: besides(migration.file, `${version}${match[2]}_concurrently${i ? "_2" : ""}.sql`),
      text: `-- migrate:up${sections[i]?.noTransaction ? " transaction:false" : ""}\n${statementsText(sections[i]?.sql ?? [])}\n-- migrate:down\n`,
    }));
    return sortsRightAfter(byName, names, name, fileNamesOf(files)) ? files : null;
  };
  // Already under transaction:false, it stays; what follows it moves.
  if (section && alone && (statement.tx.reason === "runner-file" || !statement.tx.inTransaction)) {
    const directive = text.slice(section.start).split("\n", 1)[0]?.replace(/\r$/, "") ?? "";
    const line = section.directiveLine;
    const edited = /\stransaction:\S*/.test(directive)
      ? directive.replace(/(\s)transaction:\S*/, "$1transaction:false")
      : `${directive} transaction:false`;
    const rest = request.sql.slice(1);
    const files = rest.length ? newFiles([{ sql: rest, noTransaction: false }]) : [];
    if (files) {
      const edit = {
        file: migration.file,
        line,
        column: 1,
        endLine: line,
        endColumn: directive.length + 1,
        text: edited,
      };
      const then = files.length ? `, and move what follows it to ${fileNamesOf(files).join(", ")}` : "";
      if (!statement.tx.inTransaction) {
        return keepFirstInPlace(
          request,
          files,
          [],
          `move what follows it to ${fileNamesOf(files).join(", ")}`,
        );
      }
      return keepFirstInPlace(
        request,
        files,
        [edit],
        `write \`${edited.trim()}\` on line ${line}, where this statement is alone in its section${then}`,
      );
    }
  }
  // The first file holds the statement with transaction:false; what must follow it, the next.
  const rest = request.sql.slice(1);
  const files = newFiles([
    { sql: request.sql.slice(0, 1), noTransaction: true },
    ...(rest.length ? [{ sql: rest, noTransaction: false }] : []),
  ]);
  if (!files) {
    return {
      help: "put it alone in a new migration right after this one, under `-- migrate:up transaction:false` (no file name is free between this one and the next)",
    };
  }
  return moveToNewMigrations(request, files, "under `-- migrate:up transaction:false`, alone in its section");
}
