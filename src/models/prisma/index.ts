/**
 * Prisma schemas: the reader (schema files → located DDL statements), Prisma's constraint names,
 * and fixes written as schema edits.
 */
import type { PrismaModel, PrismaSchema } from "./reader.js";

export { prismaIndexAttribute, prismaIndexEdit, prismaIndexHelp, type TextEdit } from "./fix.js";
export { foreignKeyName, indexName, primaryKeyName, uniqueIndexName } from "./names.js";
export {
  type PrismaModel,
  type PrismaReadOptions,
  type PrismaSchema,
  type PrismaSchemaFile,
  readPrismaSchema,
} from "./reader.js";

/**
 * The model behind a finding's table (`name` or `schema.name`, as findings display it) and the
 * field names of its columns, so that a fix can speak Prisma. Null when a column is not a
 * scalar field of the model.
 */
export function modelFields(
  schema: PrismaSchema,
  table: string,
  columns: string[],
): { model: PrismaModel; fields: string[] } | null {
  const dot = table.indexOf(".");
  const [tableSchema, tableName] = dot === -1 ? [null, table] : [table.slice(0, dot), table.slice(dot + 1)];
  const model = schema.models.find(
    (m) => m.table === tableName && (m.schema ?? "public") === (tableSchema ?? "public"),
  );
  if (!model) return null;
  const byColumn = new Map([...model.columns].map(([field, column]) => [column, field]));
  const fields = columns.map((c) => byColumn.get(c));
  return fields.every((f): f is string => f !== undefined) ? { model, fields } : null;
}
