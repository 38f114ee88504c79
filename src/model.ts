/**
 * The one model of a migration that every parser emits and every later stage reads
 * (DESIGN.md §3). Rules see `Statement`s and the `Catalog`, never raw files.
 */
import type { Node } from "@pgsql/types";
import type { Words } from "./schema/change.js";

/** A span in a source file. Lines and columns are 1-based; `endColumn` is exclusive, as in SARIF. */
export interface SourceRange {
  /** Path relative to the working directory, with forward slashes. */
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/**
 * Why a statement does or does not run inside a transaction block. `check` explains its verdict
 * with this, and `verify` applies the file the same way.
 */
export type TxReason =
  /** Autocommit: the statement is its own transaction. */
  | "autocommit"
  /** Between an explicit BEGIN/START TRANSACTION and COMMIT/ROLLBACK in the file itself. */
  | "explicit"
  /** The runner wraps each file in a transaction. */
  | "runner-file"
  /** The runner wraps every pending file in one transaction. */
  | "runner-all"
  /** The runner sends the whole file as one multi-statement string: PostgreSQL's implicit transaction. */
  | "implicit-multi-statement";

export interface TxContext {
  inTransaction: boolean;
  reason: TxReason;
  /** One sentence for humans, e.g. "golang-migrate 4.18 sends the file as one string". */
  detail: string;
  /** When the runner put it there: how a migration gets out (the runner model's `optOut`). */
  optOut?: string;
}

/** One SQL statement, located exactly, with the transaction it will run in. */
export interface Statement {
  /**
   * The parsed statement, e.g. `{ IndexStmt: {...} }`, as libpg-query returns it. `check` releases
   * it (an empty object) once the statement is replayed, unless asked to keep syntax trees.
   */
  node: Node;
  /** The statement's SQL text, without leading comments and without the trailing semicolon. */
  sql: string;
  range: SourceRange;
  /** Byte-independent character offset of `sql` within the migration's source text. */
  offset: number;
  tx: TxContext;
  /**
   * True when `sql` was generated from framework code (an Alembic operation, a SQLAlchemy model)
   * rather than read from the file: `range` covers that code, so a text fix built from `sql`
   * cannot replace it.
   */
  generated?: boolean;
}

export interface InlineIgnore {
  rules: string[];
  reason: string;
  /** Where the comment is. */
  range: SourceRange;
  /** The statement it applies to. */
  statement: SourceRange;
}

/** A problem with the input itself (unparsable SQL, a bad journal…), located like a finding. */
export interface InputError {
  message: string;
  range: SourceRange;
}

export interface Migration {
  /** Repo-relative path of the file that holds the migration. */
  file: string;
  /** The runner's own name for it: a version, a timestamp dir, a journal tag. */
  id: string;
  /** The id of the runner that applies it. */
  runner: string;
  statements: Statement[];
  errors: InputError[];
}

/**
 * One ORM model file as a reader understood it: the DDL its declarations imply (what the ORM would
 * create on an empty database), located at the declarations.
 */
export interface ModelFile {
  /** Display path of the file. */
  file: string;
  statements: Statement[];
  errors: InputError[];
  /** Declarations that cannot be read statically; reported as `unsupported-construct`. */
  warnings: InputError[];
  ignores: InlineIgnore[];
  /** Maps a parser location inside a statement's generated SQL to the code behind that clause. */
  locators: Map<Statement, (byteLocation: number | undefined) => SourceRange>;
  /**
   * The source's words bound to what its reader read (the model and field names behind a table
   * and its columns), for advice and fixes that edit this file; the source's own words when absent.
   */
  words?: Words;
}
