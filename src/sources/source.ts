/**
 * One interface for everything that yields statements: migration runners (SQL files, or code such
 * as Alembic's revisions) and ORM model readers (SQLAlchemy). A source declares its files, its
 * detection, how it yields located statements, and the words its advice uses, so that no rule and
 * no pipeline code knows a framework. Adding one is one module plus one line in ./index.ts.
 */
import type { ModelFile } from "../model.js";
import type { Runner } from "../runners/runner.js";
import type { Words } from "../schema/change.js";

/** A migration runner: its files and their order, its SQL, its transaction model (data). */
export type MigrationSource = Runner;

/** A file a model source reads, already decoded. */
export interface SourceFile {
  absPath: string;
  /** Display path. */
  file: string;
  text: string;
}

/** Where a models entry is: its path (a folder, or one file) and the config's folder above it. */
export interface ModelContext {
  /** Absolute path of the folder the entry's files are in (the entry's path, or a file's folder). */
  dir: string;
  /** Absolute path of the config's folder: settings files (drizzle.config.*) are looked for up to it. */
  root: string;
}

/** An ORM whose model declarations imply a schema (what `create_all()` or `migrate dev` would build). */
export interface ModelSource {
  kind: "models";
  /** The config's `orm:` value. */
  id: string;
  /** How messages name it: "SQLAlchemy". */
  name: string;
  describe: string;
  words: Words;
  /** Is the file at `relativePath` (inside the models folder, forward slashes) one of its model files? */
  selects(relativePath: string): boolean;
  /**
   * Turns the selected files into the DDL their declarations imply, located at the declarations.
   * A file may carry `words` bound to what was read, which can then phrase advice in the file's
   * own names and offer a fix that edits it.
   */
  load(files: SourceFile[], context: ModelContext): ModelFile[];
  /**
   * The models entries this ORM would have in the project at `dir` (paths relative to it, forward
   * slashes), most likely first; empty when it finds none. For `init`.
   */
  detect(dir: string): string[];
}

export type Source = MigrationSource | ModelSource;
