/**
 * SQLAlchemy as a model source: the `.py` files of a models folder (not Alembic revisions, caches
 * or virtualenvs), read with @lezer/python into the DDL `metadata.create_all()` would emit.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ModelFile } from "../model.js";
import { parsePython } from "../python/syntax.js";
import { isRevisionText } from "../runners/alembic.js";
import { filesRecursive } from "../runners/files.js";
import type { Words } from "../schema/change.js";
import type { ModelSource } from "../sources/source.js";
import { loadSqlAlchemyModels } from "./sqlalchemy.js";

const SKIP_DIRS = /(^|\/)(__pycache__|\.venv|venv|site-packages|node_modules|versions)\//;

const py = (text: string) => JSON.stringify(text);

/** Advice in SQLAlchemy's declarations. */
export const SQLALCHEMY_WORDS: Words = {
  advise(change) {
    switch (change.kind) {
      case "create-index": {
        const i = change.index;
        const keys = i.keys.map((k) =>
          k.column !== undefined && !k.desc
            ? py(k.column)
            : `sa.text(${py(`${k.column ?? `(${k.expression})`}${k.desc ? " DESC" : ""}`)})`,
        );
        const options = [
          i.unique ? "unique=True" : "",
          i.method && i.method !== "btree" ? `postgresql_using=${py(i.method)}` : "",
          i.where ? `postgresql_where=sa.text(${py(i.where)})` : "",
        ].filter(Boolean);
        const single = i.keys.length === 1 && !i.where && !i.unique ? " (or index=True on the column)" : "";
        return `Declare it in the model: Index(${[py(i.name), ...keys, ...options].join(", ")}) in __table_args__${single}.`;
      }
      case "drop-index":
        return `Remove the declaration of "${change.name}" from the model (its Index(...), or index=True on the column).`;
      case "name-index":
        return `Name the model's index "${change.name}": Index(${py(change.name)}, …) instead of index=True.`;
      case "create-foreign-key":
        return `Declare it in the model: ForeignKey(${py(`${change.refTable.name}.${change.refColumns[0] ?? "id"}`)}) on the column${change.columns.length > 1 ? "s (a ForeignKeyConstraint in __table_args__)" : ""}.`;
      case "drop-foreign-key":
        return `Remove the ForeignKey "${change.name}" from the model.`;
      case "name-foreign-key":
        return `Name it in the model: ForeignKey(…, name=${py(change.name)}).`;
      case "create-table":
        return "Declare a model class for the table.";
      case "rename-index":
        return `Name the model's index "${change.to}".`;
    }
  },
  regenerate: "alembic revision --autogenerate",
  ignoreComment: (rule) => `# pg-index-lint: ignore[${rule}]`,
  syntaxErrorHelp: "Fix the Python syntax; this file's models were not checked.",
};

export const sqlalchemyModels: ModelSource = {
  kind: "models",
  id: "sqlalchemy",
  name: "SQLAlchemy",
  describe: "SQLAlchemy models (*.py)",
  words: SQLALCHEMY_WORDS,
  selects: (relativePath) => relativePath.endsWith(".py") && !SKIP_DIRS.test(`/${relativePath}`),
  load(files): ModelFile[] {
    // An Alembic revision kept in the models folder is not a model.
    const models = files.filter((f) => !isRevisionText(f.text));
    return loadSqlAlchemyModels(models.map((f) => parsePython(f.text, f.file)));
  },
  detect(dir) {
    // The folder that holds every declarative model (a `__tablename__`), outside revisions.
    const models = filesRecursive(dir).filter((p) => {
      if (!sqlalchemyModels.selects(p)) return false;
      try {
        const text = readFileSync(join(dir, p), "utf8");
        return /^\s+__tablename__\s*=/m.test(text) && !isRevisionText(text);
      } catch {
        return false;
      }
    });
    if (models.length === 0) return [];
    let common = models[0]?.split("/").slice(0, -1) ?? [];
    for (const p of models) {
      const parts = p.split("/").slice(0, -1);
      let n = 0;
      while (n < common.length && common[n] === parts[n]) n++;
      common = common.slice(0, n);
    }
    return [common.length > 0 ? common.join("/") : "."];
  },
};
