import { displayName, type IndexDef } from "../schema/catalog.js";
import { declaredBefore, describeIndex, locatedAt, sameDefinition } from "./index-compare.js";
import { type Rule, type RuleFinding, ruleMeta } from "./rule.js";

export const duplicateIndex: Rule = {
  meta: ruleMeta("duplicate-index", {
    defaultSeverity: "warning",
    summary:
      "Two indexes with the same definition on one table: every write maintains both, and one is never used.",
    fixable: false,
    finalState: true,
  }),
  checkCatalog({ catalogs, wordsFor }) {
    const findings: RuleFinding[] = [];
    for (const catalog of catalogs) {
      for (const table of catalog.tables.values()) {
        const indexes = [...table.indexes.values()];
        const reported = new Set<string>();
        for (const a of indexes) {
          for (const b of indexes) {
            if (a === b || reported.has(a.name) || !a.valid || !b.valid) continue;
            if (!sameDefinition(a, b) || a.unique !== b.unique) continue;
            if (!isTheOneToDrop(a, b)) continue;
            reported.add(a.name);
            const name = displayName(table);
            findings.push({
              range: a.source,
              message: `Index "${a.name}" on ${name} ${describeIndex(a)} duplicates "${b.name}" (${locatedAt(b)}).`,
              help: `Drop one of them. ${wordsFor(a.source).advise({ kind: "drop-index", table, name: a.name })}`,
              table: name,
              columns: a.keys.map((k) => k.column ?? k.expression ?? ""),
            });
          }
        }
      }
    }
    return findings;
  },
};

/** Of a duplicate pair, the one to drop: never a constraint's index, else the later one. */
function isTheOneToDrop(a: IndexDef, b: IndexDef): boolean {
  if (a.constraint && !b.constraint) return false;
  if (!a.constraint && b.constraint) return true;
  return declaredBefore(b, a);
}
