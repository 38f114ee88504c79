import type { AlterTableCmd, Constraint, Node } from "@pgsql/types";
import { nodeAs, nodesAs } from "../parse/nodes.js";
import { lockModeName, WRITE_BLOCKING_MODES } from "../schema/locks.js";
import { type MeasuredLock, type Rule, type RuleFinding, ruleMeta, type VerifiedSet } from "./rule.js";

/**
 * What a statement does under its lock, which decides what a user can do about it. Ordered from
 * the least to the most costly: a statement with several actions is judged by its costliest.
 */
const KINDS = ["other", "brief", "constraint-index", "validate", "set-not-null", "rewrite", "index"] as const;
type Kind = (typeof KINDS)[number];

const HELP: Record<Exclude<Kind, "brief">, string> = {
  other:
    "On a large, busy table the lock is held for the whole statement, and writes queue behind it: set a short lock_timeout in the migration and retry when it times out, or run it when the table is quiet.",
  "constraint-index":
    "The constraint builds its index under the lock: build it first with CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX, which holds the lock only briefly.",
  validate:
    "The constraint is checked against every row under the lock: add it NOT VALID (a brief lock), then VALIDATE CONSTRAINT in a later statement, which lets writes through.",
  "set-not-null":
    "SET NOT NULL scans the table under the lock: add CHECK (column IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it, then SET NOT NULL, which PostgreSQL 12 and later do without the scan.",
  rewrite:
    "This rewrites the whole table under the lock: add a new column, backfill it in batches and switch over, or run it in a maintenance window.",
  index: "The index is built or dropped under the lock: use the CONCURRENTLY form.",
};

const BRIEF_HELP =
  "Each change is instant, but its lock waits behind any query running on the table, and every query after it waits too: start the migration with SET lock_timeout (a few seconds), and retry it when it times out.";

/** Default expressions PostgreSQL evaluates per row, so that ADD COLUMN rewrites the table. */
const VOLATILE_FUNCTIONS = new Set([
  "gen_random_uuid",
  "uuid_generate_v1",
  "uuid_generate_v1mc",
  "uuid_generate_v4",
  "uuidv4",
  "uuidv7",
  "random",
  "nextval",
  "clock_timestamp",
  "timeofday",
  "txid_current",
]);

export const blockingLock: Rule = {
  meta: ruleMeta("blocking-lock", {
    pass: "verify",
    defaultSeverity: "warning",
    summary:
      "A statement took a lock that blocks writes (SHARE or stronger) on a table that existed before its migration and that someone can be waiting on: one from before the change under review, or one that held rows.",
    fixable: false,
    lock: true,
  }),
  checkVerify({ sets, engine }) {
    const findings: RuleFinding[] = [];
    const where = engine === "pglite" ? "PGlite" : "the server";
    for (const set of sets) {
      /** Brief locks, one finding per migration: one lock_timeout at its top covers them all. */
      const brief = new Map<number, { st: Measured; blocking: MeasuredLock[] }[]>();
      for (const st of set.statements) {
        const blocking = st.locks.filter(
          (l) =>
            l.preexisting &&
            !l.fresh &&
            WRITE_BLOCKING_MODES.has(l.mode) &&
            (l.relkind === "r" || l.relkind === "p"),
        );
        if (blocking.length === 0) continue;
        // A table the migration created, or an empty one the change created, has no rows to check.
        const kind = statementKind(st.statement.node, (name) =>
          st.locks.some((l) => l.relation === name && (!l.preexisting || l.fresh)),
        );
        if (kind === "brief") {
          if (setsLockTimeoutBefore(set, st)) continue;
          const group = brief.get(st.migration) ?? [];
          group.push({ st, blocking });
          brief.set(st.migration, group);
          continue;
        }
        const what = locksText(blocking);
        const measured = `${what}, which blocks writes to a table that already existed; it held it for ${st.durationMs.toFixed(1)} ms on ${where}${blocking.some((l) => l.inferred) ? " (lock inferred)" : ""}`;
        findings.push({
          range: st.range,
          message: `This statement took ${measured}.`,
          help: HELP[kind],
          measured,
        });
      }
      for (const group of brief.values()) {
        const first = group[0];
        if (!first) continue;
        const what = locksText(group.flatMap((g) => g.blocking));
        const lines = group.map((g) => g.st.range.line);
        const longest = Math.max(...group.map((g) => g.st.durationMs));
        const statements =
          group.length === 1
            ? "This statement"
            : `This statement and ${group.length - 1} more (lines ${lines.join(", ")})`;
        const measured = `${what}, which blocks writes to a table that already existed, with no lock_timeout set; the longest held it for ${longest.toFixed(1)} ms on ${where}`;
        findings.push({
          range: first.st.range,
          message: `${statements} took ${measured}.`,
          help: BRIEF_HELP,
          measured,
        });
      }
    }
    return findings;
  },
};

type Measured = VerifiedSet["statements"][number];

function locksText(locks: MeasuredLock[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const l of locks) {
    const text = `${lockModeName(l.mode)} on ${l.relation}`;
    if (!seen.has(text)) out.push(text);
    seen.add(text);
  }
  return out.join(", ");
}

/** The migration sets lock_timeout (to something other than 0) before the statement. */
function setsLockTimeoutBefore(set: VerifiedSet, st: Measured): boolean {
  for (const other of set.statements) {
    if (other === st) return false;
    if (other.migration !== st.migration) continue;
    const v = nodeAs(other.statement.node, "VariableSetStmt");
    if (v?.name !== "lock_timeout" || v.kind !== "VAR_SET_VALUE") continue;
    const value = nodeAs(v.args?.[0], "A_Const");
    const raw = value?.ival?.ival ?? value?.sval?.sval ?? "";
    if (`${raw}`.trim() !== "0" && `${raw}` !== "") return true;
  }
  return false;
}

/**
 * What a statement does under its lock. `isNew` tells a table created by the same migration: a
 * constraint added to one checks no rows, so the lock it takes on the referenced table is brief.
 */
export function statementKind(node: Node, isNew: (relation: string) => boolean = () => false): Kind {
  if (nodeAs(node, "IndexStmt") || nodeAs(node, "ReindexStmt")) return "index";
  const drop = nodeAs(node, "DropStmt");
  if (drop) return drop.removeType === "OBJECT_INDEX" ? "index" : "brief";
  if (nodeAs(node, "RenameStmt") || nodeAs(node, "CreateTrigStmt") || nodeAs(node, "CommentStmt"))
    return "brief";
  const alter = nodeAs(node, "AlterTableStmt");
  if (!alter) return "other";
  const target = alter.relation?.relname ?? "";
  const schema = alter.relation?.schemaname;
  if (isNew(schema && schema !== "public" ? `${schema}.${target}` : target)) return "brief";
  let kind: Kind = "brief";
  for (const cmd of nodesAs(alter.cmds, "AlterTableCmd")) {
    const k = commandKind(cmd);
    if (KINDS.indexOf(k) > KINDS.indexOf(kind)) kind = k;
  }
  return kind;
}

function commandKind(cmd: AlterTableCmd): Kind {
  switch (cmd.subtype) {
    case "AT_AddColumn": {
      const def = nodeAs(cmd.def, "ColumnDef");
      let kind: Kind = "brief";
      for (const c of nodesAs(def?.constraints, "Constraint")) {
        const k = constraintKind(c);
        if (KINDS.indexOf(k) > KINDS.indexOf(kind)) kind = k;
      }
      return kind;
    }
    case "AT_AddConstraint": {
      const c = nodeAs(cmd.def, "Constraint");
      return c ? constraintKind(c) : "other";
    }
    case "AT_AlterColumnType":
    case "AT_SetLogged":
    case "AT_SetUnLogged":
    case "AT_SetAccessMethod":
    case "AT_SetTableSpace":
      return "rewrite";
    case "AT_SetNotNull":
      return "set-not-null";
    case "AT_DropColumn":
    case "AT_DropConstraint":
    case "AT_ColumnDefault":
    case "AT_DropNotNull":
    case "AT_SetStatistics":
    case "AT_SetOptions":
    case "AT_ResetOptions":
    case "AT_SetStorage":
    case "AT_SetCompression":
    case "AT_EnableTrig":
    case "AT_DisableTrig":
    case "AT_EnableTrigAll":
    case "AT_DisableTrigAll":
    case "AT_EnableRowSecurity":
    case "AT_DisableRowSecurity":
    case "AT_ForceRowSecurity":
    case "AT_NoForceRowSecurity":
    case "AT_ReplicaIdentity":
    case "AT_ChangeOwner":
    case "AT_AddIdentity":
    case "AT_DropIdentity":
    case "AT_SetIdentity":
    case "AT_DropExpression":
      return "brief";
    default:
      return "other";
  }
}

function constraintKind(c: Constraint): Kind {
  switch (c.contype) {
    case "CONSTR_PRIMARY":
    case "CONSTR_UNIQUE":
    case "CONSTR_EXCLUSION":
      return c.indexname ? "brief" : "constraint-index";
    case "CONSTR_FOREIGN":
    case "CONSTR_CHECK":
      return c.skip_validation ? "brief" : "validate";
    case "CONSTR_IDENTITY":
      return "rewrite";
    case "CONSTR_GENERATED":
      return "rewrite";
    case "CONSTR_DEFAULT":
      return isVolatile(c.raw_expr) ? "rewrite" : "brief";
    default:
      return "brief";
  }
}

/** A default that calls a function PostgreSQL evaluates per row. */
function isVolatile(expr: Node | undefined): boolean {
  if (!expr) return false;
  let found = false;
  const walk = (value: unknown): void => {
    if (found || value === null || typeof value !== "object") return;
    const call = nodeAs(value as Node, "FuncCall");
    if (call) {
      const name = nodesAs(call.funcname, "String").at(-1)?.sval ?? "";
      if (VOLATILE_FUNCTIONS.has(name.toLowerCase())) found = true;
    }
    for (const v of Object.values(value)) walk(v);
  };
  walk(expr);
  return found;
}
