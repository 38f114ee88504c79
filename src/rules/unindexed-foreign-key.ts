import { type Catalog, displayName, type ForeignKeyDef, type TableDef } from "../schema/catalog.js";
import { suggestIndex, type Words } from "../schema/change.js";
import { coversForeignKey } from "./coverage.js";
import { type Rule, type RuleFinding, ruleMeta } from "./rule.js";

export const unindexedForeignKey: Rule = {
  meta: ruleMeta("unindexed-foreign-key", {
    defaultSeverity: "warning",
    summary:
      "A foreign key whose columns lead no index: every DELETE or key UPDATE on the referenced table scans the referencing one.",
    fixable: false,
    finalState: true,
  }),
  checkCatalog({ catalogs, wordsFor }) {
    const findings: RuleFinding[] = [];
    for (const catalog of catalogs) {
      for (const [table, fk] of unindexed(catalog)) {
        const ref = catalog.tables.get(fk.refTable);
        const refName = ref ? displayName(ref) : fk.refTable.replace(/^public\./, "");
        const name = displayName(table);
        findings.push({
          range: fk.source,
          message: `Foreign key "${fk.name}" on ${name} (${fk.columns.join(", ")}) → ${refName} has no index on its columns: deleting or updating a ${refName} row scans ${name}, and joins from ${refName} cannot use an index.`,
          ...advice(table, fk, wordsFor(fk.source)),
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
