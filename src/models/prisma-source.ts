/**
 * Prisma as a model source: `schema.prisma`, or a folder of `.prisma` files (prismaSchemaFolder),
 * read into the DDL `prisma migrate dev` would write for an empty database. Advice speaks Prisma's
 * schema language (`@@index([authorId])` in model Post), and a missing index comes with the edit
 * that declares it in the model block.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Fix } from "../finding.js";
import type { ModelFile } from "../model.js";
import { entries, filesRecursive } from "../runners/files.js";
import { npmPinnedVersion } from "../runners/pinned-version.js";
import type { IndexSpec, SchemaChange, TableRef, Words } from "../schema/change.js";
import type { ModelSource, SourceFile } from "../sources/source.js";
import { modelFields, type PrismaSchema, prismaIndexEdit, readPrismaSchema } from "./prisma/index.js";

const SKIP_DIRS = /(^|\/)(node_modules|migrations|dist|build)\//;
const REGENERATE = "prisma migrate dev";

const str = (text: string) => JSON.stringify(text);

/** `@@index([authorId, createdAt(sort: Desc)], type: Hash, where: raw("…"), map: "…")`, or `@@unique`. */
export function prismaIndexDeclaration(index: IndexSpec, fields?: string[], map?: string): string {
  const keys = index.keys.map((k, i) => {
    const name = fields?.[i] ?? k.column ?? `/* ${k.expression} */`;
    return k.desc ? `${name}(sort: Desc)` : name;
  });
  const options = [
    index.method && index.method !== "btree" ? `type: ${capitalize(index.method)}` : "",
    index.where ? `where: raw(${str(index.where)})` : "",
    map ? `map: ${str(map)}` : "",
  ].filter(Boolean);
  return `@@${index.unique ? "unique" : "index"}([${keys.join(", ")}]${options.map((o) => `, ${o}`).join("")})`;
}

function capitalize(method: string): string {
  const known: Record<string, string> = {
    hash: "Hash",
    gin: "Gin",
    gist: "Gist",
    brin: "Brin",
    spgist: "SpGist",
  };
  return known[method] ?? method;
}

function tableLabel(table: TableRef): string {
  return table.schema === "public" ? table.name : `${table.schema}.${table.name}`;
}

/** Prisma's words, with the model and field names of `schema` when it is known. */
function prismaWords(schema: PrismaSchema | null, texts: ReadonlyMap<string, string>): Words {
  const model = (table: TableRef, columns: string[] = []) =>
    schema ? modelFields(schema, tableLabel(table), columns) : null;
  const modelName = (table: TableRef) => model(table)?.model.name ?? tableLabel(table);
  const advise = (change: SchemaChange): string => {
    switch (change.kind) {
      case "create-index": {
        const i = change.index;
        const columns = i.keys.flatMap((k) => (k.column !== undefined ? [k.column] : []));
        const found = columns.length === i.keys.length ? model(i.table, columns) : null;
        const declaration = prismaIndexDeclaration(i, found?.fields);
        const where = found ? ` (${found.model.file}:${found.model.range.line})` : "";
        return `Declare it in the model: add ${declaration} to model ${found?.model.name ?? tableLabel(i.table)}${where}, then run \`${REGENERATE}\` to write its migration.`;
      }
      case "drop-index":
        return `Remove the @@index, @@unique or @unique that declares "${change.name}" from model ${modelName(change.table)}, then run \`${REGENERATE}\`.`;
      case "name-index":
        return `Name the index in model ${modelName(change.table)}: add map: ${str(change.name)} to its @@index or @@unique.`;
      case "rename-index":
        return `Name the index in model ${modelName(change.table)} "${change.to}" (map: ${str(change.to)}).`;
      case "create-foreign-key": {
        const found = model(change.table, change.columns);
        const fields = found?.fields ?? change.columns;
        const target = modelName(change.refTable);
        const refFields = model(change.refTable, change.refColumns)?.fields ?? change.refColumns;
        return `Declare the relation in model ${found?.model.name ?? tableLabel(change.table)}: a field of type ${target} with @relation(fields: [${fields.join(", ")}], references: [${refFields.join(", ")}]), then run \`${REGENERATE}\`.`;
      }
      case "drop-foreign-key":
        return `Remove the @relation that declares "${change.name}" from model ${modelName(change.table)}, then run \`${REGENERATE}\`.`;
      case "name-foreign-key":
        return `Name the relation's foreign key in model ${modelName(change.table)}: add map: ${str(change.name)} to its @relation.`;
      case "create-table":
        return `Declare a model for table ${tableLabel(change.table)} (@@map(${str(change.table.name)})).`;
    }
  };
  return {
    advise,
    regenerate: REGENERATE,
    ignoreComment: (rule) => `// pg-index-lint-ignore ${rule}: <reason>`,
    syntaxErrorHelp:
      "Fix the Prisma schema (`prisma validate` names the error); this file's models were not checked.",
    fix(change): Fix | null {
      if (change.kind !== "create-index") return null;
      const i = change.index;
      // A plain index on the fields: what `@@index([…])` declares. Anything else is advice only.
      if (
        i.unique ||
        i.where ||
        (i.method && i.method !== "btree") ||
        i.keys.some((k) => k.column === undefined || k.desc)
      )
        return null;
      const found = model(
        i.table,
        i.keys.map((k) => k.column as string),
      );
      const text = found ? texts.get(found.model.file) : undefined;
      if (!found || text === undefined) return null;
      const edit = prismaIndexEdit({ file: found.model.file, text }, found.model.name, found.fields);
      if (!edit) return null;
      const { text: replacement, ...range } = edit;
      return {
        description: `Add ${prismaIndexDeclaration(i, found.fields)} to model ${found.model.name}, then run \`${REGENERATE}\``,
        replacement,
        range,
      };
    },
  };
}

/** Prisma's words where no schema is at hand (a file that did not parse). */
export const PRISMA_WORDS: Words = prismaWords(null, new Map());

/** The Prisma major version the project pins, which names implicit many-to-many join tables' keys. */
function prismaMajor(dir: string): number | undefined {
  const pinned = npmPinnedVersion(dir, ["prisma", "@prisma/client"]);
  const major = Number.parseInt(pinned?.version ?? "", 10);
  return Number.isFinite(major) ? major : undefined;
}

export const prismaModels: ModelSource = {
  kind: "models",
  id: "prisma",
  name: "Prisma",
  describe: "Prisma schemas (*.prisma)",
  words: PRISMA_WORDS,
  selects: (relativePath) => relativePath.endsWith(".prisma") && !SKIP_DIRS.test(`/${relativePath}`),
  load(files: SourceFile[], context): ModelFile[] {
    const major = prismaMajor(context.dir);
    const schema = readPrismaSchema(
      files.map((f) => ({ file: f.file, text: f.text })),
      major === undefined ? {} : { prismaMajor: major },
    );
    const words = prismaWords(schema, new Map(files.map((f) => [f.file, f.text])));
    return schema.files.map((f) => ({ ...f, words }));
  },
  detect(dir) {
    // prisma/schema.prisma is Prisma's default; a prisma/schema folder of .prisma files is
    // prismaSchemaFolder's; elsewhere, any schema.prisma outside node_modules.
    if (existsSync(join(dir, "prisma", "schema.prisma"))) return ["prisma/schema.prisma"];
    const folder = join(dir, "prisma", "schema");
    if (entries(folder).some((e) => e.isFile() && e.name.endsWith(".prisma"))) return ["prisma/schema"];
    return filesRecursive(dir)
      .filter((p) => /(^|\/)schema\.prisma$/.test(p) && !SKIP_DIRS.test(`/${p}`))
      .sort((a, b) => a.split("/").length - b.split("/").length || (a < b ? -1 : 1));
  },
};
