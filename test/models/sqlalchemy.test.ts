/**
 * SQLAlchemy models through check(): the forms the reader understands, the names SQLAlchemy
 * gives indexes, and the seed's models with their findings at the model's lines.
 */
import { describe, expect, it } from "vitest";
import { check } from "../../src/check.js";
import { checkRepo } from "../harness.js";

const HEADER =
  "from sqlalchemy import *\nfrom sqlalchemy.orm import Mapped, mapped_column\nfrom app.db import Base\n\n";

async function catalogOf(models: Record<string, string>) {
  const result = await checkRepo({ files: {}, models });
  expect(
    result.findings.filter((f) => f.rule === "syntax-error" || f.rule === "unsupported-construct"),
  ).toEqual([]);
  const catalog = result.modelSets[0]?.catalog;
  if (!catalog) throw new Error("no models catalog");
  const describe = (table: string) => {
    const t = catalog.resolveTable(undefined, table);
    return {
      indexes: [...(t?.indexes.values() ?? [])]
        .map(
          (i) =>
            `${i.name}${i.unique ? " UNIQUE" : ""} ${i.method} (${i.keys.map((k) => (k.column ?? k.expression) + (k.desc ? " DESC" : "")).join(", ")})${i.predicate ? ` WHERE ${i.predicate}` : ""}`,
        )
        .sort(),
      foreignKeys: [...(t?.foreignKeys.values() ?? [])].map(
        (f) => `${f.name} (${f.columns}) → ${f.refTable} (${f.refColumns})`,
      ),
    };
  };
  return describe;
}

describe("SQLAlchemy model forms", () => {
  const cases: { name: string; source: string; table: string; indexes: string[]; foreignKeys?: string[] }[] =
    [
      {
        name: "classic Column with index, unique, primary key and ForeignKey",
        source: `class Batch(Base):
    __tablename__ = "batches"
    id = Column(Integer, primary_key=True)
    product_id = Column(Integer, ForeignKey("products.id"), index=True)
    code = Column(String(20), unique=True)
    email = Column(String, unique=True, index=True)
`,
        table: "batches",
        indexes: [
          "batches_code_key UNIQUE btree (code)",
          "batches_pkey UNIQUE btree (id)",
          "ix_batches_email UNIQUE btree (email)",
          "ix_batches_product_id btree (product_id)",
        ],
        foreignKeys: ["batches_product_id_fkey (product_id) → public.products (id)"],
      },
      {
        name: "a joined subclass's column_property(Column(...), Parent.column)",
        source: `class Submission(Base):
    __tablename__ = "submissions"
    id = Column(Integer, primary_key=True)
    challenge_id = Column(Integer, ForeignKey("challenges.id"))

class Solve(Submission):
    __tablename__ = "solves"
    id = Column(Integer, ForeignKey("submissions.id"), primary_key=True)
    challenge_id = column_property(
        Column(Integer, ForeignKey("challenges.id", ondelete="CASCADE")), Submission.challenge_id
    )
`,
        table: "solves",
        indexes: ["solves_pkey UNIQUE btree (id)"],
        foreignKeys: [
          "solves_id_fkey (id) → public.submissions (id)",
          "solves_challenge_id_fkey (challenge_id) → public.challenges (id)",
        ],
      },
      {
        name: "2.0 Mapped[...] = mapped_column(...) and a bare Mapped annotation",
        source: `class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str]
`,
        table: "users",
        indexes: ["ix_users_org_id btree (org_id)", "users_pkey UNIQUE btree (id)"],
        foreignKeys: ["users_org_id_fkey (org_id) → public.orgs (id)"],
      },
      {
        name: "__table_args__ as a tuple ending in a dict, with every where form and postgresql_using",
        source: `class ApiKey(Base):
    __tablename__ = "api_keys"
    id = Column(Integer, primary_key=True)
    factory_id = Column(Integer)
    revoked_at = Column(DateTime)
    deleted_at = Column(DateTime)
    tags = Column(ARRAY(String))
    __table_args__ = (
        Index("a", "factory_id", postgresql_where=(revoked_at == None)),
        Index("b", factory_id, postgresql_where=revoked_at.is_(None)),
        Index("c", "factory_id", postgresql_where=deleted_at.isnot(None)),
        Index("d", "factory_id", postgresql_where=text("revoked_at IS NULL AND deleted_at IS NULL")),
        Index("e", "tags", postgresql_using="gin"),
        Index("f", factory_id.desc(), unique=True),
        UniqueConstraint("factory_id", "deleted_at", name="uq_factory_deleted"),
        {"schema": "public"},
    )
`,
        table: "api_keys",
        indexes: [
          "a btree (factory_id) WHERE revoked_at IS NULL",
          "api_keys_pkey UNIQUE btree (id)",
          "b btree (factory_id) WHERE revoked_at IS NULL",
          "c btree (factory_id) WHERE deleted_at IS NOT NULL",
          "d btree (factory_id) WHERE revoked_at IS NULL AND deleted_at IS NULL",
          "e gin (tags)",
          "f UNIQUE btree (factory_id DESC)",
          "uq_factory_deleted UNIQUE btree (factory_id, deleted_at)",
        ],
      },
      {
        name: "imperative Table(...) with a module-level Index on table.c",
        source: `metadata = MetaData()
orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id")),
    ForeignKeyConstraint(["id"], ["invoices.order_id"], name="fk_invoice"),
)
Index("ix_orders_customer", orders.c.customer_id)
`,
        table: "orders",
        indexes: ["ix_orders_customer btree (customer_id)", "orders_pkey UNIQUE btree (id)"],
        foreignKeys: [
          "orders_customer_id_fkey (customer_id) → public.customers (id)",
          "fk_invoice (id) → public.invoices (order_id)",
        ],
      },
      {
        name: "a MetaData naming_convention, a mixin and a ForeignKey to a model attribute",
        source: `convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=convention)

class Timestamps:
    created_at = Column(DateTime, index=True)

class Product(Base):
    __tablename__ = "products"
    id = Column(Integer, primary_key=True)

class Batch(Timestamps, Base):
    __tablename__ = "batches"
    id = Column(Integer, primary_key=True)
    product_id = Column(Integer, ForeignKey(Product.id))
    code = Column(String, unique=True)
`,
        table: "batches",
        indexes: [
          "ix_batches_created_at btree (created_at)",
          "pk_batches UNIQUE btree (id)",
          "uq_batches_code UNIQUE btree (code)",
        ],
        foreignKeys: ["fk_batches_product_id_products (product_id) → public.products (id)"],
      },
    ];
  for (const c of cases) {
    it(`reads ${c.name}`, async () => {
      const describe = await catalogOf({ "entities.py": HEADER + c.source });
      const table = describe(c.table);
      expect(table.indexes).toEqual(c.indexes);
      if (c.foreignKeys) expect(table.foreignKeys).toEqual(c.foreignKeys);
    });
  }

  it("warns, located, about what it cannot read, and still reads the rest", async () => {
    const result = await checkRepo({
      files: {},
      models: {
        "a.py": `${HEADER}class A(Base):\n    __tablename__ = name_for("a")\n    id = Column(Integer, primary_key=True)\n`,
        "b.py": `${HEADER}class B(Base):\n    __tablename__ = "b"\n    id = Column(Integer, primary_key=True)\n    x = Column(Integer, ForeignKey("a.id"))\n`,
        "c.py": `${HEADER}class C(Base)\n    __tablename__ = "c"\n`,
      },
    });
    expect(result.findings.map((f) => `${f.rule} ${f.file.split("/").pop()}:${f.line}`)).toEqual([
      "syntax-error c.py:5",
      "unsupported-construct a.py:6",
      "unindexed-foreign-key b.py:8",
    ]);
  });
});

describe("models only: the models are the schema", () => {
  const models = {
    "entities.py": `${HEADER}class ApiKey(Base):
    __tablename__ = "api_keys"
    id = Column(Integer, primary_key=True)
    key_hash = Column(String(64), nullable=False, index=True)
    factory_id = Column(Integer, ForeignKey("factories.id"), nullable=False)
    revoked_at = Column(DateTime, nullable=True)
    __table_args__ = (
        Index("idx_api_keys_active", "factory_id", postgresql_where=(revoked_at == None)),
    )
`,
  };
  it("index=True satisfies a single-column requirement and postgresql_where=(revoked_at == None) satisfies where: revoked_at IS NULL", async () => {
    const result = await checkRepo({
      files: {},
      models,
      config: {
        "required-indexes": [
          { table: "api_keys", columns: ["key_hash"] },
          { table: "api_keys", columns: ["factory_id"], where: "revoked_at IS NULL" },
        ],
      },
    });
    expect(result.findings.filter((f) => f.rule === "missing-required-index")).toEqual([]);
  });

  it("flags a ForeignKey column without an index, at its Column(...) line", async () => {
    const result = await checkRepo({
      files: {},
      models: { "entities.py": models["entities.py"].replace(/\n {4}__table_args__[\s\S]*$/, "\n") },
    });
    expect(result.findings.map((f) => `${f.rule}:${f.line}:${f.column}`)).toEqual([
      "unindexed-foreign-key:9:18",
    ]);
  });
});

describe("the factory service's models (examples/factory-service/domain)", () => {
  it("reports the seed's duplicate, redundant and missing indexes at the model's lines", async () => {
    const result = await check({ config: "examples/factory-service/models.pg-index-lint.yml" });
    const at = (rule: string) =>
      result.findings
        .filter((f) => f.rule === rule)
        .map((f) => `${f.file.replace(/^.*domain\//, "")}:${f.line}`);
    // index=True on key_hash (line 15) beside Index("idx_api_keys_key_hash", "key_hash") (line 24).
    expect(at("duplicate-index")).toEqual(["api_keys/entities.py:24"]);
    // factory_id index=True (line 17) is a prefix of idx_api_keys_factory_created (line 25).
    expect(at("redundant-index")).toEqual(["api_keys/entities.py:17"]);
    // batches.product_id: a foreign key with no index, and a required index that is missing.
    expect(at("unindexed-foreign-key")).toEqual(["batch/entities.py:16"]);
    expect(at("missing-required-index")).toEqual(["api_keys/entities.py:11", "batch/entities.py:11"]);
    expect(
      result.findings.find((f) => f.rule === "missing-required-index" && f.file.includes("batch"))?.message,
    ).toMatch(/batches \(product_id\)/);
  });

  it("with the Alembic history too, reports drift between models and migrations", async () => {
    const result = await check({ config: "examples/factory-service/alembic.pg-index-lint.yml" });
    const drift = result.findings.filter((f) => f.rule === "orm-migration-drift");
    const keyHash = drift.find((f) => f.message.includes('"ix_api_keys_key_hash"'));
    expect(keyHash?.message).toMatch(/declared in the models, but no migration creates it/);
    expect(keyHash?.file).toMatch(/domain\/api_keys\/entities\.py$/);
    const renamed = drift.find((f) => f.message.includes('"idx_api_keys_active"'));
    expect(renamed?.message).toMatch(
      /matches "idx_api_keys_factory_id" built by the migrations .* in everything but its name/,
    );
    expect(
      result.findings
        .filter((f) => f.rule === "ban-concurrent-index-creation-in-transaction")
        .map((f) => f.line),
    ).toEqual([20, 21]);
    expect(result.sets[0]?.migrations.map((m) => m.id)).toEqual([
      "3f1a0c2b9d01",
      "8c4e2d7a1f02",
      "b71d9e3c5a03",
      "d20f6b8e4c04",
      "e93a1c5d7b05",
    ]);
  });
});
