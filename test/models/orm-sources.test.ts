/**
 * Prisma and Drizzle as model sources, through the real `check()`: a models entry names a folder
 * or one file, a prismaSchemaFolder spans files, drizzle.config's casing is honoured, findings
 * carry the ORM's words and a fix that edits the schema, the fix applied makes the finding go
 * away and adds none, inline ignores in each language reach the policy step, and `detect` tells
 * `init` where the models are.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type CheckResult, check } from "../../src/check.js";
import type { Finding } from "../../src/finding.js";
import { applyEdits, fixEdits } from "../../src/fix/apply.js";
import { drizzleModels } from "../../src/models/drizzle-source.js";
import { prismaModels } from "../../src/models/prisma-source.js";
import { sqlalchemyModels } from "../../src/models/sqlalchemy-source.js";
import { findOrm } from "../../src/sources/index.js";
import { scratchDir } from "../harness.js";

function repo(files: Record<string, string>, config: Record<string, unknown>): string {
  const root = scratchDir();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  writeFileSync(join(root, ".pg-index-lint.yml"), stringify(config));
  return root;
}

const byRule = (result: CheckResult, rule: string) => result.findings.filter((f) => f.rule === rule);

/** Applies the finding's fix to the files on disk and checks again. */
async function fixAndCheck(root: string, finding: Finding): Promise<CheckResult> {
  const edited = applyEdits(fixEdits(finding), (file) => {
    try {
      return readFileSync(resolve(file), "utf8");
    } catch {
      return null;
    }
  });
  if (!edited.ok) throw new Error(edited.reason);
  for (const [file, text] of edited.files) writeFileSync(resolve(file), text);
  return check({ paths: [root] });
}

const PRISMA = `datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model User {
  id    Int    @id @default(autoincrement())
  email String @unique
  posts Post[]
}

model Post {
  id       Int    @id @default(autoincrement())
  title    String
  authorId Int
  author   User   @relation(fields: [authorId], references: [id])
}
`;

describe("prisma models entry", () => {
  it("names one schema.prisma: the unindexed relation at its field, in Prisma's words, with a fix that works", async () => {
    const root = repo(
      { "prisma/schema.prisma": PRISMA },
      { models: [{ path: "prisma/schema.prisma", orm: "prisma" }] },
    );
    const result = await check({ paths: [root] });
    const [finding, ...rest] = byRule(result, "unindexed-foreign-key");
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ line: 16, column: 3, endLine: 16, table: "Post", columns: ["authorId"] });
    expect(finding?.file.endsWith("prisma/schema.prisma")).toBe(true);
    expect(finding?.help).toMatch(
      /^Declare it in the model: add @@index\(\[authorId\]\) to model Post \(.*schema\.prisma:12\), then run `prisma migrate dev`/,
    );
    expect(finding?.fix?.replacement).toBe("\n  @@index([authorId])\n");
    expect(finding?.fix?.range).toMatchObject({ line: 17, column: 1, endLine: 17, endColumn: 1 });
    const before = result.findings.length;
    const after = await fixAndCheck(root, finding as Finding);
    expect(byRule(after, "unindexed-foreign-key")).toEqual([]);
    expect(after.findings.length).toBe(before - 1);
    expect(readFileSync(join(root, "prisma/schema.prisma"), "utf8")).toContain(
      "  author   User   @relation(fields: [authorId], references: [id])\n\n  @@index([authorId])\n}",
    );
  });

  it("widens an @@index on a prefix of a two-field relation instead of adding one beside it", async () => {
    const schema = `datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Account {
  id     String
  userId String
  orders Order[]

  @@id([id, userId])
}

model Order {
  id            Int     @id
  accountId     String
  accountUserId String
  account       Account @relation(fields: [accountId, accountUserId], references: [id, userId])

  @@index([accountId])
}
`;
    const root = repo(
      { "prisma/schema.prisma": schema },
      { models: [{ path: "prisma/schema.prisma", orm: "prisma" }] },
    );
    const result = await check({ paths: [root] });
    const [finding] = byRule(result, "unindexed-foreign-key");
    expect(finding).toMatchObject({ table: "Order", columns: ["accountId", "accountUserId"] });
    expect(finding?.fix?.replacement).toBe("@@index([accountId, accountUserId])");
    const after = await fixAndCheck(root, finding as Finding);
    // The finding is gone and nothing new appears: no redundant @@index([accountId]) is left.
    expect(after.findings.map((f) => f.rule)).toEqual(
      result.findings.filter((f) => f !== finding).map((f) => f.rule),
    );
    expect(readFileSync(join(root, "prisma/schema.prisma"), "utf8")).toContain(
      "  @@index([accountId, accountUserId])\n}",
    );
  });

  it("reads a prismaSchemaFolder across files, and reports in the file that declares the relation", async () => {
    const [head, models] = PRISMA.split("model User");
    const [user, post] = `model User${models}`.split("model Post");
    const root = repo(
      {
        "prisma/schema/schema.prisma": head as string,
        "prisma/schema/user.prisma": user as string,
        "prisma/schema/post.prisma": `model Post${post}`,
      },
      { models: [{ path: "prisma/schema", orm: "prisma" }] },
    );
    const result = await check({ paths: [root] });
    const findings = byRule(result, "unindexed-foreign-key");
    expect(findings.map((f) => [f.file.replace(/.*prisma\/schema\//, ""), f.line])).toEqual([
      ["post.prisma", 5],
    ]);
    expect(findings[0]?.fix?.range?.file).toBe(findings[0]?.file);
    expect(result.findings.filter((f) => f.severity === "error")).toEqual([]);
  });

  it("an inline ignore in Prisma's comment syntax silences the finding", async () => {
    const ignored = PRISMA.replace(
      "  author   User",
      "  // pg-index-lint-ignore unindexed-foreign-key: posts are never deleted\n  author   User",
    );
    const root = repo({ "schema.prisma": ignored }, { models: [{ path: "schema.prisma", orm: "prisma" }] });
    const result = await check({ paths: [root] });
    expect(byRule(result, "unindexed-foreign-key")).toEqual([]);
    expect(byRule(result, "unused-ignore")).toEqual([]);
  });

  it("refuses a file the ORM does not read", async () => {
    const root = repo({ "schema.sql": "select 1;" }, { models: [{ path: "schema.sql", orm: "prisma" }] });
    await expect(check({ paths: [root] })).rejects.toThrow(/is not one of Prisma schemas/);
  });
});

const DRIZZLE = `import { integer, pgTable, serial, text } from "drizzle-orm/pg-core";

export const users = pgTable("users", {
  id: serial().primaryKey(),
  email: text().notNull().unique(),
});

export const posts = pgTable("posts", {
  id: serial().primaryKey(),
  title: text().notNull(),
  authorId: integer().notNull().references(() => users.id),
});
`;

describe("drizzle models entry", () => {
  it("names one schema file, honours drizzle.config's casing, and fixes in Drizzle's words", async () => {
    const root = repo(
      {
        "drizzle.config.ts": `import { defineConfig } from "drizzle-kit";\nexport default defineConfig({ dialect: "postgresql", schema: "./src/db/schema.ts", casing: "snake_case" });\n`,
        "src/db/schema.ts": DRIZZLE,
      },
      { models: [{ path: "src/db/schema.ts", orm: "drizzle" }] },
    );
    const result = await check({ paths: [root] });
    const [finding, ...rest] = byRule(result, "unindexed-foreign-key");
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ line: 11, table: "posts", columns: ["author_id"] });
    expect(finding?.help).toMatch(
      /^Declare it in the table: add index\("posts_author_id_idx"\)\.on\(t\.authorId\) to the third argument of posts \(.*schema\.ts:8\), then run `drizzle-kit generate`/,
    );
    expect(finding?.fix?.replacement).toBe(`, (t) => [index("posts_author_id_idx").on(t.authorId)]`);
    expect(finding?.fix?.edits?.map((e) => e.text)).toEqual([", index"]);
    const before = result.findings.length;
    const after = await fixAndCheck(root, finding as Finding);
    expect(byRule(after, "unindexed-foreign-key")).toEqual([]);
    expect(after.findings.length).toBe(before - 1);
    expect(readFileSync(join(root, "src/db/schema.ts"), "utf8")).toContain(
      `import { integer, pgTable, serial, text, index } from "drizzle-orm/pg-core";`,
    );
  });

  it("without casing, the property key is the column name", async () => {
    const root = repo({ "db/schema.ts": DRIZZLE }, { models: [{ path: "db", orm: "drizzle" }] });
    const result = await check({ paths: [root] });
    expect(byRule(result, "unindexed-foreign-key").map((f) => f.columns)).toEqual([["authorId"]]);
  });

  it("an inline ignore in TypeScript's comment syntax silences the finding", async () => {
    const ignored = DRIZZLE.replace(
      "  authorId:",
      "  // pg-index-lint-ignore unindexed-foreign-key: posts are never deleted\n  authorId:",
    );
    const root = repo({ "db/schema.ts": ignored }, { models: [{ path: "db", orm: "drizzle" }] });
    const result = await check({ paths: [root] });
    expect(byRule(result, "unindexed-foreign-key")).toEqual([]);
    expect(byRule(result, "unused-ignore")).toEqual([]);
  });

  it("a binary file in a models folder is a note and the rest is read; a binary file named alone is an error", async () => {
    const root = repo({ "db/schema.ts": DRIZZLE }, { models: [{ path: "db", orm: "drizzle" }] });
    // An encrypted source file (git-crypt leaves such files in a package's sources).
    writeFileSync(
      join(root, "db", "vault.ts"),
      Buffer.from([0x00, 0x47, 0x49, 0x54, 0x43, 0x52, 0x59, 0x50, 0x54]),
    );
    const result = await check({ paths: [root] });
    expect(byRule(result, "unreadable-file")).toEqual([]);
    expect(byRule(result, "unsupported-construct")).toEqual([
      expect.objectContaining({
        file: expect.stringMatching(/(^|\/)db\/vault\.ts$/),
        line: 1,
        message: expect.stringMatching(/binary.*not read/),
      }),
    ]);
    expect(byRule(result, "unindexed-foreign-key").map((f) => f.columns)).toEqual([["authorId"]]);

    const alone = repo({ "db/schema.ts": "" }, { models: [{ path: "db/schema.ts", orm: "drizzle" }] });
    writeFileSync(join(alone, "db", "schema.ts"), Buffer.from([0x00, 0x01]));
    const failed = await check({ paths: [alone] });
    expect(byRule(failed, "unreadable-file")).toEqual([
      expect.objectContaining({ file: expect.stringMatching(/(^|\/)db\/schema\.ts$/) }),
    ]);
  });
});

describe("detect, for init", () => {
  it("each ORM names the models entry it would propose", () => {
    const root = repo(
      {
        "prisma/schema.prisma": PRISMA,
        "drizzle.config.ts": `export default { schema: "./src/db/schema.ts", dialect: "postgresql" };\n`,
        "src/db/schema.ts": DRIZZLE,
        "app/models/user.py": "class User(Base):\n    __tablename__ = 'users'\n",
      },
      {},
    );
    expect(prismaModels.detect(root)).toEqual(["prisma/schema.prisma"]);
    expect(drizzleModels.detect(root)).toEqual(["src/db/schema.ts"]);
    expect(sqlalchemyModels.detect(root)).toEqual(["app/models"]);
    expect(findOrm("prisma")).toBe(prismaModels);
    expect(findOrm("drizzle")).toBe(drizzleModels);
    const empty = repo({ "README.md": "nothing" }, {});
    expect([prismaModels, drizzleModels, sqlalchemyModels].map((o) => o.detect(empty))).toEqual([[], [], []]);
  });
});
