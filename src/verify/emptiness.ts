/**
 * "Empty" for --use-existing-database: the database holds nothing beyond what a fresh database
 * made from template1 holds. Not a list of a few kinds: every per-database catalog with an `oid`
 * column is read (found in pg_attribute, so catalogs of later PostgreSQL versions count too), and
 * every row from FirstNormalObjectId (16384) up is an object made after initdb (PostgreSQL's
 * transam.h: initdb's objects take lower OIDs, and the OID counter never goes below it again).
 * Rows of initdb's own tables outside pg_catalog (information_schema.sql_features…) are counted
 * as well. Template1's objects are then subtracted by identity, since a database copied from it
 * holds them too (an extension installed in template1, say).
 */
import type pg from "pg";

/** transam.h: the first OID assigned after initdb. */
const FIRST_NORMAL_OBJECT_ID = 16384;

export interface DatabaseObject {
  /** pg_identify_object's type, e.g. "table", "function", "large object". */
  kind: string;
  /** Its schema-qualified identity, e.g. "public.customers". */
  name: string;
  /**
   * 0: stands on its own; 1: a member of an extension; 2: part of another object (an index, a row
   * type, an array type, a constraint). Messages name the lowest level found.
   */
  standing: number;
  /** What is compared with template1. */
  key: string;
}

interface CatalogRow {
  catalog: string;
  kind: "catalog" | "rows";
}

/**
 * The catalogs to read, and initdb's tables outside pg_catalog whose rows count. Shared catalogs
 * (pg_database, pg_authid…) describe the cluster, not this database. Only a superuser may read
 * pg_user_mapping; a user mapping needs a foreign server, which is found anyway.
 */
const CATALOGS = `
  SELECT c.relname AS catalog, 'catalog' AS kind
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'oid' AND NOT a.attisdropped
   WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'r' AND NOT c.relisshared
     AND has_table_privilege(c.oid, 'SELECT')
  UNION ALL
  SELECT format('%I.%I', n.nspname, c.relname), 'rows'
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid < ${FIRST_NORMAL_OBJECT_ID} AND c.relkind IN ('r', 'p') AND n.nspname <> 'pg_catalog'
     AND n.nspname !~ '^pg_toast' AND has_table_privilege(c.oid, 'SELECT')
  ORDER BY 1`;

/** One SELECT per catalog: (kind, name, standing). */
function selectFor(catalog: string): string {
  const depends = (classid: string, types: string) =>
    `EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = ${classid} AND d.objid = x.oid AND d.deptype IN (${types}))`;
  const isMember = (classid: string) =>
    `CASE WHEN ${depends(classid, "'a', 'i'")} THEN 2 WHEN ${depends(classid, "'e'")} THEN 1 ELSE 0 END`;
  switch (catalog) {
    // Enum labels are not addressable objects (pg_identify_object rejects pg_enum).
    case "pg_enum":
      return `SELECT 'enum label', format('%s.%L', x.enumtypid::regtype, x.enumlabel), 2
                FROM pg_catalog.pg_enum x WHERE x.oid >= ${FIRST_NORMAL_OBJECT_ID}`;
    // Large objects are addressed through pg_largeobject (objectaddress.c).
    case "pg_largeobject_metadata":
      return `SELECT 'large object', x.oid::text, 0
                FROM pg_catalog.pg_largeobject_metadata x WHERE x.oid >= ${FIRST_NORMAL_OBJECT_ID}`;
    // pg_temp_N and pg_toast_temp_N are made on demand by sessions that use temporary tables.
    case "pg_namespace":
      return `SELECT 'schema', quote_ident(x.nspname), 0 FROM pg_catalog.pg_namespace x
               WHERE x.oid >= ${FIRST_NORMAL_OBJECT_ID} AND x.nspname !~ '^pg_(toast_)?temp_[0-9]+$'`;
    // TOAST storage is part of its table, and named by the table's OID, which a copy of the
    // template keeps but an equal table made by hand does not.
    case "pg_class":
    case "pg_type": {
      const namespace = catalog === "pg_class" ? "relnamespace" : "typnamespace";
      // pg_identify_object calls every pg_type row a "type"; a domain is worth its own word.
      const kind =
        catalog === "pg_type"
          ? `CASE x.typtype WHEN 'd' THEN 'domain' WHEN 'e' THEN 'enum type' WHEN 'r' THEN 'range type' WHEN 'm' THEN 'multirange type' WHEN 'c' THEN 'composite type' ELSE i.type END`
          : "i.type";
      return `SELECT ${kind}, i.identity, ${isMember(`'pg_catalog.${catalog}'::regclass`)}
                FROM pg_catalog.${catalog} x
                CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.${catalog}'::regclass, x.oid, 0) i
               WHERE x.oid >= ${FIRST_NORMAL_OBJECT_ID}
                 AND x.${namespace} NOT IN (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname ~ '^pg_toast')`;
    }
    default:
      return `SELECT i.type, i.identity, ${isMember(`'pg_catalog.${catalog}'::regclass`)}
                FROM pg_catalog.${catalog} x
                CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.${catalog}'::regclass, x.oid, 0) i
               WHERE x.oid >= ${FIRST_NORMAL_OBJECT_ID}`;
  }
}

/** Everything the connected database holds after initdb's own objects. Reads only. */
export async function listContents(client: pg.Client): Promise<DatabaseObject[]> {
  const catalogs = (await client.query<CatalogRow>(CATALOGS)).rows;
  const parts: string[] = [];
  for (const { catalog, kind } of catalogs) {
    if (kind === "catalog") {
      parts.push(
        `SELECT kind, name, standing, kind || ' ' || name AS key FROM (${selectFor(catalog)}) AS s(kind, name, standing)`,
      );
    } else {
      // The table's name comes from format('%I.%I') above: already quoted.
      parts.push(
        `SELECT 'rows in', ${literal(catalog)}, 0, 'rows in ' || ${literal(catalog)} || ': ' || count(*) FROM ${catalog}`,
      );
    }
  }
  if (parts.length === 0) return [];
  const { rows } = await client.query<DatabaseObject>(
    `SELECT kind, name, standing, key FROM (${parts.join("\nUNION ALL\n")}) AS all_objects(kind, name, standing, key) ORDER BY standing, kind, name`,
  );
  return rows;
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * What `target` holds that `template` does not. Without a template (template1 could not be
 * read), every object made after initdb counts, and rows of initdb's tables are not compared.
 */
export function beyondTemplate(
  target: DatabaseObject[],
  template: DatabaseObject[] | undefined,
): DatabaseObject[] {
  if (!template) return target.filter((o) => o.kind !== "rows in");
  const known = new Set(template.map((o) => o.key));
  return target.filter((o) => !known.has(o.key));
}

/**
 * "extension pg_trgm, table public.t": the objects that stand on their own (not an extension's
 * member, an index, a row type…), else the extension members, the first few of them.
 */
export function describeObjects(objects: DatabaseObject[], shown = 5): string {
  const level = Math.min(...objects.map((o) => o.standing));
  const listed = objects.filter((o) => o.standing === level);
  const names = listed
    .slice(0, shown)
    .map((o) =>
      o.kind === "rows in" ? `rows in ${o.name} that template1 does not have` : `${o.kind} ${o.name}`,
    );
  return names.join(", ") + (listed.length > shown ? `, … (${listed.length} in all)` : "");
}
