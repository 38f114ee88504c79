/**
 * Alembic through the real pipeline: the runner's transaction, the table-age rules, located
 * findings, warnings for what was skipped, syntax errors, inline ignores and --downgrade.
 */
import { describe, expect, it } from "vitest";
import { check } from "../../src/check.js";
import { banConcurrentIndexCreationInTransaction } from "../../src/rules/ban-concurrent-index-creation-in-transaction.js";
import { requireConcurrentIndexCreation } from "../../src/rules/require-concurrent-index-creation.js";
import { checkRepo, writeRepo } from "../harness.js";
import { ruleTester } from "../rule-tester.js";

const revision = (id: string, down: string | null, body: string) =>
  `from alembic import op\nimport sqlalchemy as sa\n\nrevision = "${id}"\ndown_revision = ${down === null ? "None" : `"${down}"`}\n\n\ndef upgrade():\n${body}\n`;

// Operations start on line 9 of a revision written by `revision()`.
const API_KEYS = revision(
  "0001",
  null,
  '    op.create_table("api_keys", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("key_hash", sa.String(64)))',
);

ruleTester(banConcurrentIndexCreationInTransaction, {
  valid: [
    {
      name: "a concurrent op.create_index inside autocommit_block()",
      runner: "alembic",
      files: {
        "0001_api_keys.py": API_KEYS,
        "0002_index.py": revision(
          "0002",
          "0001",
          '    with op.get_context().autocommit_block():\n        op.create_index("i", "api_keys", ["key_hash"], postgresql_concurrently=True)',
        ),
      },
    },
    {
      name: "op.execute of CREATE INDEX CONCURRENTLY inside autocommit_block()",
      runner: "alembic",
      files: {
        "0001_api_keys.py": API_KEYS,
        "0002_index.py": revision(
          "0002",
          "0001",
          '    with op.get_context().autocommit_block():\n        op.execute("CREATE INDEX CONCURRENTLY i ON api_keys (key_hash)")',
        ),
      },
    },
  ],
  invalid: [
    {
      name: "a concurrent op.create_index outside autocommit_block(), at the call's line",
      runner: "alembic",
      files: {
        "0001_api_keys.py": API_KEYS,
        "0002_index.py": revision(
          "0002",
          "0001",
          '    op.create_table("other", sa.Column("id", sa.Integer()))\n    op.create_index("i", "api_keys", ["key_hash"], postgresql_concurrently=True)',
        ),
      },
      errors: [
        {
          file: "0002_index.py",
          line: 10,
          column: 5,
          endLine: 10,
          endColumn: 81,
          message: /Alembic \(latest\) runs every pending migration in one transaction/,
        },
      ],
    },
    {
      name: 'op.execute("CREATE INDEX CONCURRENTLY …") in the transaction, at the op.execute line',
      runner: "alembic",
      files: {
        "0001_api_keys.py": API_KEYS,
        "0002_index.py": revision(
          "0002",
          "0001",
          '    op.execute("CREATE INDEX CONCURRENTLY i ON api_keys (key_hash)")',
        ),
      },
      errors: [{ file: "0002_index.py", line: 9, column: 17, endLine: 9, endColumn: 67 }],
    },
    {
      name: "DROP INDEX CONCURRENTLY through op.drop_index outside the block",
      runner: "alembic",
      files: {
        "0001_api_keys.py": API_KEYS.replace(
          "\n\n\ndef upgrade():\n",
          '\n\n\ndef upgrade():\n    op.execute("CREATE INDEX i ON api_keys (key_hash)")\n',
        ),
        "0002_drop.py": revision(
          "0002",
          "0001",
          '    op.drop_index("i", table_name="api_keys", postgresql_concurrently=True)',
        ),
      },
      errors: [
        {
          file: "0002_drop.py",
          line: 9,
          column: 5,
          endLine: 9,
          endColumn: 76,
          message: /DROP INDEX CONCURRENTLY/,
        },
      ],
    },
  ],
});

ruleTester(requireConcurrentIndexCreation, {
  valid: [
    {
      name: "a non-concurrent op.create_index on a table created in the same revision",
      runner: "alembic",
      files: {
        "0001_api_keys.py": API_KEYS.replace(/\n$/, '\n    op.create_index("i", "api_keys", ["key_hash"])\n'),
      },
    },
  ],
  invalid: [
    {
      name: "a non-concurrent op.create_index on a table created in an earlier revision",
      runner: "alembic",
      files: {
        "0001_api_keys.py": API_KEYS,
        "0002_index.py": revision("0002", "0001", '    op.create_index("i", "api_keys", ["key_hash"])'),
      },
      errors: [
        {
          file: "0002_index.py",
          line: 9,
          column: 5,
          endLine: 9,
          endColumn: 51,
          message: /existing table "api_keys"/,
        },
      ],
    },
    {
      name: "revisions whose file names sort opposite to the graph are replayed in graph order",
      runner: "alembic",
      files: {
        // The index revision's file name sorts first; the graph puts it second.
        "a_index.py": revision("0002", "0001", '    op.create_index("i", "api_keys", ["key_hash"])'),
        "z_api_keys.py": API_KEYS,
      },
      errors: [{ file: "a_index.py", line: 9, column: 5, endLine: 9, endColumn: 51 }],
    },
  ],
});

describe("alembic through check()", () => {
  it("gives no text fix for a statement generated from Python", async () => {
    const result = await checkRepo({
      runner: "alembic",
      files: {
        "1.py": API_KEYS,
        "2.py": revision("0002", "0001", '    op.create_index("i", "api_keys", ["key_hash"])'),
      },
    });
    const finding = result.findings.find((f) => f.rule === "require-concurrent-index-creation");
    expect(finding).toBeDefined();
    expect(finding?.fix).toBeUndefined();
  });

  it("reports a Python syntax error and an unknown construct at their lines, and still checks the other files", async () => {
    const result = await checkRepo({
      runner: "alembic",
      files: {
        "1.py": API_KEYS,
        "2.py": revision(
          "0002",
          "0001",
          '    op.create_index(name_for("x"), "api_keys", ["key_hash"])\n    op.create_index("i", "api_keys", ["key_hash"])',
        ),
        "3.py": revision(
          "0003",
          "0002",
          '    op.create_index("j", "api_keys", ["id"]\n    op.drop_table("x")',
        ),
      },
    });
    const summary = result.findings.map((f) => `${f.rule} ${f.file.split("/").pop()}:${f.line}`);
    expect(summary).toEqual([
      "require-concurrent-index-creation 2.py:10",
      "syntax-error 3.py:10",
      "unsupported-construct 2.py:9",
    ]);
    expect(result.inputErrors).toBe(1);
    expect(result.findings.find((f) => f.rule === "syntax-error")?.help).toMatch(/Python/);
  });

  it("honours # pg-index-lint: ignore[...] on the call's line or the line before, and reports an unused one", async () => {
    const result = await checkRepo({
      runner: "alembic",
      files: {
        "1.py": API_KEYS,
        "2.py": revision(
          "0002",
          "0001",
          [
            "    # pg-index-lint: ignore[require-concurrent-index-creation] the table is empty",
            '    op.create_index("i", "api_keys", ["key_hash"])',
            '    op.create_index("j", "api_keys", ["id"])  # pg-index-lint: ignore[require-concurrent-index-creation, duplicate-index]',
            '    op.create_index("k", "api_keys", ["id", "key_hash"])  # pg-index-lint: ignore[duplicate-index]',
          ].join("\n"),
        ),
      },
    });
    expect(result.findings.map((f) => `${f.rule}:${f.line}`)).toEqual([
      "require-concurrent-index-creation:12",
      "unused-ignore:12",
    ]);
  });

  it("reads env.py's transaction_per_migration=True: each revision in its own transaction", async () => {
    const root = writeRepo({
      runner: "alembic",
      files: {
        "env.py":
          "from alembic import context\ncontext.configure(connection=c, transaction_per_migration=True)\n",
        "versions/1.py": API_KEYS,
        "versions/2.py": revision(
          "0002",
          "0001",
          '    op.create_index("i", "api_keys", ["key_hash"], postgresql_concurrently=True)',
        ),
      },
    });
    const result = await check({ paths: [root] });
    const finding = result.findings.find((f) => f.rule === "ban-concurrent-index-creation-in-transaction");
    expect(finding?.message).toMatch(/runs each migration file in its own transaction/);
    expect(result.sets[0]?.model.fileInTransaction).toBe(true);
  });

  it("checks downgrade() only with the downgrade option, against the upgraded schema", async () => {
    const root = writeRepo({
      runner: "alembic",
      files: {
        "1.py": `${API_KEYS}\n\ndef downgrade():\n    op.drop_table("api_keys")\n`,
        "2.py": `${revision("0002", "0001", '    with op.get_context().autocommit_block():\n        op.create_index("i", "api_keys", ["key_hash"], postgresql_concurrently=True)')}\n\ndef downgrade():\n    op.drop_index("i", table_name="api_keys")\n`,
      },
      config: { "required-indexes": [{ table: "api_keys", columns: ["key_hash"] }] },
    });
    const plain = await check({ paths: [root] });
    expect(plain.findings).toEqual([]);
    const withDowngrade = await check({ paths: [root], downgrade: true });
    expect(withDowngrade.findings.map((f) => `${f.rule} ${f.file.split("/").pop()}:${f.line}`)).toEqual([
      "require-concurrent-index-deletion 2.py:14",
    ]);
    expect(withDowngrade.sets[0]?.downgrades?.map((m) => m.id)).toEqual([
      "0002 (downgrade)",
      "0001 (downgrade)",
    ]);
  });
});
