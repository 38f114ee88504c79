/**
 * The Drizzle schema reader: the DDL drizzle-kit would generate for each declaration form, its
 * names, where each statement and finding points, what it refuses to guess, inline ignores, and
 * the index fix written in Drizzle's own words.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadModule } from "libpg-query";
import { beforeAll, describe, expect, it } from "vitest";
import type { ModelFile, SourceRange } from "../../src/model.js";
import { applyEdits } from "../../src/models/drizzle/fix.js";
import {
  type DrizzleOptions,
  drizzleIndexFix,
  findDrizzleCasing,
  indexFixHelp,
  readDrizzleSchema,
} from "../../src/models/drizzle/index.js";
import { unindexedForeignKey } from "../../src/rules/unindexed-foreign-key.js";
import { Catalog } from "../../src/schema/catalog.js";
import { SQL_MIGRATION_WORDS } from "../../src/schema/change.js";
import { applyStatement } from "../../src/schema/replay.js";

beforeAll(async () => {
  await loadModule();
});

const IMPORTS = `import { bigint, boolean, date, doublePrecision, foreignKey, index, integer, json, jsonb, numeric, pgEnum, pgTable, primaryKey, real, serial, text, timestamp, unique, uniqueIndex, uuid, varchar } from "drizzle-orm/pg-core";
import { isNotNull, sql } from "drizzle-orm";
`;

function read(text: string, options: DrizzleOptions = {}, file = "schema.ts") {
  return readDrizzleSchema([{ file, text }], options);
}

function sqlOf(text: string, options: DrizzleOptions = {}): string[] {
  const schema = read(IMPORTS + text, options);
  const problems = schema.files.flatMap((f) => [...f.errors, ...f.warnings]);
  expect(problems).toEqual([]);
  return schema.files.flatMap((f) => f.statements.map((s) => s.sql));
}

/** 1-based line:column-endLine:endColumn, the shape findings carry. */
function at(r: SourceRange): string {
  return `${r.line}:${r.column}-${r.endLine}:${r.endColumn}`;
}

function replay(files: ModelFile[]): Catalog {
  const catalog = new Catalog();
  files.forEach((f, i) => {
    for (const s of f.statements) {
      const locate = f.locators.get(s);
      applyStatement(catalog, s.node, { migration: i, range: s.range, ...(locate ? { locate } : {}) });
    }
  });
  return catalog;
}

function unindexed(files: ModelFile[]) {
  const findings =
    unindexedForeignKey.checkCatalog?.({
      catalogs: [replay(files)],
      requirements: [],
      configFile: null,
      wordsFor: () => SQL_MIGRATION_WORDS,
    }) ?? [];
  return findings.map((f) => `${f.table}(${f.columns?.join(",")}) ${f.range.file}:${at(f.range)}`);
}

describe("Drizzle declarations → drizzle-kit's DDL", () => {
  const cases: { name: string; source: string; options?: DrizzleOptions; sql: string[] }[] = [
    {
      name: "column types, named and unnamed columns, notNull, primaryKey, defaults and arrays",
      source: `export const things = pgTable("things", {
  id: serial("id").primaryKey(),
  big: bigint("big", { mode: "number" }).notNull(),
  name: varchar("name", { length: 120 }),
  bare: varchar(),
  code: uuid().defaultRandom(),
  at: timestamp("at", { withTimezone: true, precision: 3 }).defaultNow(),
  plain: timestamp(),
  flag: boolean("flag").default(false),
  doc: jsonb("doc"),
  raw: json(),
  price: numeric("price", { precision: 10, scale: 2 }),
  ratio: real(),
  score: doublePrecision("score"),
  day: date("day"),
  tags: text("tags").array(),
  label: text().default("it's"),
  count: integer().default(0),
  seq: integer("seq").generatedAlwaysAsIdentity({ startWith: 1000 }),
});`,
      sql: [
        `CREATE TABLE "things" ("id" serial PRIMARY KEY NOT NULL, "big" bigint NOT NULL, "name" varchar(120), "bare" varchar, "code" uuid DEFAULT gen_random_uuid(), "at" timestamp (3) with time zone DEFAULT now(), "plain" timestamp, "flag" boolean DEFAULT false, "doc" jsonb, "raw" json, "price" numeric(10, 2), "ratio" real, "score" double precision, "day" date, "tags" text[], "label" text DEFAULT 'it''s', "count" integer DEFAULT 0, "seq" integer GENERATED ALWAYS AS IDENTITY)`,
      ],
    },
    {
      name: "pgEnum → CREATE TYPE, and a column of its type",
      source: `export const status = pgEnum("status", ["draft", "live"]);
export const pages = pgTable("pages", { id: serial().primaryKey(), status: status("status").notNull().default("draft") });`,
      sql: [
        `CREATE TYPE "public"."status" AS ENUM('draft', 'live')`,
        `CREATE TABLE "pages" ("id" serial PRIMARY KEY NOT NULL, "status" "status" DEFAULT 'draft' NOT NULL)`,
      ],
    },
    {
      name: "pgEnum values from a const array (as const) and from a string enum of the file",
      source: `const visibilities = ["private", "public"] as const;
export enum Kind { Regular = "regular", Template = "template" }
export const visibility = pgEnum("board_visibility", visibilities);
export const kind = pgEnum("board_kind", Kind);
export const boards = pgTable("boards", { id: serial().primaryKey(), visibility: visibility().default("private"), kind: kind("kind") });`,
      sql: [
        `CREATE TYPE "public"."board_visibility" AS ENUM('private', 'public')`,
        `CREATE TYPE "public"."board_kind" AS ENUM('regular', 'template')`,
        `CREATE TABLE "boards" ("id" serial PRIMARY KEY NOT NULL, "visibility" "board_visibility" DEFAULT 'private', "kind" "board_kind")`,
      ],
    },
    {
      name: "column unique(), unique(name) and references with actions, FKs after the tables",
      source: `export const users = pgTable("users", {
  id: serial("id").primaryKey(),
  email: text("email").unique(),
  handle: text("handle").unique("users_handle_key", { nulls: "not distinct" }),
});
export const posts = pgTable("posts", {
  id: serial("id").primaryKey(),
  authorId: integer("author_id").notNull().references(() => users.id, { onDelete: "cascade", onUpdate: "restrict" }),
});`,
      sql: [
        `CREATE TABLE "users" ("id" serial PRIMARY KEY NOT NULL, "email" text, "handle" text, CONSTRAINT "users_email_unique" UNIQUE("email"), CONSTRAINT "users_handle_key" UNIQUE NULLS NOT DISTINCT("handle"))`,
        `CREATE TABLE "posts" ("id" serial PRIMARY KEY NOT NULL, "author_id" integer NOT NULL)`,
        `ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE restrict`,
      ],
    },
    {
      name: "third argument, array form: index, uniqueIndex, using, where, concurrently, desc/asc/nulls/op, foreignKey, primaryKey, unique",
      source: `export const users = pgTable("users", { id: serial("id").primaryKey() });
export const members = pgTable("members", {
  orgId: integer("org_id").notNull(),
  userId: integer("user_id").notNull(),
  email: text("email"),
  createdAt: timestamp("created_at"),
  deletedAt: timestamp("deleted_at"),
  tags: text("tags").array(),
}, (t) => [
  primaryKey({ columns: [t.orgId, t.userId], name: "members_pk" }),
  unique("members_email_key").on(t.email, t.orgId),
  foreignKey({ columns: [t.userId], foreignColumns: [users.id] }).onDelete("cascade"),
  index("members_created_idx").on(t.createdAt.desc(), t.orgId.asc().nullsFirst()),
  uniqueIndex().on(t.email).where(sql\`\${t.deletedAt} IS NULL\`).concurrently(),
  index("members_tags_idx").using("gin", t.tags),
  index("members_email_trgm").using("gin", t.email.op("gin_trgm_ops")),
  index("members_user_live_idx").on(t.userId).where(isNotNull(t.deletedAt)),
  index("members_lower_email").on(sql\`lower(\${t.email})\`),
]);`,
      sql: [
        `CREATE TABLE "users" ("id" serial PRIMARY KEY NOT NULL)`,
        `CREATE TABLE "members" ("org_id" integer NOT NULL, "user_id" integer NOT NULL, "email" text, "created_at" timestamp, "deleted_at" timestamp, "tags" text[], CONSTRAINT "members_pk" PRIMARY KEY("org_id","user_id"), CONSTRAINT "members_email_key" UNIQUE("email","org_id"))`,
        `ALTER TABLE "members" ADD CONSTRAINT "members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action`,
        `CREATE INDEX "members_created_idx" ON "members" USING btree ("created_at" DESC NULLS LAST,"org_id" NULLS FIRST)`,
        `CREATE UNIQUE INDEX CONCURRENTLY "members_email_index" ON "members" USING btree ("email") WHERE "deleted_at" IS NULL`,
        `CREATE INDEX "members_tags_idx" ON "members" USING gin ("tags")`,
        `CREATE INDEX "members_email_trgm" ON "members" USING gin ("email" gin_trgm_ops)`,
        `CREATE INDEX "members_user_live_idx" ON "members" USING btree ("user_id") WHERE "deleted_at" is not null`,
        `CREATE INDEX "members_lower_email" ON "members" USING btree (lower("email"))`,
      ],
    },
    {
      name: "third argument, older object form, with the older primaryKey(a, b) and default names",
      source: `export const tags = pgTable("tags", { id: serial("id").primaryKey() });
export const postTags = pgTable("post_tags", {
  postId: integer("post_id").notNull(),
  tagId: integer("tag_id").notNull(),
}, (table) => ({
  pk: primaryKey(table.postId, table.tagId),
  tagFk: foreignKey({ columns: [table.tagId], foreignColumns: [tags.id], name: "post_tags_tag_fk" }),
  byTag: index().on(table.tagId),
  uq: unique().on(table.tagId, table.postId),
}));`,
      sql: [
        `CREATE TABLE "tags" ("id" serial PRIMARY KEY NOT NULL)`,
        `CREATE TABLE "post_tags" ("post_id" integer NOT NULL, "tag_id" integer NOT NULL, CONSTRAINT "post_tags_post_id_tag_id_pk" PRIMARY KEY("post_id","tag_id"), CONSTRAINT "post_tags_tag_id_post_id_unique" UNIQUE("tag_id","post_id"))`,
        `ALTER TABLE "post_tags" ADD CONSTRAINT "post_tags_tag_fk" FOREIGN KEY ("tag_id") REFERENCES "public"."tags"("id") ON DELETE no action ON UPDATE no action`,
        `CREATE INDEX "post_tags_tag_id_index" ON "post_tags" USING btree ("tag_id")`,
      ],
    },
    {
      name: "casing snake_case: keys become column names; FK and PK names replace the key; unique names keep it",
      options: { casing: "snake_case" },
      source: `export const users = pgTable("users", { userId: serial().primaryKey(), emailAddress: text().unique() });
export const posts = pgTable("posts", {
  authorId: integer().references(() => users.userId),
  slugText: text("SlugText"),
}, (t) => [primaryKey({ columns: [t.authorId, t.slugText] }), index().on(t.authorId)]);`,
      sql: [
        `CREATE TABLE "users" ("user_id" serial PRIMARY KEY NOT NULL, "email_address" text, CONSTRAINT "users_emailAddress_unique" UNIQUE("email_address"))`,
        `CREATE TABLE "posts" ("author_id" integer, "SlugText" text, CONSTRAINT "posts_author_id_SlugText_pk" PRIMARY KEY("author_id","SlugText"))`,
        `ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_users_user_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("user_id") ON DELETE no action ON UPDATE no action`,
        `CREATE INDEX "posts_author_id_index" ON "posts" USING btree ("author_id")`,
      ],
    },
    {
      name: "pgTableCreator, pgSchema(...).table, a schema enum, and the columns-callback form",
      source: `import { pgSchema, pgTableCreator } from "drizzle-orm/pg-core";
const createTable = pgTableCreator((name) => \`app_\${name}\`);
export const billing = pgSchema("billing");
export const plan = billing.enum("plan", ["free", "pro"]);
export const accounts = createTable("accounts", (t) => ({ id: t.serial().primaryKey(), plan: plan().notNull() }));
export const invoices = billing.table("invoices", {
  id: serial().primaryKey(),
  accountId: integer("account_id").references(() => accounts.id),
});
export const audit = pgSchema("audit").table("events", { id: serial().primaryKey() });`,
      sql: [
        `CREATE SCHEMA "billing"`,
        `CREATE TYPE "billing"."plan" AS ENUM('free', 'pro')`,
        `CREATE TABLE "app_accounts" ("id" serial PRIMARY KEY NOT NULL, "plan" "billing"."plan" NOT NULL)`,
        `CREATE TABLE "billing"."invoices" ("id" serial PRIMARY KEY NOT NULL, "account_id" integer)`,
        `CREATE TABLE "audit"."events" ("id" serial PRIMARY KEY NOT NULL)`,
        `ALTER TABLE "billing"."invoices" ADD CONSTRAINT "invoices_account_id_app_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."app_accounts"("id") ON DELETE no action ON UPDATE no action`,
      ],
    },
    {
      name: "a customType with a literal dataType(), and a self-referencing foreignKey through the parameter",
      source: `import { customType } from "drizzle-orm/pg-core";
const citext = customType<{ data: string }>({ dataType() { return "citext"; } });
export const nodes = pgTable("nodes", {
  id: uuid("id").primaryKey(),
  parentId: uuid("parent_id"),
  slug: citext("slug").notNull(),
}, (t) => [foreignKey({ columns: [t.parentId], foreignColumns: [t.id], name: "nodes_parent_fk" }).onDelete("cascade")]);`,
      sql: [
        `CREATE TABLE "nodes" ("id" uuid PRIMARY KEY NOT NULL, "parent_id" uuid, "slug" citext NOT NULL)`,
        `ALTER TABLE "nodes" ADD CONSTRAINT "nodes_parent_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."nodes"("id") ON DELETE cascade ON UPDATE no action`,
      ],
    },
    {
      name: "pg-core imported under an alias and as a namespace",
      source: `import { pgTable as table, integer as int } from "drizzle-orm/pg-core";
import * as pg from "drizzle-orm/pg-core";
export const a = table("a", { id: int("id").primaryKey() });
export const b = pg.pgTable("b", { aId: pg.integer("a_id").references(() => a.id) }, (t) => [pg.index("b_a_idx").on(t.aId)]);`,
      sql: [
        `CREATE TABLE "a" ("id" integer PRIMARY KEY NOT NULL)`,
        `CREATE TABLE "b" ("a_id" integer)`,
        `ALTER TABLE "b" ADD CONSTRAINT "b_a_id_a_id_fk" FOREIGN KEY ("a_id") REFERENCES "public"."a"("id") ON DELETE no action ON UPDATE no action`,
        `CREATE INDEX "b_a_idx" ON "b" USING btree ("a_id")`,
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(sqlOf(c.source, c.options)).toEqual(c.sql);
    });
  }

  it("writes names longer than 63 bytes whole, and the replay keeps PostgreSQL's first 63 bytes", () => {
    const long = "a_table_name_that_is_long_enough";
    const schema = read(`${IMPORTS}export const t = pgTable("${long}", { id: serial().primaryKey() });
export const u = pgTable("${long}_child", { parentIdentifier: integer("parent_identifier").references(() => t.id) });`);
    const fk = schema.files[0]?.statements.find((s) => s.sql.startsWith("ALTER"));
    const name = `${long}_child_parent_identifier_${long}_id_fk`;
    expect(fk?.sql).toContain(`"${name}"`);
    const table = replay(schema.files).tables.get(`public.${long}_child`);
    expect([...(table?.foreignKeys.keys() ?? [])]).toEqual([name.slice(0, 63)]);
  });
});

describe("resolution across the files of a schema folder", () => {
  const root = join(import.meta.dirname, "../fixtures/drizzle-schema");
  const files = [
    "drizzle.config.ts",
    ...readdirSync(join(root, "src/db/schema")).map((f) => `src/db/schema/${f}`),
  ]
    .sort()
    .map((file) => ({ file, text: readFileSync(join(root, file), "utf8") }));

  it("finds casing in drizzle.config, not in its introspect block", () => {
    const casing = findDrizzleCasing(files);
    expect(casing?.casing).toBe("snake_case");
    expect(casing && `${casing.range.file}:${at(casing.range)}`).toBe("drizzle.config.ts:8:3-8:23");
  });

  it("finds casing in a drizzle({ casing }) call when no config sets it", () => {
    const client = {
      file: "src/db/index.ts",
      text: `import { drizzle } from "drizzle-orm/node-postgres";\nexport const db = drizzle(process.env.DATABASE_URL!, { schema, casing: "camelCase" });\n`,
    };
    expect(findDrizzleCasing([client])?.casing).toBe("camelCase");
    expect(
      findDrizzleCasing([
        { file: "drizzle.config.ts", text: "export default { introspect: { casing: 'camel' } };" },
      ]),
    ).toBeNull();
  });

  it("resolves imports by exported names, aliases and a barrel, and finds the unindexed FKs at their .references()", () => {
    const schema = readDrizzleSchema(
      files.filter((f) => f.file !== "drizzle.config.ts"),
      { casing: "snake_case" },
    );
    expect(schema.files.flatMap((f) => [...f.errors, ...f.warnings])).toEqual([]);
    expect(schema.files.find((f) => f.file.endsWith("users.ts"))?.statements.map((s) => s.sql)).toEqual([
      `CREATE TABLE "users" ("id" serial PRIMARY KEY NOT NULL, "email_address" text NOT NULL, "role" "role" DEFAULT 'member', "created_at" timestamp with time zone DEFAULT now() NOT NULL, CONSTRAINT "users_emailAddress_unique" UNIQUE("email_address"))`,
    ]);
    expect(unindexed(schema.files)).toEqual([
      "posts(author_id) src/db/schema/posts.ts:12:8-12:60",
      "posts(reviewer) src/db/schema/posts.ts:13:39-13:66",
      "comments(post_id) src/db/schema/posts.ts:21:23-21:49",
    ]);
  });
});

describe("pgEnum values declared in another models file", () => {
  it("reads an exported const array and an exported string enum imported from it", () => {
    const schema = readDrizzleSchema([
      {
        file: "src/db/values.ts",
        text: `export const statuses = ["open", "closed"] as const;\nexport enum Tier { Free = "free", Pro = "pro" }\n`,
      },
      {
        file: "src/db/tables.ts",
        text: `import { pgEnum, pgTable, serial } from "drizzle-orm/pg-core";
import { statuses, Tier as Plan } from "./values";
export const status = pgEnum("status", statuses);
export const tier = pgEnum("tier", Plan);
export const tickets = pgTable("tickets", { id: serial().primaryKey(), status: status(), tier: tier() });
`,
      },
    ]);
    expect(schema.files.flatMap((f) => [...f.errors, ...f.warnings])).toEqual([]);
    expect(schema.files.flatMap((f) => f.statements.map((s) => s.sql))).toEqual([
      `CREATE TYPE "public"."status" AS ENUM('open', 'closed')`,
      `CREATE TYPE "public"."tier" AS ENUM('free', 'pro')`,
      `CREATE TABLE "tickets" ("id" serial PRIMARY KEY NOT NULL, "status" "status", "tier" "tier")`,
    ]);
  });
});

describe("locations", () => {
  const text = `${IMPORTS}export const users = pgTable("users", { id: serial("id").primaryKey() });
export const posts = pgTable(
  "posts",
  {
    id: serial("id").primaryKey(),
    authorId: integer("author_id").references(() => users.id),
    editorId: integer("editor_id"),
  },
  (t) => [
    foreignKey({ columns: [t.editorId], foreignColumns: [users.id] }).onDelete("set null"),
    index("posts_editor_idx").on(t.editorId),
  ],
);
`;
  it("places each statement at its declaration, and each catalog object at its clause", () => {
    const schema = read(text);
    const statements = schema.files[0]?.statements ?? [];
    expect(statements.map((s) => `${s.sql.split(" (")[0]?.slice(0, 40)} @ ${at(s.range)}`)).toEqual([
      `CREATE TABLE "users" @ 3:22-3:73`,
      `CREATE TABLE "posts" @ 4:22-15:2`,
      `ALTER TABLE "posts" ADD CONSTRAINT "post @ 8:36-8:62`,
      `ALTER TABLE "posts" ADD CONSTRAINT "post @ 12:5-12:91`,
      `CREATE INDEX "posts_editor_idx" ON "post @ 13:5-13:45`,
    ]);
    const catalog = replay(schema.files);
    const posts = catalog.tables.get("public.posts");
    expect(posts && at(posts.source)).toBe("5:3-5:10");
    expect(at(posts?.indexes.get("posts_pkey")?.source as SourceRange)).toBe("7:22-7:34");
    expect(unindexed(schema.files)).toEqual(["posts(author_id) schema.ts:8:36-8:62"]);
  });
});

describe("what cannot be read without running the code", () => {
  const cases: { name: string; source: string; warnings: string[]; sql?: string[] }[] = [
    {
      name: "a spread of shared columns, and a column from a helper function",
      source: `const timestamps = { createdAt: timestamp("created_at") };
const id = () => serial("id").primaryKey();
export const t = pgTable("t", { ...timestamps, id: id(), name: text("name") });`,
      warnings: [
        "5:33-5:46 Columns spread from another object are not read",
        '5:48-5:56 Column "id" is not built by a drizzle-orm/pg-core column builder',
      ],
      sql: [`CREATE TABLE "t" ("name" text)`],
    },
    {
      name: "a computed table name, a variable table name and a non-exported table",
      source: `const name = "x";
export const a = pgTable(\`\${name}_a\`, { id: serial() });
export const b = pgTable(name, { id: serial() });
const c = pgTable("c", { id: serial() });`,
      warnings: [
        "4:26-4:37 This table's name is not a string literal",
        "5:26-5:30 This table's name is not a string literal",
        '6:11-6:41 Table "c" is not exported',
      ],
      sql: [],
    },
    {
      name: "a table built inside a function, and a computed column name",
      source: `export function makeTable(n: string) { return pgTable(n, { id: serial() }); }
const col = "c";
export const d = pgTable("d", { [col]: text(), e: text(col) });`,
      warnings: [
        "3:47-3:75 This table is not declared as `const name = pgTable(...)`",
        "5:33-5:46 This column's key is computed",
        '5:56-5:59 The name of column "e" is not a string literal',
      ],
      sql: [`CREATE TABLE "d" ()`],
    },
    {
      name: "a dynamic where(), a reference to an unknown table, and a spread in the third argument",
      source: `import { other } from "some-package";
const extra = [] as never[];
export const e = pgTable("e", {
  a: integer("a").references(() => other.id),
  b: integer("b"),
}, (t) => [index("e_b").on(t.b).where(sql.raw("b > 0")), ...extra]);`,
      warnings: [
        "6:19-6:45 The column this reference points to cannot be resolved statically",
        "8:39-8:55 This index's where() is not a static sql`…` template",
        "8:58-8:66 Entries spread into the table's third argument are not read",
      ],
      sql: [`CREATE TABLE "e" ("a" integer, "b" integer)`],
    },
    {
      name: "columns from a helper function, a third argument from a helper, and an unnamed expression index",
      source: `const cols = () => ({ id: serial() });
const extras = (t: unknown) => [t];
export const f = pgTable("f", cols());
export const g = pgTable("g", { a: text("a") }, (t) => extras(t));
export const h = pgTable("h", { a: text("a") }, (t) => [index().on(sql\`lower(\${t.a})\`)]);`,
      warnings: [
        "5:31-5:37 The columns of this table are not an object literal",
        "6:49-6:65 The third argument of this table is not `(t) => [ … ]` or `(t) => ({ … })`",
        "7:57-7:87 drizzle-kit requires a name for an index on an expression",
      ],
      sql: [`CREATE TABLE "g" ("a" text)`, `CREATE TABLE "h" ("a" text)`],
    },
    {
      name: "pgEnum values from another package's enum, a numeric enum, and a constant that is no array",
      source: `import { AgentType } from "@app/models";
enum Level { Low, High }
const names = "a,b";
export const agent = pgEnum("agent_type", AgentType);
export const level = pgEnum("level", Level);
export const named = pgEnum("named", names);`,
      warnings: [
        "6:22-6:53 This pgEnum's values come from AgentType, which is not an array of string literals or a string enum declared in the models files",
        "7:22-7:44 This pgEnum's values come from Level,",
        "8:22-8:44 This pgEnum's values come from names,",
      ],
      sql: [],
    },
    {
      name: "a customType whose dataType() is computed: one warning, and its columns kept with a placeholder type",
      source: `import { customType } from "drizzle-orm/pg-core";
export const money = customType<{ data: number; config: { scale: number } }>({ dataType: (c) => \`numeric(12, \${c?.scale})\` });
export const prices = pgTable("prices", { amount: money("amount", { scale: 2 }).notNull() }, (t) => [index("prices_amount_idx").on(t.amount)]);`,
      warnings: [
        '4:22-4:126 The SQL type this customType\'s dataType() returns is computed; columns of type money are read with the placeholder type "money".',
      ],
      sql: [
        `CREATE TABLE "prices" ("amount" "money" NOT NULL)`,
        `CREATE INDEX "prices_amount_idx" ON "prices" USING btree ("amount")`,
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const schema = read(IMPORTS + c.source);
      const file = schema.files[0] as ModelFile;
      expect(file.errors).toEqual([]);
      expect(file.warnings.map((w) => `${at(w.range)} ${w.message}`)).toEqual(
        c.warnings.map((w) => expect.stringContaining(w)),
      );
      if (c.sql) expect(file.statements.map((s) => s.sql)).toEqual(c.sql);
    });
  }

  it("reports a file that does not parse as a located error, and reads the other files", () => {
    const schema = readDrizzleSchema([
      { file: "bad.ts", text: `${IMPORTS}export const x = pgTable("x", { id: serial( });\n` },
      { file: "good.ts", text: `${IMPORTS}export const y = pgTable("y", { id: serial() });\n` },
    ]);
    const [bad, good] = schema.files;
    expect(bad?.errors.map((e) => `${at(e.range)} ${e.message}`)).toEqual([
      "3:45-3:46 TypeScript syntax error: Unexpected token",
    ]);
    expect(good?.statements.map((s) => s.sql)).toEqual([`CREATE TABLE "y" ("id" serial)`]);
  });
});

describe("inline ignores in TypeScript comments", () => {
  it("applies a comment on the line before, or at the end of the line, to that declaration", () => {
    const text = `${IMPORTS}export const users = pgTable("users", { id: serial("id").primaryKey() });
export const posts = pgTable("posts", {
  // pg-index-lint-ignore unindexed-foreign-key: posts are never deleted
  authorId: integer("author_id")
    .references(() => users.id),
  editorId: integer("editor_id").references(() => users.id), // pg-index-lint-ignore unindexed-foreign-key, duplicate-index
  ownerId: integer("owner_id").references(() => users.id),
});
// pg-index-lint-ignore missing-required-index
export const tags = pgTable("tags", { id: serial("id").primaryKey() });
`;
    const file = read(text).files[0] as ModelFile;
    expect(
      file.ignores.map((i) => `${i.rules.join("+")} "${i.reason}" ${at(i.range)} → ${at(i.statement)}`),
    ).toEqual([
      `unindexed-foreign-key "posts are never deleted" 5:3-5:73 → 6:3-7:32`,
      `unindexed-foreign-key+duplicate-index "" 8:62-8:124 → 8:3-8:60`,
      `missing-required-index "" 11:1-11:47 → 12:1-12:72`,
    ]);
    // The FK findings of authorId and editorId start inside the ignored declarations; ownerId's does not.
    const inside = (r: SourceRange, s: SourceRange) =>
      (r.line > s.line || (r.line === s.line && r.column >= s.column)) &&
      (r.line < s.endLine || (r.line === s.endLine && r.column <= s.endColumn));
    const findings =
      unindexedForeignKey.checkCatalog?.({
        catalogs: [replay([file])],
        requirements: [],
        configFile: null,
        wordsFor: () => SQL_MIGRATION_WORDS,
      }) ?? [];
    expect(
      findings.map(
        (f) => `${f.columns?.join(",")} ${file.ignores.some((i) => inside(f.range, i.statement))}`,
      ),
    ).toEqual(["author_id true", "editor_id true", "owner_id false"]);
  });
});

describe("the index fix in Drizzle's words", () => {
  const cases: {
    name: string;
    source: string;
    table: string;
    columns: string[];
    options?: DrizzleOptions;
    expected: string;
  }[] = [
    {
      name: "creates (t) => [ … ] when the table has no third argument, and adds the import",
      source: `import { integer, pgTable, serial } from "drizzle-orm/pg-core";
export const users = pgTable("users", { id: serial().primaryKey() });
export const posts = pgTable("posts", {
  id: serial().primaryKey(),
  authorId: integer("author_id").references(() => users.id),
});
`,
      table: "posts",
      columns: ["author_id"],
      expected: `import { integer, pgTable, serial, index } from "drizzle-orm/pg-core";
export const users = pgTable("users", { id: serial().primaryKey() });
export const posts = pgTable("posts", {
  id: serial().primaryKey(),
  authorId: integer("author_id").references(() => users.id),
}, (t) => [index("posts_author_id_idx").on(t.authorId)]);
`,
    },
    {
      name: "appends to the array form with its own parameter name and indentation, with an aliased index",
      source: `import { index as idx, integer, pgTable, serial, text } from "drizzle-orm/pg-core";
export const users = pgTable("users", { id: serial().primaryKey() });
export const posts = pgTable(
  "posts",
  { authorId: integer().references(() => users.id), title: text() },
  (table) => [
    idx("posts_title_idx").on(table.title),
  ],
);
`,
      table: "posts",
      columns: ["author_id", "title"],
      options: { casing: "snake_case" },
      expected: `import { index as idx, integer, pgTable, serial, text } from "drizzle-orm/pg-core";
export const users = pgTable("users", { id: serial().primaryKey() });
export const posts = pgTable(
  "posts",
  { authorId: integer().references(() => users.id), title: text() },
  (table) => [
    idx("posts_title_idx").on(table.title),
    idx("posts_author_id_title_idx").on(table.authorId, table.title),
  ],
);
`,
    },
    {
      name: "keeps the object form, and uses a namespace import",
      source: `import * as p from "drizzle-orm/pg-core";
export const users = p.pgTable("users", { id: p.serial().primaryKey() });
export const posts = p.pgTable("posts", { authorId: p.integer("author_id").references(() => users.id), title: p.text() }, (t) => ({
  byTitle: p.index("posts_title_idx").on(t.title),
}));
`,
      table: "posts",
      columns: ["author_id"],
      expected: `import * as p from "drizzle-orm/pg-core";
export const users = p.pgTable("users", { id: p.serial().primaryKey() });
export const posts = p.pgTable("posts", { authorId: p.integer("author_id").references(() => users.id), title: p.text() }, (t) => ({
  byTitle: p.index("posts_title_idx").on(t.title),
  postsAuthorIdIdx: p.index("posts_author_id_idx").on(t.authorId),
}));
`,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = readDrizzleSchema([{ file: "schema.ts", text: c.source }], c.options);
      expect(unindexed(before.files).length).toBeGreaterThan(0);
      const fix = drizzleIndexFix(
        { file: "schema.ts", text: c.source },
        { name: c.table },
        c.columns,
        c.options,
      );
      if ("error" in fix) throw new Error(fix.error);
      const after = applyEdits(c.source, fix.edits);
      expect(after).toBe(c.expected);
      const reread = readDrizzleSchema([{ file: "schema.ts", text: after }], c.options);
      expect(reread.files.flatMap((f) => [...f.errors, ...f.warnings])).toEqual([]);
      expect(unindexed(reread.files)).toEqual([]);
    });
  }

  it("finds the table by an offset inside its call, and renders the help", () => {
    const source = `import { integer, pgTable } from "drizzle-orm/pg-core";
import { users } from "./users";

export const posts = pgTable("posts", { authorId: integer("author_id").references(() => users.id) });
`;
    const fix = drizzleIndexFix(
      { file: "src/posts.ts", text: source },
      { offset: source.indexOf('"posts"') },
      ["author_id"],
    );
    if ("error" in fix) throw new Error(fix.error);
    expect(fix.edits.map((e) => `${at(e.range)} ${JSON.stringify(e.text)}`)).toEqual([
      `1:26-1:26 ", index"`,
      `4:100-4:100 ", (t) => [index(\\"posts_author_id_idx\\").on(t.authorId)]"`,
    ]);
    expect(indexFixHelp(fix, 4)).toBe(
      'Add index("posts_author_id_idx").on(t.authorId) to the third argument of the "posts" table (src/posts.ts:4), then run drizzle-kit generate.',
    );
  });

  it("reads a creator from another file, and adds an import line when the file imports nothing from pg-core", () => {
    const utils = {
      file: "src/db/utils.ts",
      text: `import { pgTableCreator } from "drizzle-orm/pg-core";\nexport const createTable = pgTableCreator((name) => \`app_\${name}\`);\n`,
    };
    const source = `import { createTable } from "./utils";

export const users = createTable("users", (d) => ({ id: d.serial().primaryKey() }));
export const posts = createTable("posts", (d) => ({ authorId: d.integer().references(() => users.id) }));
`;
    const file = { file: "src/db/schema.ts", text: source };
    expect(drizzleIndexFix(file, { name: "app_posts" }, ["authorId"])).toEqual({
      error: "no pgTable declaration there",
    });
    const fix = drizzleIndexFix(file, { name: "app_posts" }, ["authorId"], { context: [utils] });
    if ("error" in fix) throw new Error(fix.error);
    const after = applyEdits(source, fix.edits);
    expect(after).toBe(`import { createTable } from "./utils";
import { index } from "drizzle-orm/pg-core";

export const users = createTable("users", (d) => ({ id: d.serial().primaryKey() }));
export const posts = createTable("posts", (d) => ({ authorId: d.integer().references(() => users.id) }), (t) => [index("app_posts_authorId_idx").on(t.authorId)]);
`);
    const schema = readDrizzleSchema([utils, { file: file.file, text: after }]);
    expect(schema.files.flatMap((f) => f.warnings)).toEqual([]);
    expect(unindexed(schema.files)).toEqual([]);
  });

  it("refuses a column the table does not declare", () => {
    const source = `import { integer, pgTable } from "drizzle-orm/pg-core";\nexport const posts = pgTable("posts", { a: integer() });\n`;
    expect(drizzleIndexFix({ file: "x.ts", text: source }, { name: "posts" }, ["b"])).toEqual({
      error: 'table "posts" declares no column "b" that pg-index-lint can read',
    });
  });
});
