import { type Catalog, displayName, type ForeignKeyDef, qualify, type TableDef } from "../schema/catalog.js";
import { suggestIndex, type Words } from "../schema/change.js";
import { coversForeignKey } from "./coverage.js";
import { type Rule, type RuleFinding, ruleMeta } from "./rule.js";

export const unindexedForeignKey: Rule = {
  meta: ruleMeta("unindexed-foreign-key", {
    defaultSeverity: "warning",
    summary:
      "A foreign key whose columns lead no index: every DELETE or key UPDATE on the referenced table scans the referencing one.",
    fixable: true,
    finalState: true,
  }),
  checkCatalog({ catalogs, models, wordsFor }) {
    const findings: RuleFinding[] = [];
    for (const catalog of catalogs) {
      for (const [table, fk] of unindexed(catalog)) {
        // A key the models declare and leave unindexed too is fixed in the models, which then
        // generate the migration: the finding goes to their declaration, in their words.
        const at = declaredUnindexed(models ?? [], table, fk)?.source ?? fk.source;
        const ref = catalog.tables.get(fk.refTable);
        const refName = ref ? displayName(ref) : fk.refTable.replace(/^public\./, "");
        const name = displayName(table);
        findings.push({
          range: at,
          message: `Foreign key "${fk.name}" on ${name} (${fk.columns.join(", ")}) → ${refName} has no index on its columns: deleting or updating a ${refName} row scans ${name}, and joins from ${refName} cannot use an index.`,
          ...advice(table, fk, wordsFor(at)),
          table: name,
          columns: fk.columns,
        });
      }
    }
    return findings;
  },
  checkVerify({ sets, wordsFor }) {
    const findings: RuleFinding[] = [];
    for (const set of sets) {
      for (const [table, fk] of unindexed(set.live)) {
        const at =
          set.catalog.resolveTable(table.schema, table.name)?.foreignKeys.get(fk.name)?.source ??
          set.fallback;
        findings.push({
          range: at,
          message: `Foreign key "${fk.name}" on ${displayName(table)} (${fk.columns.join(", ")}) has no covering index in the migrated database.`,
          help: advice(table, fk, wordsFor(at)).help,
          table: displayName(table),
          columns: fk.columns,
        });
      }
    }
    return findings;
  },
};

/** The models' declaration of the same key (columns and referenced table), when they index it no better. */
function declaredUnindexed(models: Catalog[], table: TableDef, fk: ForeignKeyDef): ForeignKeyDef | undefined {
  for (const model of models) {
    const declared = model.tables.get(qualify(table.schema, table.name));
    if (!declared) continue;
    for (const candidate of declared.foreignKeys.values()) {
      if (candidate.refTable !== fk.refTable || candidate.columns.join() !== fk.columns.join()) continue;
      if ([...declared.indexes.values()].some((index) => coversForeignKey(index, candidate)))
        return undefined;
      return candidate;
    }
  }
  return undefined;
}

function* unindexed(catalog: Catalog): Iterable<[TableDef, ForeignKeyDef]> {
  for (const table of catalog.tables.values()) {
    for (const fk of table.foreignKeys.values()) {
      if ([...table.indexes.values()].some((index) => coversForeignKey(index, fk))) continue;
      yield [table, fk];
    }
  }
}

/** The index to build, in the words of the source that declares the key, and its fix when it has one. */
function advice(table: TableDef, fk: ForeignKeyDef, words: Words): Pick<RuleFinding, "help" | "fix"> {
  const index = suggestIndex(
    { schema: table.schema, name: table.name },
    fk.columns.map((column) => ({ column })),
  );
  const change = { kind: "create-index" as const, index };
  const fix = words.fix?.(change);
  return { help: words.advise(change), ...(fix ? { fix } : {}) };
}
