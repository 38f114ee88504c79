import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Config } from "../src/config/schema.js";
import { initConfig } from "../src/init.js";
import { ORM_IDS } from "../src/sources/index.js";
import { runCli } from "./cli-io.js";
import { scratchDir } from "./harness.js";

function repo(files: Record<string, string>, parent?: string): string {
  const root = parent ?? scratchDir("pil-init-");
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, name, ".."), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  return root;
}

const written = (root: string) => parse(readFileSync(join(root, ".pg-index-lint.yml"), "utf8"));
const paths = (root: string) =>
  (written(root).migrations ?? []).map((m: { path: string; runner: string }) => `${m.path} ${m.runner}`);

/** A golang-migrate service that keeps migrations for five databases side by side. */
const FIVE_DATABASES = {
  "go.mod": "module example.com/svc\n\nrequire github.com/golang-migrate/migrate/v4 v4.15.2\n",
  "db/migrations/postgres/1_init.up.sql":
    "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL);\n",
  "db/migrations/postgres/2_email.up.sql": "CREATE INDEX users_email ON users (email);\n",
  "db/migrations/postgres/1_init.down.sql": "DROP TABLE users;\n",
  "db/migrations/mysql/1_init.up.sql":
    "CREATE TABLE `users` (`id` bigint NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`)) ENGINE=InnoDB;\n",
  "db/migrations/sqlite3/1_init.up.sql":
    "CREATE TABLE `users` (id INTEGER PRIMARY KEY AUTOINCREMENT);\nCREATE TABLE `kv` (k TEXT);\n",
  "db/migrations/clickhouse/1_init.up.sql":
    "CREATE TABLE events (id UInt64, at DateTime) ENGINE = MergeTree() ORDER BY at;\n",
  "db/migrations/cockroachdb/1_init.up.sql": "CREATE TABLE users (id UUID PRIMARY KEY);\n",
};

describe("init: PostgreSQL folders only", () => {
  it("keeps postgres/ and lists the other databases' folders as skipped, with the reason", async () => {
    const root = repo(FIVE_DATABASES);
    const result = await initConfig(root);
    expect(result.code).toBe(0);
    expect(paths(root)).toEqual(["db/migrations/postgres golang-migrate"]);
    expect(result.stdout).toMatch(
      /db\/migrations\/mysql: MySQL, by its name \("mysql"\); its content has MySQL markers: .*AUTO_INCREMENT in db\/migrations\/mysql\/1_init\.up\.sql:1/,
    );
    expect(result.stdout).toMatch(
      /db\/migrations\/sqlite3: SQLite, by its name \("sqlite3"\); its content has SQLite markers: AUTOINCREMENT/,
    );
    expect(result.stdout).toMatch(
      /db\/migrations\/clickhouse: ClickHouse, by its name .*ENGINE = …MergeTree/,
    );
    expect(result.stdout).toMatch(/db\/migrations\/cockroachdb: CockroachDB, by its name \("cockroachdb"\)/);
  });

  it("decides by content when the name says nothing: other dialects' markers, or SQL libpg-query cannot read", async () => {
    const root = repo({
      "db/main/1_init.up.sql": "CREATE TABLE a (id int PRIMARY KEY);\n",
      // Other dialects' words inside comments and function bodies do not count.
      "db/main/2_fn.up.sql":
        "/* ported from\n   MySQL's AUTO_INCREMENT */\nCREATE FUNCTION f() RETURNS text AS $body$\nBEGIN\n  RETURN '`x`';\nEND\n$body$ LANGUAGE plpgsql;\n",
      "db/legacy/1_init.up.sql": "CREATE TABLE `a` (`id` int);\n",
      "db/analytics/1_init.up.sql": "CREATE TABLE e (id UInt64) ENGINE = ReplacingMergeTree ORDER BY id;\n",
      "db/embedded/1_init.up.sql": "CREATE TABLE k (id INTEGER PRIMARY KEY AUTOINCREMENT);\n",
      "db/other/1_init.up.sql": "CREATE TABLE t (id int) WITH SYSTEM VERSIONING FOR GARBAGE;\n",
    });
    const result = await initConfig(root);
    expect(paths(root)).toEqual(["db/main golang-migrate"]);
    expect(result.stdout).toContain(
      "db/legacy: MySQL, by its content (backquoted identifiers in db/legacy/1_init.up.sql:1)",
    );
    expect(result.stdout).toContain("db/analytics: ClickHouse, by its content (ENGINE = …MergeTree");
    expect(result.stdout).toContain("db/embedded: SQLite, by its content (AUTOINCREMENT");
    expect(result.stdout).toMatch(
      /db\/other: not PostgreSQL: libpg-query cannot parse 1 of 1 files \(db\/other\/1_init\.up\.sql: syntax error/,
    );
  });

  it("a Flyway location keeps its PostgreSQL files and ignores another database's sub-folder", async () => {
    const root = repo({
      "src/main/resources/db/migration/V1__init.sql": "CREATE TABLE a (id int PRIMARY KEY);\n",
      "src/main/resources/db/migration/postgresql/V2__more.sql": "CREATE TABLE b (id int PRIMARY KEY);\n",
      "src/main/resources/db/migration/mysql/V2__more.sql": "CREATE TABLE `b` (`id` int);\n",
    });
    await initConfig(root);
    const config = written(root);
    expect(paths(root)).toEqual(["src/main/resources/db/migration flyway"]);
    expect(config.ignore).toEqual(["src/main/resources/db/migration/mysql/*"]);
    const check = await runCli(["check", root, "--format", "json"]);
    const files = JSON.parse(check.stdout).summary.files;
    expect(files).toBe(2);
  });
});

describe("init: the whole repository, by names relative to it", () => {
  const TREE = {
    // Nothing in these paths says "migrations": only the runner's file names do.
    "app/store/1_users.up.sql": "CREATE TABLE users (id int PRIMARY KEY);\n",
    "scheduler/src/main/resources/db/migration_scheduler/V1__jobs.sql":
      "CREATE TABLE jobs (id int PRIMARY KEY);\n",
    "reports/monthly.sql": "SELECT 1;\n",
  };

  it("reads the same tree the same way under differently named parent folders", async () => {
    const base = scratchDir("pil-init-parents-");
    const source = repo(TREE, join(base, "source"));
    const results: string[][] = [];
    for (const parent of ["mysql-dumps", "plain"]) {
      const root = join(base, parent, "repo");
      cpSync(source, root, { recursive: true });
      expect((await initConfig(root)).code).toBe(0);
      results.push(paths(root));
    }
    expect(results[0]).toEqual([
      "app/store golang-migrate",
      "scheduler/src/main/resources/db/migration_scheduler flyway",
    ]);
    expect(results[1]).toEqual(results[0]);
  });

  it("walks without a depth limit and honours .gitignore (node_modules, .git and vendor are never read)", async () => {
    const root = repo({
      "services/a/b/c/d/src/main/resources/db/migration_scheduler/V1__jobs.sql":
        "CREATE TABLE jobs (id int);\n",
      ".gitignore": "generated/\n*.bak.d\n!keep.bak.d\n",
      "generated/migrations/1_x.up.sql": "CREATE TABLE g (id int);\n",
      "x/old.bak.d/migrations/1_x.up.sql": "CREATE TABLE o (id int);\n",
      "x/keep.bak.d/migrations/1_x.up.sql": "CREATE TABLE k (id int);\n",
      "tools/.gitignore": "/cache\n",
      "tools/cache/migrations/1_x.up.sql": "CREATE TABLE c (id int);\n",
      "node_modules/pkg/migrations/1_x.up.sql": "CREATE TABLE n (id int);\n",
      "vendor/mod/migrations/1_x.up.sql": "CREATE TABLE v (id int);\n",
    });
    await initConfig(root);
    expect(paths(root)).toEqual([
      "services/a/b/c/d/src/main/resources/db/migration_scheduler flyway",
      "x/keep.bak.d/migrations golang-migrate",
    ]);
  });

  it("leaves test fixtures out, and says so", async () => {
    const root = repo({
      "migrations/1_a.up.sql": "CREATE TABLE a (id int);\n",
      "internal/testdata/migrations/1_b.up.sql": "CREATE TABLE b (id int);\n",
    });
    const result = await initConfig(root);
    expect(paths(root)).toEqual(["migrations golang-migrate"]);
    expect(result.stdout).toContain('internal/testdata/migrations: SQL files under "testdata/"');
  });
});

const REVISION = `"""init"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True), sa.Column("email", sa.Text))


def downgrade():
    op.drop_table("users")
`;

const MODELS = `from sqlalchemy import Column, Integer, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(Text)
`;

describe("init: Alembic and models", () => {
  it("finds Alembic by alembic.ini script_location, whatever the folder is called, and proposes the SQLAlchemy models", async () => {
    const root = repo({
      "alembic.ini":
        "[alembic]\nscript_location = %(here)s/evolutions\nsqlalchemy.url = postgresql://localhost/app\n",
      "evolutions/env.py": "from alembic import context\n",
      "evolutions/versions/0001_init.py": REVISION,
      "app/models/user.py": MODELS,
      "app/views.py": "def index():\n    return 'hi'\n",
      // Names a table in a docstring and uses sa.Column, but declares no model.
      "app/utils/order.py":
        'import sqlalchemy as sa\n\n\ndef order(query):\n    """Sorts a query, e.g.\n\n        class A(Base):\n            __tablename__ = "a"\n            id = sa.Column(sa.Integer, primary_key=True)\n    """\n    return query\n',
      "app/models/__init__.py": "",
      "requirements.txt": "alembic==1.13.2\nSQLAlchemy==2.0.30\n",
    });
    const result = await initConfig(root);
    expect(result.code).toBe(0);
    expect(paths(root)).toEqual(["evolutions alembic"]);
    expect(written(root).models).toEqual([{ path: "app/models", orm: "sqlalchemy" }]);
    expect(result.stdout).toContain(
      "evolutions: Alembic migrations, by script_location in alembic.ini, version 1.13.2 from requirements.txt",
    );
    // The version check reads is the one init printed.
    const check = await runCli(["check", root]);
    expect(check.stdout).toContain("runner alembic (from config), version 1.13.2 (requirements.txt");
  });

  it("finds Alembic by an env.py beside versions/ (Flask-Migrate's migrations/), and skips a MySQL one", async () => {
    const root = repo({
      "migrations/alembic.ini": "[alembic]\n",
      "migrations/env.py": "from alembic import context\n",
      "migrations/versions/0001_init.py": REVISION,
      "legacy/alembic.ini": "[alembic]\nsqlalchemy.url = mysql+pymysql://localhost/app\n",
      "legacy/env.py": "from alembic import context\n",
      "legacy/versions/0001_init.py": REVISION,
    });
    const result = await initConfig(root);
    expect(paths(root)).toEqual(["migrations alembic"]);
    expect(result.stdout).toContain("migrations: Alembic migrations, by env.py beside versions/");
    expect(result.stdout).toContain("legacy: Alembic migrations for mysql (sqlalchemy.url = mysql…)");
  });

  it("proposes Prisma and Drizzle models exactly when the registry reads them", async () => {
    const files = {
      "prisma/schema.prisma":
        'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n\nmodel User {\n  id Int @id\n}\n',
      "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
      "prisma/migrations/20240101000000_init/migration.sql":
        'CREATE TABLE "User" ("id" INTEGER PRIMARY KEY);\n',
      "src/db/schema.ts":
        'import { pgTable, serial } from "drizzle-orm/pg-core";\nexport const users = pgTable("users", { id: serial("id").primaryKey() });\n',
    };
    const all = repo(files);
    const withAll = await initConfig(all, { orms: ["sqlalchemy", "prisma", "drizzle"] });
    expect(withAll.code).toBe(0);
    expect(written(all).models).toEqual([
      { path: "prisma", orm: "prisma" },
      { path: "src/db", orm: "drizzle" },
    ]);
    // With the registry as it is, an ORM it cannot read is mentioned, not written (the config
    // schema would refuse it); the entry appears as soon as the registry has the ORM.
    const today = repo(files);
    const result = await initConfig(today);
    const expected = [
      ...(ORM_IDS.includes("prisma") ? [{ path: "prisma", orm: "prisma" }] : []),
      ...(ORM_IDS.includes("drizzle") ? [{ path: "src/db", orm: "drizzle" }] : []),
    ];
    expect(written(today).models ?? []).toEqual(expected);
    if (!ORM_IDS.includes("prisma"))
      expect(result.stdout).toContain(
        "note: Prisma models in prisma were not added: this pg-index-lint cannot read Prisma models yet",
      );
    expect(Config.safeParse(written(today)).success).toBe(true);
    expect(paths(today)).toEqual(["prisma/migrations prisma"]);
  });
});

describe("init: what it prints and what it never does", () => {
  it("prints the config it wrote and a first check summary", async () => {
    const root = repo(FIVE_DATABASES);
    const result = await initConfig(root);
    const text = readFileSync(join(root, ".pg-index-lint.yml"), "utf8");
    expect(result.stdout).toContain(text.trimEnd());
    expect(text).toContain("runner: golang-migrate   # golang-migrate 4.15.2, read from go.mod");
    expect(result.stdout).toMatch(
      /first check:\n.*db\/migrations\/postgres: 2 migrations, runner golang-migrate \(from config\), version 4\.15\.2/,
    );
    expect(result.stdout).toMatch(/^✖ 1 error, 0 warnings in 2 files \(2 statements\)$/m);
    expect(result.stdout).toMatch(/^ {2}1 × require-concurrent-index-creation$/m);
  });

  it("writes nothing and exits 2 with what it looked for when it finds nothing", async () => {
    const root = repo({ "README.md": "hello\n", "mysql/1_a.up.sql": "CREATE TABLE `a` (id int);\n" });
    const { code, stdout, stderr } = await runCli(["init", root]);
    expect(code).toBe(2);
    expect(existsSync(join(root, ".pg-index-lint.yml"))).toBe(false);
    expect(stderr).toMatch(
      /^pg-index-lint: found no PostgreSQL migrations or models below .*: looked for migrations of Alembic .* and plain SQL .* in any folder .*SQLAlchemy, Prisma and Drizzle model declarations; nothing was written\n$/,
    );
    expect(stdout).toContain("mysql: MySQL, by its name");
  });

  it("init --help prints help and writes nothing", async () => {
    const root = repo({ "migrations/1_a.up.sql": "CREATE TABLE a (id int);\n" });
    const { code, stdout } = await runCli(["init", root, "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: pg-index-lint init \[options\] \[dir\]/);
    expect(existsSync(join(root, ".pg-index-lint.yml"))).toBe(false);
  });

  it("never writes through a symbolic link, even one that points nowhere", async () => {
    const root = repo({ "migrations/1_a.up.sql": "CREATE TABLE a (id int);\n" });
    const outside = scratchDir("pil-init-outside-");
    symlinkSync(join(outside, "planted.yml"), join(root, ".pg-index-lint.yml"));
    const { code, stderr } = await runCli(["init", root]);
    expect(code).toBe(2);
    expect(stderr).toContain("a config already exists");
    expect(existsSync(join(outside, "planted.yml"))).toBe(false);
  });

  it("escapes folder names from the repository in its output and its YAML", async () => {
    const name = "db/mig\u001b[31mrations\nx";
    const root = repo({ [`${name}/1_a.up.sql`]: "CREATE TABLE a (id int);\n" });
    const result = await initConfig(root);
    expect(result.stdout).not.toContain("\u001b");
    expect(result.stdout).toContain("db/mig\\u001b[31mrations\\u000ax");
    expect(written(root).migrations).toEqual([{ path: name, runner: "golang-migrate" }]);
  });
});
