/**
 * Typed access to libpg-query's syntax trees. A `Node` is a one-key object (`{ IndexStmt: {...} }`);
 * these helpers narrow it by its tag so that the rest of the code reads fields without casts.
 */
import type { Node } from "@pgsql/types";

type KeysOfUnion<T> = T extends unknown ? keyof T : never;

/** Every node tag: "IndexStmt", "ColumnRef", "A_Const", … */
export type NodeTag = KeysOfUnion<Node>;

/** The fields of the node with tag `K`. */
export type NodeOf<K extends NodeTag> =
  Extract<Node, Record<K, unknown>> extends infer N ? (N extends Record<K, infer F> ? F : never) : never;

/** The node's fields when it has tag `tag`, else undefined. */
export function nodeAs<K extends NodeTag>(node: Node | undefined | null, tag: K): NodeOf<K> | undefined {
  if (node === undefined || node === null || !(tag in node)) return undefined;
  return (node as Record<K, NodeOf<K>>)[tag];
}

/** The fields of every node in `nodes` that has tag `tag`, in order; other nodes are skipped. */
export function nodesAs<K extends NodeTag>(nodes: readonly Node[] | undefined, tag: K): NodeOf<K>[] {
  const out: NodeOf<K>[] = [];
  for (const node of nodes ?? []) {
    const fields = nodeAs(node, tag);
    if (fields !== undefined) out.push(fields);
  }
  return out;
}

/** The one tag of a node, e.g. "IndexStmt". */
export function nodeTag(node: Node): NodeTag {
  return Object.keys(node)[0] as NodeTag;
}

/** The text of a `String` node; "" for anything else. */
export function stringValue(node: Node | undefined): string {
  return nodeAs(node, "String")?.sval ?? "";
}

/** The texts of a list of `String` nodes (a qualified name, a column list). */
export function stringList(nodes: readonly Node[] | undefined): string[] {
  return (nodes ?? []).map(stringValue);
}

/** The items of a `List` node. */
export function listItems(node: Node | undefined): Node[] {
  return nodeAs(node, "List")?.items ?? [];
}
