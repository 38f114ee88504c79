/**
 * A rule is a small module: metadata plus a pure function from (catalog before, statement,
 * context) to findings, or from the final catalog to findings. It never prints or formats.
 */
import type { Fix, Severity } from "../finding.js";
import type { Migration, SourceRange, Statement } from "../model.js";
import type { Catalog } from "../schema/catalog.js";
import type { Requirement } from "./coverage.js";

export interface RuleMeta {
  id: string;
  defaultSeverity: Severity;
  /** One sentence: what the rule catches. */
  summary: string;
  /** Path of the rule's page, relative to the package root. */
  docs: string;
  fixable: boolean;
  /**
   * A finding of this rule means PostgreSQL will reject the statement, so the replay leaves it
   * out of the catalog, as the server would.
   */
  rejectsStatement?: boolean;
}

/** What a rule reports; the engine adds the rule id, severity and source. */
export interface RuleFinding {
  range: SourceRange;
  message: string;
  help: string;
  table?: string;
  columns?: string[];
  fix?: Fix;
}

export interface StatementContext {
  statement: Statement;
  /** The catalog as it was before this statement. */
  catalog: Catalog;
  migration: Migration;
  /** Position of `migration` in apply order. */
  migrationIndex: number;
}

export interface CatalogContext {
  /** The final catalog of each migrations entry, after every migration. */
  catalogs: Catalog[];
  requirements: Requirement[];
  /** Display path of the config file, for findings about the config's own entries. */
  configFile: string | null;
  /**
   * The schema each ORM models entry declares, when the config has both models and migrations.
   * (With models only, the models' catalogs are `catalogs`.)
   */
  models?: Catalog[];
}

export interface Rule {
  meta: RuleMeta;
  checkStatement?(ctx: StatementContext): RuleFinding[];
  checkCatalog?(ctx: CatalogContext): RuleFinding[];
}

export function ruleMeta(id: string, meta: Omit<RuleMeta, "id" | "docs">): RuleMeta {
  return { id, docs: `rules/${id}.md`, ...meta };
}
