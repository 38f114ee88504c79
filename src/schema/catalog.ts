/**
 * The in-memory schema that migrations are replayed into. Names are stored as PostgreSQL stores
 * them: the parser already folds unquoted identifiers to lower case and keeps quoted ones.
 */
import type { RangeVar } from "@pgsql/types";
import type { SourceRange } from "../model.js";

export interface ColumnDef {
  name: string;
  type: string;
  notNull: boolean;
}

export interface IndexKey {
  /** Set for a plain column key. */
  column?: string;
  /** Deparsed expression for an expression key, e.g. `lower(email)`. */
  expression?: string;
  desc: boolean;
  /** Explicit NULLS FIRST/LAST, when it differs from the direction's default. */
  nullsFirst: boolean;
  opclass?: string;
  collation?: string;
}

export interface IndexDef {
  name: string;
  schema: string;
  /** Qualified key of the table (`schema.name`). */
  table: string;
  method: string;
  keys: IndexKey[];
  include: string[];
  /** Deparsed predicate of a partial index. */
  predicate: string | null;
  unique: boolean;
  /** Name of the PRIMARY KEY, UNIQUE or EXCLUDE constraint that owns the index. */
  constraint?: string;
  primary: boolean;
  /** False for an index built `ON ONLY` a partitioned table until partitions attach. */
  valid: boolean;
  /** The statement that builds it will be rejected by PostgreSQL (e.g. CONCURRENTLY in a transaction). */
  rejected?: boolean;
  /** Where the index was declared. */
  source: SourceRange;
  /** Index of the migration that created it. */
  migration: number;
}

export interface ForeignKeyDef {
  name: string;
  columns: string[];
  /** Qualified key of the referenced table. */
  refTable: string;
  refColumns: string[];
  /** False while the constraint is NOT VALID. */
  validated: boolean;
  source: SourceRange;
  migration: number;
}

export interface TableDef {
  schema: string;
  name: string;
  columns: Map<string, ColumnDef>;
  indexes: Map<string, IndexDef>;
  foreignKeys: Map<string, ForeignKeyDef>;
  /** Index of the migration that created it; -1 when it predates the replayed migrations. */
  createdIn: number;
  source: SourceRange;
  partitioned: boolean;
  /** A materialized view: it holds indexes, but no one writes to it; REFRESH rewrites it. */
  materialized?: boolean;
  /**
   * For a materialized view: the relations its query reads, as written (`name` or `schema.name`),
   * so that `DROP … CASCADE` of one of them drops the view too, as PostgreSQL's dependencies do.
   */
  reads?: string[];
  /** A temporary table: it lives in pg_temp and ends with the session that made it. */
  temporary?: boolean;
  /** For a partition: the qualified key of its partitioned parent. */
  partitionOf?: string;
}

/** The schema temporary tables live in; an unqualified name finds them first (search_path). */
export const TEMP_SCHEMA = "pg_temp";

export function qualify(schema: string, name: string): string {
  return `${schema}.${name}`;
}

export function displayName(table: { schema: string; name: string }): string {
  return table.schema === "public" ? table.name : `${table.schema}.${table.name}`;
}

export class Catalog {
  readonly tables = new Map<string, TableDef>();
  /** Qualified index name → qualified table key. Index names share the schema's namespace. */
  readonly indexOwners = new Map<string, string>();
  searchPath: string[] = ["public"];
  /**
   * False when no temporary table can be here: `dropTemporary` found none and none was made since
   * (`markTemporary`). It runs after every migration file, and looking through every table each
   * time made a long history quadratic.
   */
  private mayHoldTemporary = true;

  /** Resolves a possibly unqualified table name the way search_path does. */
  resolveTable(schema: string | undefined, name: string): TableDef | undefined {
    if (schema) return this.tables.get(qualify(schema, name));
    const temporary = this.tables.get(qualify(TEMP_SCHEMA, name));
    if (temporary) return temporary;
    for (const s of this.searchPath) {
      const table = this.tables.get(qualify(s, name));
      if (table) return table;
    }
    return undefined;
  }

  /** The table a statement's relation names, resolved through search_path. */
  resolveRelation(relation: RangeVar | undefined): TableDef | undefined {
    if (!relation?.relname) return undefined;
    return this.resolveTable(relation.schemaname, relation.relname);
  }

  resolveIndex(schema: string | undefined, name: string): { table: TableDef; index: IndexDef } | undefined {
    const schemas = schema ? [schema] : this.searchPath;
    for (const s of schemas) {
      const owner = this.indexOwners.get(qualify(s, name));
      const table = owner ? this.tables.get(owner) : undefined;
      const index = table?.indexes.get(name);
      if (table && index) return { table, index };
    }
    return undefined;
  }

  /** The schema a new, unqualified object lands in. */
  creationSchema(schema: string | undefined): string {
    return schema ?? this.searchPath[0] ?? "public";
  }

  addIndex(table: TableDef, index: IndexDef): void {
    table.indexes.set(index.name, index);
    this.indexOwners.set(qualify(table.schema, index.name), qualify(table.schema, table.name));
  }

  removeIndex(table: TableDef, name: string): void {
    table.indexes.delete(name);
    this.indexOwners.delete(qualify(table.schema, name));
  }

  /** Is a relation (table or index) of that name taken in the schema? */
  relationExists(schema: string, name: string): boolean {
    return this.tables.has(qualify(schema, name)) || this.indexOwners.has(qualify(schema, name));
  }

  /** A deep copy, to go back to when a transaction the replay applied turns out to fail. */
  clone(): Catalog {
    const copy = new Catalog();
    copy.restore(this);
    return copy;
  }

  /** Becomes a deep copy of `other`. */
  restore(other: Catalog): void {
    const tables = structuredClone(other.tables);
    this.tables.clear();
    for (const [key, table] of tables) this.tables.set(key, table);
    this.indexOwners.clear();
    for (const [key, owner] of other.indexOwners) this.indexOwners.set(key, owner);
    this.searchPath = [...other.searchPath];
    this.mayHoldTemporary = other.mayHoldTemporary;
  }

  /** The partitions of a partitioned table, as far as the replay saw them created or attached. */
  partitionsOf(table: TableDef): TableDef[] {
    const key = qualify(table.schema, table.name);
    return [...this.tables.values()].filter((t) => t.partitionOf === key);
  }

  /** Makes `table` a temporary one, which `dropTemporary` removes. */
  markTemporary(table: TableDef): void {
    table.temporary = true;
    this.mayHoldTemporary = true;
  }

  /** The session ended: its temporary tables and their indexes are gone. */
  dropTemporary(): void {
    if (!this.mayHoldTemporary) return;
    for (const table of [...this.tables.values()]) {
      if (!table.temporary) continue;
      for (const index of [...table.indexes.keys()]) this.removeIndex(table, index);
      this.tables.delete(qualify(table.schema, table.name));
    }
    this.mayHoldTemporary = false;
  }

  *allIndexes(): Iterable<[TableDef, IndexDef]> {
    for (const table of this.tables.values())
      for (const index of table.indexes.values()) yield [table, index];
  }
}
