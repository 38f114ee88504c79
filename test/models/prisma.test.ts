/**
 * The Prisma schema reader: every declaration form it reads, the DDL `prisma migrate diff
 * --from-empty` would emit for it (replayed into a Catalog), Prisma's names, exact locations,
 * inline ignores, the `@@index` fix, and the unindexed foreign keys of a whole schema.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { ModelFile } from "../../src/model.js";
import {
  foreignKeyName,
  indexName,
  modelFields,
  primaryKeyName,
  prismaIndexAttribute,
  prismaIndexEdit,
  prismaIndexHelp,
  readPrismaSchema,
  uniqueIndexName,
} from "../../src/models/prisma/index.js";
import { initSqlParser } from "../../src/parse/sql.js";
import { unindexedForeignKey } from "../../src/rules/unindexed-foreign-key.js";
import { Catalog, type IndexDef } from "../../src/schema/catalog.js";
import { SQL_MIGRATION_WORDS } from "../../src/schema/change.js";
import { applyStatement } from "../../src/schema/replay.js";

beforeAll(async () => {
  await initSqlParser();
});

function replay(files: ModelFile[]): Catalog {
  const catalog = new Catalog();
  files.forEach((file, index) => {
    for (const statement of file.statements) {
      const locate = file.locators.get(statement);
      applyStatement(catalog, statement.node, {
        migration: index,
        range: statement.range,
        ...(locate ? { locate } : {}),
      });
    }
  });
  return catalog;
}

function read(text: string, options: { prismaMajor?: number } = {}) {
  const schema = readPrismaSchema([{ file: "prisma/schema.prisma", text }], options);
  const file = schema.files[0] as ModelFile;
  return { schema, file, catalog: replay(schema.files) };
}

function describeIndex(i: IndexDef): string {
  const keys = i.keys
    .map((k) => `${k.column ?? k.expression}${k.opclass ? ` ${k.opclass}` : ""}${k.desc ? " DESC" : ""}`)
    .join(", ");
  return `${i.name}${i.primary ? " PK" : i.unique ? " UNIQUE" : ""} ${i.method} (${keys})${i.predicate ? ` WHERE ${i.predicate}` : ""}`;
}

function tableOf(catalog: Catalog, name: string, schema?: string) {
  const table = catalog.resolveTable(schema, name);
  if (!table) throw new Error(`no table ${name}`);
  return {
    columns: [...table.columns.values()].map((c) => `${c.name} ${c.type}${c.notNull ? " NOT NULL" : ""}`),
    indexes: [...table.indexes.values()].map(describeIndex).sort(),
    foreignKeys: [...table.foreignKeys.values()].map(
      (f) => `${f.name} (${f.columns.join(", ")}) → ${f.refTable} (${f.refColumns.join(", ")})`,
    ),
  };
}

const USER = `model User {
  id Int @id @default(autoincrement())
}
`;

describe("Prisma declaration forms", () => {
  const cases: {
    name: string;
    schema: string;
    table: string;
    tableSchema?: string;
    columns?: string[];
    indexes?: string[];
    foreignKeys?: string[];
    sql?: string[];
    prismaMajor?: number;
  }[] = [
    {
      name: "scalar types, optional and list modifiers, @id with autoincrement() as SERIAL",
      schema: `model Item {
  id        Int      @id @default(autoincrement())
  big       BigInt
  name      String
  note      String?
  price     Decimal
  ratio     Float
  at        DateTime @default(now())
  ok        Boolean  @default(false)
  data      Json
  blob      Bytes
  tags      String[]
}
`,
      table: "Item",
      columns: [
        "id serial NOT NULL",
        "big int8 NOT NULL",
        "name text NOT NULL",
        "note text",
        "price numeric",
        "ratio float8 NOT NULL",
        "at timestamp NOT NULL",
        "ok bool NOT NULL",
        "data jsonb NOT NULL",
        "blob bytea NOT NULL",
        "tags text[]",
      ].map((c) => (c === "price numeric" ? "price numeric NOT NULL" : c)),
      indexes: ["Item_pkey PK btree (id)"],
      sql: [
        `CREATE TABLE "Item" (id SERIAL NOT NULL, big BIGINT NOT NULL, name TEXT NOT NULL, note TEXT, price DECIMAL(65,30) NOT NULL, ratio DOUBLE PRECISION NOT NULL, at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, ok BOOLEAN NOT NULL DEFAULT false, data JSONB NOT NULL, blob BYTEA NOT NULL, tags TEXT[], CONSTRAINT "Item_pkey" PRIMARY KEY (id))`,
      ],
    },
    {
      name: "@db.* native types, @map column names, BigInt autoincrement as BIGSERIAL, dbgenerated and enum defaults",
      schema: `enum Role {
  USER
  ADMIN @map("admin")
}

model Account {
  id      BigInt   @id @default(autoincrement())
  userId  String   @map("user_id") @db.Uuid
  code    String   @db.VarChar(32)
  at      DateTime @db.Timestamptz(6) @default(dbgenerated("now()"))
  role    Role     @default(ADMIN)
  amount  Decimal  @db.Decimal(10, 2)
  small   Int      @db.SmallInt

  @@map("accounts")
}
`,
      table: "accounts",
      columns: [
        "id bigserial NOT NULL",
        "user_id uuid NOT NULL",
        "code varchar NOT NULL",
        "at timestamptz NOT NULL",
        "role Role NOT NULL",
        "amount numeric NOT NULL",
        "small int2 NOT NULL",
      ],
      indexes: ["accounts_pkey PK btree (id)"],
      sql: [
        `CREATE TYPE "Role" AS ENUM ('USER', 'admin')`,
        `CREATE TABLE accounts (id BIGSERIAL NOT NULL, user_id UUID NOT NULL, code VARCHAR(32) NOT NULL, at TIMESTAMPTZ(6) NOT NULL DEFAULT now(), role "Role" NOT NULL DEFAULT 'admin', amount DECIMAL(10,2) NOT NULL, small SMALLINT NOT NULL, CONSTRAINT accounts_pkey PRIMARY KEY (id))`,
      ],
    },
    {
      name: "@unique and @@unique are unique indexes (not constraints), with map:, sort: and Prisma's names",
      schema: `model Member {
  id     Int    @id
  email  String @unique
  handle String @unique(map: "member_handle_uq", sort: Desc)
  orgId  Int    @map("org_id")
  slug   String

  @@unique([orgId, slug])
  @@unique(fields: [slug, email], name: "slugEmail", map: "slug_email_uq")
}
`,
      table: "Member",
      indexes: [
        "Member_email_key UNIQUE btree (email)",
        "Member_org_id_slug_key UNIQUE btree (org_id, slug)",
        "Member_pkey PK btree (id)",
        "member_handle_uq UNIQUE btree (handle DESC)",
        "slug_email_uq UNIQUE btree (slug, email)",
      ],
      sql: [
        `CREATE TABLE "Member" (id INTEGER NOT NULL, email TEXT NOT NULL, handle TEXT NOT NULL, org_id INTEGER NOT NULL, slug TEXT NOT NULL, CONSTRAINT "Member_pkey" PRIMARY KEY (id))`,
        `CREATE UNIQUE INDEX "Member_email_key" ON "Member"(email)`,
        `CREATE UNIQUE INDEX member_handle_uq ON "Member"(handle DESC)`,
        `CREATE UNIQUE INDEX "Member_org_id_slug_key" ON "Member"(org_id, slug)`,
        `CREATE UNIQUE INDEX slug_email_uq ON "Member"(slug, email)`,
      ],
    },
    {
      name: "@@index with sort, ops, type, map, a legacy name: and a Prisma 7.4 partial index where: raw(…)",
      schema: `model Event {
  id        Int      @id
  tenantId  Int
  createdAt DateTime
  payload   Json
  deletedAt DateTime?
  key       String

  @@index([tenantId, createdAt(sort: Desc)])
  @@index([payload(ops: JsonbPathOps)], type: Gin)
  @@index([key], type: Hash, map: "event_key_hash")
  @@index([createdAt], type: Brin, name: "event_created_brin")
  @@index([tenantId], map: "event_live_tenant", where: raw("\\"deletedAt\\" IS NULL"))
  @@index([key], type: Gist, map: "event_key_gist")
  @@index([key], type: SpGist, map: "event_key_spgist")
  @@index([tenantId], map: "event_live_obj", where: { deletedAt: null })
}
`,
      table: "Event",
      indexes: [
        "Event_payload_idx gin (payload jsonb_path_ops)",
        "Event_pkey PK btree (id)",
        "Event_tenantId_createdAt_idx btree (tenantId, createdAt DESC)",
        "event_created_brin brin (createdAt)",
        "event_key_gist gist (key)",
        "event_key_hash hash (key)",
        "event_key_spgist spgist (key)",
        'event_live_obj btree (tenantId) WHERE "deletedAt" IS NULL',
        'event_live_tenant btree (tenantId) WHERE "deletedAt" IS NULL',
      ],
    },
    {
      name: "@relation foreign keys with Prisma's default actions by optionality, explicit actions and map:",
      schema: `${USER}
model Post {
  id         Int   @id
  authorId   Int
  author     User  @relation("written", fields: [authorId], references: [id])
  editorId   Int?  @map("editor_id")
  editor     User? @relation("edited", fields: [editorId], references: [id])
  reviewerId Int
  reviewer   User  @relation("reviewed", fields: [reviewerId], references: [id], onDelete: Cascade, onUpdate: NoAction, map: "post_reviewer_fk")

  @@index([reviewerId])
}
`,
      table: "Post",
      foreignKeys: [
        "Post_authorId_fkey (authorId) → public.User (id)",
        "Post_editor_id_fkey (editor_id) → public.User (id)",
        "post_reviewer_fk (reviewerId) → public.User (id)",
      ],
      sql: [
        `CREATE TABLE "User" (id SERIAL NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY (id))`,
        `CREATE TABLE "Post" (id INTEGER NOT NULL, "authorId" INTEGER NOT NULL, editor_id INTEGER, "reviewerId" INTEGER NOT NULL, CONSTRAINT "Post_pkey" PRIMARY KEY (id))`,
        `CREATE INDEX "Post_reviewerId_idx" ON "Post"("reviewerId")`,
        `ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"(id) ON DELETE RESTRICT ON UPDATE CASCADE`,
        `ALTER TABLE "Post" ADD CONSTRAINT "Post_editor_id_fkey" FOREIGN KEY (editor_id) REFERENCES "User"(id) ON DELETE SET NULL ON UPDATE CASCADE`,
        `ALTER TABLE "Post" ADD CONSTRAINT post_reviewer_fk FOREIGN KEY ("reviewerId") REFERENCES "User"(id) ON DELETE CASCADE ON UPDATE NO ACTION`,
      ],
    },
    {
      name: "@@id compound primary key with map:, and a composite foreign key",
      schema: `model Tenant {
  id Int @id
}

model Membership {
  tenantId Int
  userId   Int
  tenant   Tenant @relation(fields: [tenantId], references: [id])

  @@id([tenantId, userId], map: "membership_pk")
}

model Grant {
  id       Int        @id
  tenantId Int
  userId   Int
  member   Membership @relation(fields: [tenantId, userId], references: [tenantId, userId])
}
`,
      table: "Grant",
      indexes: ["Grant_pkey PK btree (id)"],
      foreignKeys: ["Grant_tenantId_userId_fkey (tenantId, userId) → public.Membership (tenantId, userId)"],
    },
    {
      name: "implicit many-to-many: Prisma 6's join table with a primary key, A for the model that sorts first",
      schema: `model Post {
  id   Int    @id
  tags Tag[]
}

model Tag {
  id    String @id @db.Uuid
  posts Post[]
}
`,
      table: "_PostToTag",
      columns: ["A int4 NOT NULL", "B uuid NOT NULL"],
      indexes: ["_PostToTag_AB_pkey PK btree (A, B)", "_PostToTag_B_index btree (B)"],
      foreignKeys: ["_PostToTag_A_fkey (A) → public.Post (id)", "_PostToTag_B_fkey (B) → public.Tag (id)"],
    },
    {
      name: "implicit many-to-many before Prisma 6: a unique index _AB_unique, named by @relation",
      prismaMajor: 5,
      schema: `model Post {
  id   Int   @id
  tags Tag[] @relation("Tagging")
}

model Tag {
  id    Int    @id
  posts Post[] @relation("Tagging")
}
`,
      table: "_Tagging",
      indexes: ["_Tagging_AB_unique UNIQUE btree (A, B)", "_Tagging_B_index btree (B)"],
    },
    {
      name: "@@schema puts tables, indexes and enums in the datasource's schemas",
      schema: `datasource db {
  provider = "postgresql"
  schemas  = ["public", "auth"]
}

enum Kind {
  A
  @@schema("auth")
}

model Session {
  id     Int  @id
  kind   Kind
  userId Int
  user   User @relation(fields: [userId], references: [id])

  @@index([kind])
  @@schema("auth")
}

model User {
  id Int @id
  @@schema("public")
}
`,
      table: "Session",
      tableSchema: "auth",
      columns: ["id int4 NOT NULL", "kind auth.Kind NOT NULL", "userId int4 NOT NULL"],
      indexes: ["Session_kind_idx btree (kind)", "Session_pkey PK btree (id)"],
      foreignKeys: ["Session_userId_fkey (userId) → public.User (id)"],
    },
    {
      name: "relationMode = prisma emits no foreign keys",
      schema: `datasource db {
  provider     = "postgresql"
  relationMode = "prisma"
}
${USER}
model Post {
  id       Int  @id
  authorId Int
  author   User @relation(fields: [authorId], references: [id])
}
`,
      table: "Post",
      foreignKeys: [],
    },
    {
      name: "comments, doc comments, block comments, generator blocks, composite types and Unsupported(…)",
      schema: `// The schema.
generator client {
  provider = "prisma-client-js" // trailing
}

/// A document.
/* a block
   comment */
model Doc {
  id     Int                      @id /// the key
  search Unsupported("tsvector")?
  // a note
  @@index([search], type: Gin)
}

type Address {
  street String
}
`,
      table: "Doc",
      columns: ["id int4 NOT NULL", "search tsvector"],
      indexes: ["Doc_pkey PK btree (id)", "Doc_search_idx gin (search)"],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const { file, catalog } = read(
        c.schema,
        c.prismaMajor === undefined ? {} : { prismaMajor: c.prismaMajor },
      );
      expect(file.errors).toEqual([]);
      expect(file.warnings).toEqual([]);
      const table = tableOf(catalog, c.table, c.tableSchema);
      if (c.columns) expect(table.columns).toEqual(c.columns);
      if (c.indexes) expect(table.indexes).toEqual(c.indexes);
      if (c.foreignKeys) expect(table.foreignKeys).toEqual(c.foreignKeys);
      if (c.sql) expect(file.statements.map((s) => s.sql)).toEqual(c.sql);
    });
  }

  it("marks every statement generated, in autocommit, with a sentence saying where it comes from", () => {
    const { file } = read(USER);
    expect(file.statements[0]?.generated).toBe(true);
    expect(file.statements[0]?.tx).toEqual({
      inTransaction: false,
      reason: "autocommit",
      detail: "declared in a Prisma schema; prisma migrate dev would write it into a new migration",
    });
  });
});

describe("Prisma's names", () => {
  const long = "VeryLongModelNameForTesting"; // 27 bytes
  const cases: [string, string, number][] = [
    [primaryKeyName("User"), "User_pkey", 9],
    [uniqueIndexName("User", ["email"]), "User_email_key", 14],
    [indexName("Post", ["authorId", "createdAt"]), "Post_authorId_createdAt_idx", 27],
    [foreignKeyName("Post", ["authorId"]), "Post_authorId_fkey", 18],
    // Past 63 bytes Prisma cuts the part before the suffix, keeping the suffix whole.
    [
      uniqueIndexName("BatchTaskRun", ["runtimeEnvironmentId", "taskIdentifier", "idempotencyKey"]),
      "BatchTaskRun_runtimeEnvironmentId_taskIdentifier_idempotenc_key",
      63,
    ],
    [
      foreignKeyName(long, ["someRatherLongColumnName", "anotherOne"]),
      "VeryLongModelNameForTesting_someRatherLongColumnName_anoth_fkey",
      63,
    ],
    [primaryKeyName("x".repeat(70)), `${"x".repeat(58)}_pkey`, 63],
    // A multi-byte character is never cut in half: "é" is 2 bytes at bytes 58–59.
    [primaryKeyName(`${"x".repeat(57)}é`), `${"x".repeat(57)}_pkey`, 62],
  ];
  it.each(cases)("%s", (actual, expected, bytes) => {
    expect(actual).toBe(expected);
    expect(Buffer.byteLength(actual)).toBe(bytes);
  });

  it("cuts a 64-byte index name to 63 bytes with the suffix kept", () => {
    const name = indexName(long, ["someRatherLongColumnName", "another"]);
    expect(name).toBe("VeryLongModelNameForTesting_someRatherLongColumnName_anothe_idx");
    expect(Buffer.byteLength(name)).toBe(63);
  });

  it("names truncated indexes and foreign keys in the catalog as Prisma would, not as PostgreSQL would", () => {
    const { catalog } = read(`model Parent {
  id Int @id
}

model ExtraordinarilyLongModelNameForTheTest {
  id                           Int    @id
  theFirstQuiteLongForeignKeyId Int
  parent                       Parent @relation(fields: [theFirstQuiteLongForeignKeyId], references: [id])

  @@index([theFirstQuiteLongForeignKeyId])
}
`);
    const table = tableOf(catalog, "ExtraordinarilyLongModelNameForTheTest");
    expect(table.indexes).toContain(
      "ExtraordinarilyLongModelNameForTheTest_theFirstQuiteLongFor_idx btree (theFirstQuiteLongForeignKeyId)",
    );
    expect(table.foreignKeys).toEqual([
      "ExtraordinarilyLongModelNameForTheTest_theFirstQuiteLongFo_fkey (theFirstQuiteLongForeignKeyId) → public.Parent (id)",
    ]);
  });
});

describe("locations", () => {
  const schema = `model User {
  id Int @id
}

model Post {
  id       Int  @id
  authorId Int
  author   User @relation(fields: [authorId], references: [id])
  title    String @unique

  @@index([title, authorId])
}
`;

  it("locates the table at the model, its primary key at @id, a foreign key at its relation field, an index at @@index", () => {
    const { file, catalog } = read(schema);
    const post = catalog.resolveTable(undefined, "Post");
    expect(post?.source).toEqual({
      file: "prisma/schema.prisma",
      line: 5,
      column: 1,
      endLine: 5,
      endColumn: 11,
    });
    expect(post?.indexes.get("Post_pkey")?.source).toEqual({
      file: "prisma/schema.prisma",
      line: 6,
      column: 17,
      endLine: 6,
      endColumn: 20,
    });
    expect(post?.foreignKeys.get("Post_authorId_fkey")?.source).toEqual({
      file: "prisma/schema.prisma",
      line: 8,
      column: 3,
      endLine: 8,
      endColumn: 64,
    });
    expect(post?.indexes.get("Post_title_authorId_idx")?.source).toEqual({
      file: "prisma/schema.prisma",
      line: 11,
      column: 3,
      endLine: 11,
      endColumn: 29,
    });
    expect(post?.indexes.get("Post_title_key")?.source).toEqual({
      file: "prisma/schema.prisma",
      line: 9,
      column: 19,
      endLine: 9,
      endColumn: 26,
    });
    // The CREATE TABLE statement spans the whole model block.
    const create = file.statements.find((s) => s.sql.startsWith('CREATE TABLE "Post"'));
    expect(create?.range).toEqual({
      file: "prisma/schema.prisma",
      line: 5,
      column: 1,
      endLine: 12,
      endColumn: 2,
    });
  });

  it("reads several files as one schema; each statement belongs to the file that declares it", () => {
    const result = readPrismaSchema([
      { file: "prisma/schema/user.prisma", text: "model User {\n  id Int @id\n  posts Post[]\n}\n" },
      {
        file: "prisma/schema/post.prisma",
        text: "model Post {\n  id Int @id\n  authorId Int\n  author User @relation(fields: [authorId], references: [id])\n}\n",
      },
    ]);
    expect(result.files.map((f) => [f.file, f.statements.map((s) => s.sql.split(" (")[0])])).toEqual([
      ["prisma/schema/user.prisma", ['CREATE TABLE "User"']],
      [
        "prisma/schema/post.prisma",
        ['CREATE TABLE "Post"', 'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY'],
      ],
    ]);
    const fk = replay(result.files).resolveTable(undefined, "Post")?.foreignKeys.get("Post_authorId_fkey");
    expect(fk?.source).toEqual({
      file: "prisma/schema/post.prisma",
      line: 4,
      column: 3,
      endLine: 4,
      endColumn: 62,
    });
    expect(result.models.map((m) => [m.name, m.file, m.table])).toEqual([
      ["User", "prisma/schema/user.prisma", "User"],
      ["Post", "prisma/schema/post.prisma", "Post"],
    ]);
  });
});

describe("errors and notes, never a throw", () => {
  const cases: { name: string; schema: string; errors?: string[]; warnings?: string[]; tables?: string[] }[] =
    [
      {
        name: "an unclosed model is an error at its name; the next model is still read",
        schema: "model A {\n  id Int @id\n\nmodel B {\n  id Int @id\n}\n",
        errors: ['1:7 Prisma schema error: model A is not closed: "}" is missing.'],
        tables: ["A", "B"],
      },
      {
        name: "a line that is no field is an error at that line; the other fields are read",
        schema: "model A {\n  id Int @id\n  = nonsense\n  name String\n}\n",
        errors: ["3:3 Prisma schema error: this line is not a valid field or attribute definition."],
        tables: ["A"],
      },
      {
        name: "an unclosed argument list and an unclosed string are errors at their openings",
        schema: 'model A {\n  id Int @id @default(dbgenerated("x\n}\n',
        errors: [
          "2:35 Prisma schema error: a string is not closed: '\"' is missing.",
          '2:34 Prisma schema error: an argument list is not closed: ")" is missing.',
          '2:22 Prisma schema error: an argument list is not closed: ")" is missing.',
        ],
      },
      {
        name: "text outside any block is an error",
        schema: "what is this\nmodel A {\n  id Int @id\n}\n",
        errors: [
          '1:1 Prisma schema error: unexpected "what"; expected a model, enum, datasource or generator block.',
        ],
        tables: ["A"],
      },
      {
        name: "a view is skipped with a note at its header",
        schema: "view Stats {\n  id Int @unique\n}\n",
        warnings: [
          "1:1 view Stats is a database view, which Prisma does not create; pg-index-lint skipped it.",
        ],
        tables: [],
      },
      {
        name: "an unknown field type is noted and the field skipped",
        schema: "model A {\n  id Int @id\n  x  Mystery\n}\n",
        warnings: [
          '3:3 The type "Mystery" of field x is not a Prisma scalar, enum or model; the field was skipped.',
        ],
        tables: ["A"],
      },
      {
        name: "an index on a field that does not exist is noted and skipped",
        schema: "model A {\n  id Int @id\n  @@index([nope])\n}\n",
        warnings: ['3:3 Field "nope" is not a scalar field of model A; this index was skipped.'],
        tables: ["A"],
      },
      {
        name: "a MySQL datasource is noted and its models skipped",
        schema: 'datasource db {\n  provider = "mysql"\n}\nmodel A {\n  id Int @id\n}\n',
        warnings: [
          '2:3 This datasource\'s provider is "mysql"; pg-index-lint reads PostgreSQL schemas only, so the models were skipped.',
        ],
        tables: [],
      },
      {
        name: "a dbgenerated default that is not SQL loses the default, not the table",
        schema: 'model A {\n  id Int @id @default(dbgenerated("not ( sql"))\n}\n',
        warnings: [
          '1:1 A @default(…) of this model is not SQL pg-index-lint can parse (syntax error at or near "not"); the table was read without its defaults.',
        ],
        tables: ["A"],
      },
    ];
  for (const c of cases) {
    it(c.name, () => {
      const { file, catalog } = read(c.schema);
      const show = (list: { message: string; range: { line: number; column: number } }[]) =>
        list.map((e) => `${e.range.line}:${e.range.column} ${e.message}`);
      expect(show(file.errors)).toEqual(c.errors ?? []);
      expect(show(file.warnings)).toEqual(c.warnings ?? []);
      if (c.tables) expect([...catalog.tables.values()].map((t) => t.name)).toEqual(c.tables);
    });
  }
});

describe("inline ignores in Prisma comments", () => {
  const schema = `// pg-index-lint-ignore duplicate-index: whole model
model Post {
  id       Int  @id
  // pg-index-lint-ignore unindexed-foreign-key: tiny table
  author   User @relation(fields: [authorId], references: [id])
  authorId Int // pg-index-lint-ignore redundant-index, duplicate-index

  // pg-index-lint-ignore redundant-index
  @@index([authorId])
}

// pg-index-lint-ignore unindexed-foreign-key

`;
  it("applies a directive to the declaration on the next line, or on its own line, or to a whole block", () => {
    const { file } = read(schema);
    const show = file.ignores.map(
      (i) =>
        `${i.rules.join("+")} "${i.reason}" @${i.range.line}:${i.range.column} → ${i.statement.line}:${i.statement.column}-${i.statement.endLine}:${i.statement.endColumn}`,
    );
    expect(show).toEqual([
      'duplicate-index "whole model" @1:1 → 2:1-10:2',
      'unindexed-foreign-key "tiny table" @4:3 → 5:3-5:64',
      'redundant-index+duplicate-index "" @6:16 → 6:3-6:15',
      'redundant-index "" @8:3 → 9:3-9:22',
      // Nothing follows: the directive applies to itself, and check() reports it unused.
      'unindexed-foreign-key "" @12:1 → 12:1-12:46',
    ]);
  });

  it("covers the foreign key finding of the field it precedes", () => {
    const { file, catalog } = read(
      `model User {\n  id Int @id\n}\n${schema.split("\n// pg-index-lint-ignore unindexed")[0]}`,
    );
    const fk = catalog.resolveTable(undefined, "Post")?.foreignKeys.get("Post_authorId_fkey");
    const ignore = file.ignores.find((i) => i.rules.includes("unindexed-foreign-key"));
    expect(fk?.source.line).toBe(8);
    expect(ignore?.statement.line).toBe(8);
    expect(fk && ignore && fk.source.column >= ignore.statement.column).toBe(true);
  });
});

describe("the @@index fix", () => {
  const cases: { name: string; schema: string; model: string; fields: string[]; edit: object | null }[] = [
    {
      name: "after the last @@ attribute, with its indentation",
      schema: 'model Post {\n    id       Int @id\n    authorId Int\n\n    @@map("posts")\n}\n',
      model: "Post",
      fields: ["authorId"],
      edit: { line: 6, column: 1, endLine: 6, endColumn: 1, text: "    @@index([authorId])\n" },
    },
    {
      name: "after the last field, separated by a blank line as prisma format does",
      schema: "model Post {\n  id       Int @id\n  authorId Int // who wrote it\n}\n",
      model: "Post",
      fields: ["authorId", "id"],
      edit: { line: 4, column: 1, endLine: 4, endColumn: 1, text: "\n  @@index([authorId, id])\n" },
    },
    {
      name: "in the right model of several, with tabs",
      schema: "model A {\n\tid Int @id\n}\n\nmodel B {\n\tid Int @id\n\taId Int\n\t@@unique([aId, id])\n}\n",
      model: "B",
      fields: ["aId"],
      edit: { line: 9, column: 1, endLine: 9, endColumn: 1, text: "\t@@index([aId])\n" },
    },
    {
      name: "before the closing brace of a one-line model",
      schema: "model C { id Int @id }\n",
      model: "C",
      fields: ["id"],
      edit: { line: 1, column: 22, endLine: 1, endColumn: 22, text: "@@index([id]) " },
    },
    {
      name: "null when the model is not in the file",
      schema: "model A {\n  id Int @id\n}\n",
      model: "Z",
      fields: ["x"],
      edit: null,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const edit = prismaIndexEdit({ file: "schema.prisma", text: c.schema }, c.model, c.fields);
      expect(edit).toEqual(c.edit === null ? null : { file: "schema.prisma", ...c.edit });
    });
  }

  it("renders the attribute and the help sentence in Prisma's words", () => {
    expect(prismaIndexAttribute(["authorId"])).toBe("@@index([authorId])");
    expect(prismaIndexHelp("Post", ["tenantId", "authorId"])).toBe(
      "Add @@index([tenantId, authorId]) to model Post",
    );
  });

  it("maps a finding's table and columns back to the model and its field names", () => {
    const { schema } = read(
      'model Post {\n  id Int @id\n  authorId Int @map("author_id")\n  @@map("posts")\n  @@schema("blog")\n}\n',
    );
    const found = modelFields(schema, "blog.posts", ["author_id"]);
    expect(found && [found.model.name, found.fields]).toEqual(["Post", ["authorId"]]);
    expect(modelFields(schema, "posts", ["author_id"])).toBeNull();
    expect(modelFields(schema, "blog.posts", ["nope"])).toBeNull();
  });
});

describe("unindexed foreign keys of a Prisma schema", () => {
  const schema = `datasource db {
  provider = "postgresql"
}

model User {
  id      Int      @id @default(autoincrement())
  email   String   @unique
  posts   Post[]
  profile Profile?
}

model Profile {
  id     Int  @id
  userId Int  @unique
  user   User @relation(fields: [userId], references: [id])
}

model Post {
  id         Int       @id
  authorId   Int
  author     User      @relation(fields: [authorId], references: [id])
  categoryId Int?
  category   Category? @relation(fields: [categoryId], references: [id])
  tags       Tag[]

  @@index([categoryId, id])
}

model Category {
  id    Int    @id
  posts Post[]
}

model Tag {
  id    Int    @id
  posts Post[]
}

model Comment {
  postId Int
  n      Int
  post   Post @relation(fields: [postId], references: [id])
  userId Int
  user   User @relation(fields: [userId], references: [id])

  @@id([postId, n])
}
`;
  it("finds exactly the relation scalars no index leads with, located at their relation fields", () => {
    const { catalog } = read(schema);
    const findings =
      unindexedForeignKey.checkCatalog?.({
        catalogs: [catalog],
        requirements: [],
        configFile: null,
        wordsFor: () => SQL_MIGRATION_WORDS,
      }) ?? [];
    expect(
      findings.map(
        (f) =>
          `${f.table} (${f.columns?.join(", ")}) @${f.range.line}:${f.range.column}-${f.range.endColumn}`,
      ),
    ).toEqual(["Post (authorId) @21:3-71", "Comment (userId) @44:3-60"]);
  });
});
