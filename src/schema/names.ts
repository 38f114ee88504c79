/**
 * PostgreSQL's naming rules: identifier folding for names typed by users, and the default names
 * the server chooses for indexes and constraints (ChooseRelationName / makeObjectName in
 * src/backend/commands/indexcmds.c and catalog/namespace.c).
 */

/** NAMEDATALEN - 1: identifiers are truncated to 63 bytes. */
const MAX_IDENTIFIER = 63;

/**
 * Splits and folds a possibly qualified name written by a user, e.g. in the config:
 * `Billing."Invoices"` → ["billing", "Invoices"].
 */
export function parseQualifiedName(text: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let part = "";
      i++;
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') {
          part += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else part += text[i++];
      }
      parts.push(part);
    } else {
      const dot = text.indexOf(".", i);
      const end = dot === -1 ? text.length : dot;
      parts.push(text.slice(i, end).trim().toLowerCase());
      i = end;
    }
    if (text[i] === ".") i++;
  }
  return parts;
}

/** makeObjectName: `name1_name2_label`, truncating the longer of name1/name2 first. */
export function makeObjectName(name1: string, name2: string, label: string): string {
  const simple = name2 ? `${name1}_${name2}_${label}` : `${name1}_${label}`;
  // Short ASCII names need no truncation (the common case, and a hot path of the replay).
  if (simple.length <= MAX_IDENTIFIER && Buffer.byteLength(simple) === simple.length) return simple;
  let n1 = Buffer.from(name1);
  let n2 = Buffer.from(name2);
  const overhead = Buffer.byteLength(label) + 1 + (name2 ? 1 : 0);
  const available = MAX_IDENTIFIER - overhead;
  let a = n1.length;
  let b = n2.length;
  while (a + b > available) {
    if (a > b) a--;
    else b--;
  }
  n1 = n1.subarray(0, clipUtf8(n1, a));
  n2 = n2.subarray(0, clipUtf8(n2, b));
  return [n1.toString(), name2 ? n2.toString() : null, label].filter((p) => p !== null).join("_");
}

/**
 * The name pg-index-lint suggests for an index it advises: `idx_<table>_<columns>`, cut to
 * PostgreSQL's 63 bytes (not characters) without splitting a multi-byte character, since the server
 * would truncate a longer name itself and two suggestions could then collide unnoticed.
 */
export function makeIndexName(table: string, columns: string[]): string {
  const name = Buffer.from(`idx_${table}_${columns.join("_")}`);
  return name.subarray(0, clipUtf8(name, Math.min(name.length, MAX_IDENTIFIER))).toString();
}

/** Does not cut a multi-byte character in half. */
function clipUtf8(bytes: Buffer, length: number): number {
  let end = length;
  while (end > 0 && end < bytes.length && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return end;
}

/** ChooseRelationName: the first free `name1_name2_label`, then with 1, 2, … appended to the label. */
export function chooseRelationName(
  name1: string,
  name2: string,
  label: string,
  taken: (name: string) => boolean,
): string {
  let candidate = makeObjectName(name1, name2, label);
  for (let n = 1; taken(candidate); n++) candidate = makeObjectName(name1, name2, `${label}${n}`);
  return candidate;
}

/**
 * The keywords PostgreSQL does not take as a column name: its reserved keywords and those it
 * reserves for types and functions (kwlist.h: RESERVED_KEYWORD and TYPE_FUNC_NAME_KEYWORD).
 * Unreserved and column-name keywords are names like any other. test/schema/quote-ident.test.ts
 * asks the installed parser about every keyword it knows, so an upgrade that changes the list fails there.
 */
export const KEYWORDS_NEEDING_QUOTES: ReadonlySet<string> = new Set(
  `
  all analyse analyze and any array as asc asymmetric authorization binary both case cast check
  collate collation column concurrently constraint create cross current_catalog current_date
  current_role current_schema current_time current_timestamp current_user default deferrable desc
  distinct do else end except false fetch for foreign freeze from full grant group having ilike in
  initially inner intersect into is isnull join lateral leading left like limit localtime
  localtimestamp natural not notnull null offset on only or order outer overlaps placing primary
  references returning right select session_user similar some symmetric system_user table
  tablesample then to trailing true union unique user using variadic verbose when where window with
  `
    .trim()
    .split(/\s+/),
);

/**
 * Quotes an identifier when PostgreSQL needs it, keywords included (`user`, `order`), as
 * quote_ident does: a name the parser would not take back unchanged as a column name (a keyword
 * above, or a name longer than 63 bytes, which it truncates) gets quotes.
 */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_$]*$/.test(name)) return `"${name.replace(/"/g, '""')}"`;
  return name.length > MAX_IDENTIFIER || KEYWORDS_NEEDING_QUOTES.has(name) ? `"${name}"` : name;
}
