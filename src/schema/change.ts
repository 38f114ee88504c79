/**
 * A change to the schema that a finding advises (build this index, drop that one, name this
 * constraint), independent of how a team ships schema changes. A source (a migration runner, an
 * ORM) turns it into advice in its own words (`Words`), and `changeSql` into the PostgreSQL
 * statement. Rules describe changes; they never name a framework.
 */
import type { Fix } from "../finding.js";
import { makeIndexName, quoteIdent } from "./names.js";

/** A table as changes name it. */
export interface TableRef {
  schema: string;
  name: string;
}

/** One key of an index to build: a column or an expression, ascending or descending. */
export interface KeySpec {
  column?: string;
  expression?: string;
  desc?: boolean;
}

export interface IndexSpec {
  table: TableRef;
  /** The index's name; `suggestIndex` chooses one when the finding has none. */
  name: string;
  keys: KeySpec[];
  unique?: boolean;
  /** A partial index's predicate, as SQL. */
  where?: string | null;
  method?: string;
}

export type SchemaChange =
  | { kind: "create-table"; table: TableRef }
  | { kind: "create-index"; index: IndexSpec }
  | { kind: "drop-index"; table: TableRef; name: string }
  /** Give an index that the migrations build under another name the model's name. */
  | { kind: "rename-index"; table: TableRef; from: string; to: string }
  /** Give the model's index this name, so that it matches the migrations. */
  | { kind: "name-index"; table: TableRef; name: string }
  | {
      kind: "create-foreign-key";
      table: TableRef;
      name: string;
      columns: string[];
      refTable: TableRef;
      refColumns: string[];
    }
  | { kind: "drop-foreign-key"; table: TableRef; name: string }
  /** Give the model's foreign key this constraint name. */
  | { kind: "name-foreign-key"; table: TableRef; name: string };

/**
 * How a source words advice: a migration runner says "add a migration with …", an ORM says
 * "declare … in the model". Every help line that names a framework's own calls comes from here.
 */
export interface Words {
  /** One sentence, ending in its own punctuation: how to make the change in this source. */
  advise(change: SchemaChange): string;
  /**
   * What regenerates migrations from the models and so would undo a hand-made difference
   * ("`alembic revision --autogenerate`"); null when nothing does.
   */
  regenerate: string | null;
  /**
   * What regenerating does to an index the migrations build and the models do not declare, as a
   * clause; without it, "the next `regenerate` would drop it". drizzle-kit diffs the schema against
   * its last snapshot, not the migrated database, so a hand-written index is dropped only by `push`.
   */
  undeclaredIndex?: string;
  /** The comment that silences `rule` on one statement or declaration. */
  ignoreComment(rule: string): string;
  /** The help for a file of this source that does not parse. */
  syntaxErrorHelp: string;
  /**
   * The change as an edit of the source's own files (an ORM's declaration), when the source can
   * write it there; absent or null otherwise.
   */
  fix?(change: SchemaChange): Fix | null;
}

/** A table's name as SQL: quoted where PostgreSQL needs it, schema-qualified outside `public`. */
export function qualifiedName(table: TableRef): string {
  return table.schema === "public"
    ? quoteIdent(table.name)
    : `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
}

/** An index to build on `table`, named `idx_<table>_<columns>` within PostgreSQL's 63 bytes. */
export function suggestIndex(table: TableRef, keys: KeySpec[], extra: Partial<IndexSpec> = {}): IndexSpec {
  const name = makeIndexName(
    table.name,
    keys.map((k) => k.column ?? "expr"),
  );
  return { table, name, keys, ...extra };
}

/** The statement that makes a change on a live database, without blocking writes where it can. */
export function changeSql(change: SchemaChange): string {
  switch (change.kind) {
    case "create-table":
      return `CREATE TABLE ${qualifiedName(change.table)} (…)`;
    case "create-index": {
      const i = change.index;
      const keys = i.keys.map(
        (k) =>
          (k.column !== undefined ? quoteIdent(k.column) : `(${k.expression})`) + (k.desc ? " DESC" : ""),
      );
      const method = i.method && i.method !== "btree" ? ` USING ${i.method}` : "";
      return `CREATE ${i.unique ? "UNIQUE " : ""}INDEX CONCURRENTLY ${quoteIdent(i.name)} ON ${qualifiedName(i.table)}${method} (${keys.join(", ")})${i.where ? ` WHERE ${i.where}` : ""};`;
    }
    case "drop-index":
      return `DROP INDEX CONCURRENTLY ${qualifiedName({ schema: change.table.schema, name: change.name })};`;
    case "rename-index":
      return `ALTER INDEX ${qualifiedName({ schema: change.table.schema, name: change.from })} RENAME TO ${quoteIdent(change.to)};`;
    case "create-foreign-key": {
      const table = qualifiedName(change.table);
      // NOT VALID first: adding it validated scans the table under a SHARE ROW EXCLUSIVE lock.
      return `ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(change.name)} FOREIGN KEY (${change.columns.map(quoteIdent).join(", ")}) REFERENCES ${qualifiedName(change.refTable)} (${change.refColumns.map(quoteIdent).join(", ")}) NOT VALID; ALTER TABLE ${table} VALIDATE CONSTRAINT ${quoteIdent(change.name)};`;
    }
    case "drop-foreign-key":
      return `ALTER TABLE ${qualifiedName(change.table)} DROP CONSTRAINT ${quoteIdent(change.name)};`;
    case "name-index":
    case "name-foreign-key":
      return "";
  }
}

/** The words of a source that ships schema changes as SQL migration files. */
export function sqlMigrationWords(options: {
  /** "migration" for most runners; "revision" for Alembic. */
  noun?: string;
  regenerate?: string | null;
  ignoreComment?: (rule: string) => string;
  syntaxErrorHelp?: string;
  /** Wraps a statement in the source's own call, e.g. `op.execute("…")`. */
  wrap?: (sql: string) => string;
}): Words {
  const noun = options.noun ?? "migration";
  const wrap = options.wrap ?? ((sql: string) => sql);
  return {
    advise(change) {
      switch (change.kind) {
        case "create-table":
          return `Add a ${noun} that creates the table${options.regenerate ? ` (${options.regenerate})` : ""}, or point migrations at the folder that does.`;
        case "name-index":
          return `Rename the index to "${change.name}" in a ${noun}.`;
        case "name-foreign-key":
          return `Rename the constraint to "${change.name}" in a ${noun}.`;
        default:
          return `Add a ${noun} with: ${wrap(changeSql(change))}`;
      }
    },
    regenerate: options.regenerate ?? null,
    ignoreComment: options.ignoreComment ?? ((rule) => `-- pg-index-lint-ignore ${rule}: <reason>`),
    syntaxErrorHelp: options.syntaxErrorHelp ?? "Fix the SQL; this file's statements were not checked.",
  };
}

/** The words of a runner that applies plain SQL files. */
export const SQL_MIGRATION_WORDS: Words = sqlMigrationWords({});
