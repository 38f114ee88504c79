/** An index key as the catalog stores it, from the parser's `IndexElem`. */
import type { IndexElem } from "@pgsql/types";
import { nodeAs, stringList, stringValue } from "../parse/nodes.js";
import type { IndexKey } from "./catalog.js";
import { deparseExpr } from "./expr.js";

export function indexKey(elem: IndexElem): IndexKey {
  const desc = elem.ordering === "SORTBY_DESC";
  // NULLS LAST is the default for ASC and NULLS FIRST for DESC.
  const nullsFirst =
    elem.nulls_ordering === "SORTBY_NULLS_FIRST"
      ? true
      : elem.nulls_ordering === "SORTBY_NULLS_LAST"
        ? false
        : desc;
  const key: IndexKey = { desc, nullsFirst };
  if (elem.name) key.column = elem.name;
  else if (elem.expr) {
    const ref = nodeAs(elem.expr, "ColumnRef");
    // `(col)` in parentheses is still a plain column key.
    if (ref && ref.fields?.length === 1 && stringValue(ref.fields[0]))
      key.column = stringValue(ref.fields[0]);
    else key.expression = deparseExpr(elem.expr);
  }
  const opclass = stringList(elem.opclass).filter((p) => p !== "pg_catalog");
  if (opclass.length) key.opclass = opclass.join(".");
  if (elem.collation?.length) key.collation = stringList(elem.collation).join(".");
  return key;
}
