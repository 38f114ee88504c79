/**
 * The order in which a schema declared by models can be created: a table after the tables its
 * foreign keys reference, as SQLAlchemy's `create_all` and Prisma's first migration do. Models
 * declare tables in whatever order their files and classes come, and PostgreSQL refuses a
 * foreign key to a table that does not exist yet.
 */
import type { Statement } from "../model.js";
import { nodeAs, nodesAs } from "../parse/nodes.js";

/**
 * The statements with every CREATE TABLE moved after the tables it references (a stable order:
 * nothing moves that need not; a cycle keeps the order it had). Statements that are not CREATE
 * TABLE keep their places relative to the tables before them: types and schemas first, the indexes
 * and comments of a table after it.
 */
export function inCreateOrder(statements: readonly Statement[]): Statement[] {
  // Each CREATE TABLE with the statements that follow it up to the next one (its indexes, comments).
  const head: Statement[] = [];
  const groups: { name: string; refs: Set<string>; statements: Statement[] }[] = [];
  for (const statement of statements) {
    const create = nodeAs(statement.node, "CreateStmt");
    if (create?.relation?.relname) {
      groups.push({ name: create.relation.relname, refs: referenced(create), statements: [statement] });
    } else if (groups.length === 0) {
      head.push(statement);
    } else {
      (groups[groups.length - 1] as (typeof groups)[number]).statements.push(statement);
    }
  }
  const declared = new Set(groups.map((g) => g.name));
  const placed = new Set<string>();
  const out: Statement[] = [...head];
  const pending = [...groups];
  while (pending.length > 0) {
    // The first table whose references are all placed (or not declared here, or itself).
    let next = pending.findIndex((g) =>
      [...g.refs].every((r) => r === g.name || placed.has(r) || !declared.has(r)),
    );
    if (next < 0) next = 0; // a cycle: PostgreSQL would refuse it in any order
    const [group] = pending.splice(next, 1);
    if (!group) break;
    placed.add(group.name);
    out.push(...group.statements);
  }
  return out;
}

/** The tables a CREATE TABLE's foreign keys reference, in its columns' and its own constraints. */
function referenced(create: NonNullable<ReturnType<typeof nodeAs<"CreateStmt">>>): Set<string> {
  const refs = new Set<string>();
  const add = (constraints: ReturnType<typeof nodesAs<"Constraint">>) => {
    for (const c of constraints)
      if (c.contype === "CONSTR_FOREIGN" && c.pktable?.relname) refs.add(c.pktable.relname);
  };
  for (const element of create.tableElts ?? []) {
    const column = nodeAs(element, "ColumnDef");
    if (column) add(nodesAs(column.constraints, "Constraint"));
    const constraint = nodeAs(element, "Constraint");
    if (constraint) add([constraint]);
  }
  return refs;
}
