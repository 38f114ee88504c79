/**
 * The Alembic runner: revision-graph order, layout errors, env.py's transaction setting, the
 * pinned version, and how operations become located statements with their transaction.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { initSqlParser } from "../../src/parse/sql.js";
import { readRevisionHeader, translateRevision } from "../../src/python/alembic.js";
import { parsePython } from "../../src/python/syntax.js";
import { alembicRunner, transactionPerMigration } from "../../src/runners/alembic.js";
import { runner } from "../../src/sources/index.js";
import { scratchDir } from "../harness.js";

const FIXTURE = "test/fixtures/alembic/reversed";

function versionsDir(files: Record<string, string>): string {
  const root = scratchDir("pg-index-lint-alembic-");
  mkdirSync(join(root, "versions"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, "versions", name), text);
  return root;
}

const rev = (id: string, down: string) =>
  `revision = "${id}"\ndown_revision = ${down}\n\ndef upgrade():\n    pass\n`;

describe("alembic list", () => {
  it("orders revisions by the graph, not by file name, through a branch and its merge", () => {
    const refs = alembicRunner.list(FIXTURE);
    // The two branches are independent; between them, file-name order decides.
    expect(refs.map((r) => r.id)).toEqual(["aaa", "bbb2", "bbb1", "ccc"]);
    expect(refs.map((r) => basename(r.absPath))).toEqual([
      "z_first.py",
      "b_branch_two.py",
      "c_branch_one.py",
      "a_last.py",
    ]);
  });

  it("walks a merge as Alembic does: down from the head, one branch at a time in down_revision order", () => {
    // Traced by hand through alembic/script/revision.py _topological_sort (1.19): the merge names
    // ("y2", "x1"), so the walk goes down y2 → y1 and stops at base0, which x1 still needs; then
    // x1. Reversed for the upgrade: base0, x1, y1, y2, merge — where file names alone would run
    // y1 and y2 before x1.
    const dir = versionsDir({
      "a_base.py": rev("base0", "None"),
      "b_y1.py": rev("y1", '"base0"'),
      "c_y2.py": rev("y2", '"y1"'),
      "d_merge.py": rev("m", '("y2", "x1")'),
      "z_x1.py": rev("x1", '"base0"'),
    });
    expect(alembicRunner.list(dir).map((r) => r.id)).toEqual(["base0", "x1", "y1", "y2", "m"]);
  });

  const broken: { name: string; files: Record<string, string>; message: RegExp }[] = [
    {
      name: "several heads",
      files: { "1.py": rev("a", "None"), "2.py": rev("b", '"a"'), "3.py": rev("c", '"a"') },
      message: /2 heads: "b" \(2\.py\), "c" \(3\.py\); merge them/,
    },
    {
      name: "a missing parent",
      files: { "1.py": rev("a", "None"), "2.py": rev("b", '"zzz"') },
      message: /"b" \(2\.py\) has down_revision "zzz", which no revision file defines/,
    },
    {
      name: "a cycle",
      files: {
        "0.py": rev("x", "None"),
        "1.py": rev("a", '"b"'),
        "2.py": rev("b", '"a"'),
        "3.py": rev("c", '("a", "x")'),
      },
      message: /cycle: "a" \(1\.py\), "b" \(2\.py\)/,
    },
    {
      name: "a revision defined twice",
      files: { "1.py": rev("a", "None"), "2.py": rev("a", "None") },
      message: /"a" is defined twice, in 1\.py and 2\.py/,
    },
  ];
  for (const c of broken) {
    it(`refuses ${c.name}, naming the files`, () => {
      const dir = versionsDir(c.files);
      expect(() => alembicRunner.list(dir)).toThrow(UserError);
      expect(() => alembicRunner.list(dir)).toThrow(c.message);
    });
  }

  it("puts a file whose revision it cannot read last, so that loading it reports why", () => {
    const dir = versionsDir({ "1.py": rev("a", "None"), "2.py": "revision = make_id()\n" });
    expect(alembicRunner.list(dir).map((r) => r.id)).toEqual(["a", "2.py"]);
  });
});

describe("alembic detect, env.py and version", () => {
  it("detects an alembic folder and a bare versions folder", () => {
    expect(alembicRunner.detect(FIXTURE)).toBe(true);
    expect(alembicRunner.detect(join(FIXTURE, "versions"))).toBe(true);
    expect(runner("sql").detect(FIXTURE)).toBe(false);
  });

  it("reads transaction_per_migration=True from env.py's configure() call, not from comments", () => {
    expect(transactionPerMigration(FIXTURE)).toEqual({
      on: true,
      source: expect.stringContaining("env.py:3"),
    });
    expect(alembicRunner.modelAt?.(FIXTURE, null)).toMatchObject({
      fileInTransaction: true,
      allFilesInOneTransaction: false,
    });
    const root = scratchDir("pg-index-lint-alembic-");
    writeFileSync(
      join(root, "env.py"),
      '"""No transaction_per_migration=True here."""\ncontext.configure(connection=c)\n',
    );
    expect(transactionPerMigration(root).on).toBe(false);
    expect(alembicRunner.modelAt?.(root, null)).toMatchObject({
      fileInTransaction: false,
      allFilesInOneTransaction: true,
    });
  });

  it("reads the pinned alembic version from requirements.txt", () => {
    expect(alembicRunner.pinnedVersion(FIXTURE)).toEqual({
      version: "1.13.1",
      source: "requirements.txt (alembic 1.13.1)",
    });
  });
});

describe("alembic revision header", () => {
  const cases: { source: string; revision: string | null; down: string[]; problem?: RegExp }[] = [
    { source: 'revision = "a"\ndown_revision = None\n', revision: "a", down: [] },
    { source: "revision: str = 'b'\ndown_revision: Union[str, None] = 'a'\n", revision: "b", down: ["a"] },
    { source: 'revision = "m"\ndown_revision = ("a", "b")\n', revision: "m", down: ["a", "b"] },
    {
      source: 'revision = "x"\ndown_revision = compute()\n',
      revision: "x",
      down: [],
      problem: /down_revision/,
    },
    { source: "down_revision = None\n", revision: null, down: [], problem: /no `revision`/ },
  ];
  for (const c of cases) {
    it(`reads ${JSON.stringify(c.source)}`, () => {
      const header = readRevisionHeader(parsePython(c.source, "x.py"));
      expect(header.revision).toBe(c.revision);
      expect(header.downRevisions).toEqual(c.down);
      if (c.problem) expect(header.problem).toMatch(c.problem);
      else expect(header.problem).toBeNull();
    });
  }
});

describe("alembic operations → SQL", () => {
  beforeAll(() => initSqlParser());

  const up = (body: string) => `revision = "r"\ndown_revision = None\n\ndef upgrade():\n${body}\n`;
  const translate = (body: string) => translateRevision(parsePython(up(body), "v.py"), "upgrade");

  const cases: { name: string; body: string; sql: string[] }[] = [
    {
      name: "create_table with Column flags and table-level items",
      body: `    op.create_table(
        "batches",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("products.id"), nullable=False, index=True),
        sa.Column("code", sa.String(20), unique=True),
        sa.Column("a", sa.Integer()),
        sa.Column("b", sa.Integer()),
        sa.UniqueConstraint("a", "b", name="uq_ab"),
        sa.ForeignKeyConstraint(["a"], ["other.id"], name="fk_a"),
        sa.Index("ix_b", "b"),
        schema="app",
    )`,
      sql: [
        "CREATE TABLE app.batches (id bigint NOT NULL, product_id integer NOT NULL, code varchar(20), a integer, b integer, PRIMARY KEY (id), UNIQUE (code), CONSTRAINT uq_ab UNIQUE (a, b), FOREIGN KEY (product_id) REFERENCES products (id), CONSTRAINT fk_a FOREIGN KEY (a) REFERENCES other (id))",
        "CREATE INDEX ix_batches_product_id ON app.batches (product_id)",
        "CREATE INDEX ix_b ON app.batches (b)",
      ],
    },
    {
      name: "create_index with every PostgreSQL option",
      body: `    op.create_index(op.f("ix_t_a"), "t", ["a", sa.text("lower(b)")], unique=True, if_not_exists=True,
        postgresql_concurrently=True, postgresql_using="gin", postgresql_where=sa.text("deleted_at IS NULL"))`,
      sql: [
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix_t_a ON t USING gin (a, (lower(b))) WHERE deleted_at IS NULL",
      ],
    },
    {
      name: "drop_index with if_exists and concurrently",
      body: `    op.drop_index("ix_t_a", table_name="t", if_exists=True, postgresql_concurrently=True)`,
      sql: ["DROP INDEX CONCURRENTLY IF EXISTS ix_t_a"],
    },
    {
      name: "add_column with a foreign key and an index, drop_column",
      body: `    op.add_column("t", sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), index=True))
    op.drop_column("t", "legacy")`,
      sql: [
        "ALTER TABLE t ADD COLUMN owner_id integer",
        "ALTER TABLE t ADD FOREIGN KEY (owner_id) REFERENCES users (id)",
        "CREATE INDEX ix_t_owner_id ON t (owner_id)",
        "ALTER TABLE t DROP COLUMN legacy",
      ],
    },
    {
      name: "constraints, renames and alter_column",
      body: `    op.create_foreign_key("fk_t_u", "t", "users", ["user_id"], ["id"])
    op.create_unique_constraint("uq_t_code", "t", ["code"])
    op.create_primary_key("pk_t", "t", ["id"])
    op.drop_constraint("fk_old", "t", type_="foreignkey")
    op.rename_table("t", "t2")
    op.alter_column("t2", "code", new_column_name="sku", nullable=False)`,
      sql: [
        "ALTER TABLE t ADD CONSTRAINT fk_t_u FOREIGN KEY (user_id) REFERENCES users (id)",
        "ALTER TABLE t ADD CONSTRAINT uq_t_code UNIQUE (code)",
        "ALTER TABLE t ADD CONSTRAINT pk_t PRIMARY KEY (id)",
        "ALTER TABLE t DROP CONSTRAINT fk_old",
        "ALTER TABLE t RENAME TO t2",
        "ALTER TABLE t2 ALTER COLUMN code SET NOT NULL",
        "ALTER TABLE t2 RENAME COLUMN code TO sku",
      ],
    },
    {
      name: "batch_alter_table blocks",
      body: `    with op.batch_alter_table("t", schema=None) as batch_op:
        batch_op.add_column(sa.Column("x", sa.Integer()))
        batch_op.create_index("ix_t_x", ["x"], unique=False)
        batch_op.drop_index("ix_old")
        batch_op.create_foreign_key("fk_x", "other", ["x"], ["id"])`,
      sql: [
        "ALTER TABLE t ADD COLUMN x integer",
        "CREATE INDEX ix_t_x ON t (x)",
        "DROP INDEX ix_old",
        "ALTER TABLE t ADD CONSTRAINT fk_x FOREIGN KEY (x) REFERENCES other (id)",
      ],
    },
    {
      name: "names from module constants and op.execute with sa.text",
      body: `    op.create_index(INDEX, TABLE, ["a"])
    op.execute(sa.text("DROP INDEX old_idx"))`,
      sql: ["CREATE INDEX ix_const ON t_const (a)", "DROP INDEX old_idx"],
    },
  ];
  for (const c of cases) {
    it(`translates ${c.name}`, () => {
      const source = c.name.includes("constants")
        ? `TABLE = "t_const"\nINDEX = "ix_const"\n${up(c.body)}`
        : up(c.body);
      const result = translateRevision(parsePython(source, "v.py"), "upgrade");
      expect(result.skipped).toEqual([]);
      expect(result.statements.map((s) => s.sql)).toEqual(c.sql);
    });
  }

  it("locates each statement at its operation, and SQL in a triple-quoted op.execute at its line in the string", () => {
    const result = translate(`    op.create_index("i", "t", ["a"])
    op.execute("""
        CREATE INDEX j ON t (b);
        DROP INDEX \\
k;
    """)`);
    expect(result.statements.map((s) => [s.sql, s.range.line, s.range.column])).toEqual([
      ["CREATE INDEX i ON t (a)", 5, 5],
      ["CREATE INDEX j ON t (b)", 7, 9],
      ["DROP INDEX k", 8, 9],
    ]);
  });

  const skipped: { name: string; body: string; line: number; message: RegExp }[] = [
    {
      name: "a loop",
      body: '    for t in ["a"]:\n        op.create_index("i", t, ["x"])',
      line: 6,
      message: /inside a for loop/,
    },
    {
      name: "a computed name",
      body: '    op.create_index(name_for("t"), "t", ["x"])',
      line: 5,
      message: /name of this index/,
    },
    { name: "an f-string", body: '    op.execute(f"DROP INDEX {name}")', line: 5, message: /f-string/ },
    {
      name: "a helper call",
      body: "    make_indexes(op)",
      line: 5,
      message: /does not follow the call `make_indexes/,
    },
    {
      name: "an unknown operation",
      body: '    op.create_exclude_constraint("x", "t")',
      line: 5,
      message: /does not model op\.create_exclude_constraint/,
    },
    {
      name: "a condition",
      body: '    if has_index():\n        op.create_index("i", "t", ["x"])',
      line: 5,
      message: /does not evaluate this condition/,
    },
  ];
  for (const c of skipped) {
    it(`skips ${c.name} with a located warning`, () => {
      const result = translate(c.body);
      expect(result.skipped.map((s) => s.range.line)).toEqual([c.line]);
      expect(result.skipped[0]?.message).toMatch(c.message);
    });
  }

  it("gives no note for a result's or session's bookkeeping calls", () => {
    const result = translate(
      '    rows = conn.execute(sa.text("SELECT 1"))\n    rows.close()\n    db.session.commit()\n    op.create_index("i", "t", ["x"])',
    );
    expect(result.skipped).toEqual([]);
    expect(result.statements.map((s) => s.sql)).toEqual(["SELECT 1", "CREATE INDEX i ON t (x)"]);
  });

  it("follows a helper defined in the same file and called without arguments", () => {
    const source = `revision = "r"\ndown_revision = None\n\ndef _indexes():\n    op.create_index("i", "t", ["x"])\n\ndef upgrade():\n    _indexes()\n`;
    const result = translateRevision(parsePython(source, "v.py"), "upgrade");
    expect(result.skipped).toEqual([]);
    expect(result.statements.map((s) => [s.sql, s.range.line])).toEqual([["CREATE INDEX i ON t (x)", 5]]);
  });

  it("reads downgrade() only when asked", () => {
    const source =
      up('    op.create_index("i", "t", ["x"])') +
      '\ndef downgrade():\n    op.drop_index("i", table_name="t")\n';
    const py = parsePython(source, "v.py");
    expect(translateRevision(py, "upgrade").statements.map((s) => s.sql)).toEqual([
      "CREATE INDEX i ON t (x)",
    ]);
    expect(translateRevision(py, "downgrade").statements.map((s) => s.sql)).toEqual(["DROP INDEX i"]);
  });

  const dialectBranches: { name: string; body: string; sql: string[] }[] = [
    {
      name: "skips a MySQL branch and reads the PostgreSQL elif",
      body: '    if url.startswith("mysql"):\n        op.create_index("m", "t", ["x"])\n    elif url.startswith("postgres"):\n        op.create_index("p", "t", ["x"])\n',
      sql: ["CREATE INDEX p ON t (x)"],
    },
    {
      name: "reads the else branch after a non-PostgreSQL dialect test",
      body: '    if bind.dialect.name == "sqlite":\n        op.create_index("s", "t", ["x"])\n    else:\n        op.create_index("o", "t", ["x"])\n',
      sql: ["CREATE INDEX o ON t (x)"],
    },
    {
      name: "reads nothing from a branch for MySQL only",
      body: '    if str(bind.engine.url).startswith("mysql"):\n        op.create_index("m", "t", ["x"])\n',
      sql: [],
    },
    {
      name: "reads a negated test of another dialect",
      body: '    if not url.startswith(\'mysql\'):\n        op.create_index("n", "t", ["x"])\n',
      sql: ["CREATE INDEX n ON t (x)"],
    },
    {
      name: "reads a test of another dialect compared with `is False`",
      body: '    if url.startswith("sqlite") is False:\n        op.create_index("f", "t", ["x"])\n',
      sql: ["CREATE INDEX f ON t (x)"],
    },
    {
      name: "reads a membership test that names postgresql",
      body: '    if bind.dialect.name in ("postgresql", "sqlite"):\n        op.create_index("a", "t", ["x"])\n    else:\n        op.create_index("b", "t", ["x"])\n',
      sql: ["CREATE INDEX a ON t (x)"],
    },
  ];
  for (const c of dialectBranches) {
    it(`${c.name}, without a warning`, () => {
      const result = translateRevision(parsePython(up(c.body), "v.py"), "upgrade");
      expect(result.statements.map((s) => s.sql)).toEqual(c.sql);
      expect(result.skipped).toEqual([]);
    });
  }

  it("still warns on a condition that is not a dialect test, after skipping a MySQL branch", () => {
    const body =
      '    if url.startswith("mysql"):\n        op.create_index("m", "t", ["x"])\n    elif has_index():\n        op.create_index("h", "t", ["x"])\n';
    const result = translateRevision(parsePython(up(body), "v.py"), "upgrade");
    expect(result.statements.map((s) => s.sql)).toEqual(["CREATE INDEX h ON t (x)"]);
    expect(result.skipped.map((s) => [s.range.line, s.message])).toEqual([
      [7, expect.stringMatching(/does not evaluate this condition/)],
    ]);
  });
});
