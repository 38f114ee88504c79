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
  /** Turns the selected files into the DDL their declarations imply, located at the declarations. */
  load(files: SourceFile[]): ModelFile[];
}

export type Source = MigrationSource | ModelSource;
