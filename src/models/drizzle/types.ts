/**
 * pg-core column builders → the PostgreSQL type drizzle-kit writes. Each case follows the
 * builder's `getSQLType()` in drizzle-orm src/pg-core/columns/*.ts (e.g. timestamp.ts writes
 * `timestamp (3) with time zone`, with a space before the precision, and time.ts without one).
 */
import { literalValue, type ObjectProperty } from "./syntax.js";

export type Options = Map<string, ObjectProperty>;

const PLAIN: Record<string, string> = {
  bigint: "bigint",
  bigserial: "bigserial",
  boolean: "boolean",
  cidr: "cidr",
  date: "date",
  doublePrecision: "double precision",
  inet: "inet",
  integer: "integer",
  json: "json",
  jsonb: "jsonb",
  line: "line",
  macaddr: "macaddr",
  macaddr8: "macaddr8",
  point: "point",
  real: "real",
  serial: "serial",
  smallint: "smallint",
  smallserial: "smallserial",
  text: "text",
  uuid: "uuid",
};

/** The SQL type of a pg-core builder, or null when the builder is not a column type we know. */
export function sqlTypeOf(builder: string, options: Options | null): string | null {
  const plain = PLAIN[builder];
  if (plain) return plain;
  const opt = (key: string) => {
    const p = options?.get(key);
    return p ? literalValue(p.value) : undefined;
  };
  switch (builder) {
    case "varchar":
    case "char": {
      const length = opt("length");
      return length === undefined ? builder : `${builder}(${length})`;
    }
    case "numeric":
    case "decimal": {
      const precision = opt("precision");
      const scale = opt("scale");
      if (precision !== undefined && scale !== undefined) return `numeric(${precision}, ${scale})`;
      return precision !== undefined ? `numeric(${precision})` : "numeric";
    }
    case "timestamp":
    case "time": {
      const precision = opt("precision");
      const p = precision === undefined ? "" : builder === "timestamp" ? ` (${precision})` : `(${precision})`;
      return `${builder}${p}${opt("withTimezone") === true ? " with time zone" : ""}`;
    }
    case "interval": {
      const fields = opt("fields");
      const precision = opt("precision");
      return `interval${fields ? ` ${fields}` : ""}${precision ? `(${precision})` : ""}`;
    }
    case "vector":
    case "halfvec":
    case "sparsevec":
    case "bit":
      return `${builder}(${opt("dimensions") ?? ""})`;
    case "geometry":
      return "geometry(point)";
    default:
      return null;
  }
}
