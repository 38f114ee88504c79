/**
 * Gives every parsed statement the transaction it will really run in, from the runner's
 * `TransactionModel` (data) and what the file says about itself (explicit BEGIN/COMMIT, opt-outs).
 * `check` explains its verdicts with the resulting `TxContext`, and `verify` applies files the
 * same way, so this is the one place where that decision is made.
 */
import type { Statement, TxContext } from "../model.js";
import {
  cannotRunInTransaction,
  endsBlock,
  opensBlock,
  SHAPE_SQL,
  type StatementShape,
  statementShape,
  transactionControl,
} from "../parse/classify.js";
import { nodeAs } from "../parse/nodes.js";
import type { ParsedStatement } from "../parse/sql.js";
import type { PreparedSection, PreparedSql, TransactionModel } from "./runner.js";

/**
 * Assigns each statement its `TxContext`.
 *
 * Precedence, strongest first: an explicit BEGIN … COMMIT in the file; the runner's own
 * transaction (all files, or this file); PostgreSQL's implicit transaction for a multi-statement
 * string; autocommit. An opt-out (`noTransaction`) removes only the runner's transaction: a file
 * that is still sent as one string keeps PostgreSQL's implicit transaction.
 *
 * `runnerLabel` names the runner and the version the model assumes, e.g. "golang-migrate 4.18.1".
 */
export function assignTransactions(
  statements: ParsedStatement[],
  model: TransactionModel,
  prepared: PreparedSql,
  runnerLabel: string,
): Statement[] {
  const declared: PreparedSection[] = prepared.sections ?? [
    {
      start: 0,
      end: Number.POSITIVE_INFINITY,
      noTransaction: prepared.noTransaction,
      ...(prepared.optOutSource ? { optOutSource: prepared.optOutSource } : {}),
      label: "the whole file",
    },
  ];
  // A runner without an opt-out at this version ignores what the file says about one.
  const sections = model.optOut === null ? declared.map((s) => ({ ...s, noTransaction: false })) : declared;
  const bySection = new Map<PreparedSection, ParsedStatement[]>();
  for (const statement of statements) {
    const section =
      sections.find((s) => statement.offset >= s.start && statement.offset < s.end) ?? sections[0];
    if (!section) continue;
    const list = bySection.get(section) ?? [];
    list.push(statement);
    bySection.set(section, list);
  }
  const contexts = new Map<ParsedStatement, TxContext>();
  for (const [section, list] of bySection) {
    if (model.pipelined) assignPipeline(list, model, runnerLabel, contexts);
    else assignSection(list, model, section, runnerLabel, contexts);
  }
  return statements.map((statement) => {
    const tx = contexts.get(statement);
    if (!tx) throw new Error(`no transaction context for the statement at offset ${statement.offset}`);
    // Written out rather than spread: a literal of five fields is made faster and kept smaller.
    const { node, sql, range, offset } = statement;
    return { node, sql, range, offset, tx };
  });
}

/** Fails to compile when ParsedStatement gains a field that assignTransactions would not copy. */
const copiesEveryField: [Exclude<keyof ParsedStatement, "node" | "sql" | "range" | "offset">] extends [never]
  ? true
  : false = true;
void copiesEveryField;

interface RunnerWrap {
  reason: "runner-file" | "runner-all";
  detail: string;
}

function assignSection(
  statements: ParsedStatement[],
  model: TransactionModel,
  section: PreparedSection,
  label: string,
  out: Map<ParsedStatement, TxContext>,
): void {
  const count = statements.length;
  const shapes = statements.map((s) => statementShape(s.node));
  const optOut = model.optOut ? { optOut: model.optOut } : {};

  // How the runner sends this unit: one string (simple query protocol) or statement by statement.
  const fallbackShape = model.fileSentAsOneString
    ? null
    : (shapes.find((shape) => shape !== null && (model.splitFallbackOn ?? []).includes(shape)) ?? null);
  const oneString = model.fileSentAsOneString || fallbackShape !== null;
  const implicitBlock = oneString && count > 1;
  const implicitDetail = fallbackShape
    ? `${label} cannot split this file into statements (its SQL parser rejects ${SHAPE_SQL[fallbackShape]}), so it sends ${section.label} as one string and PostgreSQL runs its ${count} statements in one implicit transaction`
    : section.noTransaction && model.fileInTransaction
      ? `${label} skips its own transaction here (${section.optOutSource ?? "opt-out"}) but still sends ${section.label} as one string, so PostgreSQL runs its ${count} statements in one implicit transaction`
      : `${label} sends ${section.label} as one string, so PostgreSQL runs its ${count} statements in one implicit transaction`;

  // Which statements the runner itself recognises as non-transactional (Flyway).
  const recognised = (shape: StatementShape | null): boolean =>
    shape !== null && model.detectsNonTransactional && (model.nonTransactionalShapes ?? []).includes(shape);
  const nonTransactionalCount = shapes.filter(recognised).length;

  let wrap: RunnerWrap | null = null;
  let allNonTransactional = false;
  let mixedRefused = false;
  if (model.allFilesInOneTransaction && !section.noTransaction) {
    wrap = { reason: "runner-all", detail: `${label} runs every pending migration in one transaction` };
  } else if (model.fileInTransaction && !section.noTransaction) {
    if (model.detectsNonTransactional && nonTransactionalCount > 0 && nonTransactionalCount === count) {
      allNonTransactional = true;
    } else {
      mixedRefused = model.detectsNonTransactional && model.refusesMixedFile && nonTransactionalCount > 0;
      wrap = {
        reason: "runner-file",
        detail:
          section.label === "the whole file"
            ? `${label} runs each migration file in its own transaction`
            : `${label} runs ${section.label} in its own transaction`,
      };
    }
  }

  const autocommitDetail = (): string => {
    if (allNonTransactional) {
      return `${label} sees that every statement in this file must run outside a transaction and runs the file in autocommit`;
    }
    if (section.noTransaction && (model.fileInTransaction || model.allFilesInOneTransaction)) {
      return oneString
        ? `${label} skips its own transaction here (${section.optOutSource ?? "opt-out"}) and sends ${section.label} as one string holding a single statement, so it runs in autocommit`
        : `${label} skips its own transaction here (${section.optOutSource ?? "opt-out"}) and sends each statement on its own, in autocommit`;
    }
    return oneString
      ? `${label} sends ${section.label} as one string holding a single statement, so it runs in autocommit`
      : `${label} sends each statement on its own, in autocommit`;
  };

  // Most statements of a section share one context: made once, the same object for each of them
  // (contexts are never changed), which keeps a long history's memory down.
  const shared: { wrap?: TxContext; implicit?: TxContext; autocommit?: TxContext } = {};
  let explicitSince: number | null = null; // line of the open BEGIN
  let wrapClosedAt: number | null = null; // line of a COMMIT that ended the runner's transaction
  for (const [i, statement] of statements.entries()) {
    const shape = shapes[i] ?? null;
    const line = statement.range.line;
    const control = transactionControl(statement.node);

    if (opensBlock(control)) {
      if (explicitSince === null) explicitSince = line;
      out.set(statement, {
        inTransaction: true,
        reason: "explicit",
        detail: `under ${label}, this ${nodeAs(statement.node, "TransactionStmt")?.kind === "TRANS_STMT_START" ? "START TRANSACTION" : "BEGIN"} opens a transaction block`,
      });
      continue;
    }
    const ends = endsBlock(control);
    const chains = control === "commit-and-chain" || control === "rollback-and-chain";
    if (explicitSince !== null) {
      out.set(statement, {
        inTransaction: true,
        reason: "explicit",
        detail: ends
          ? `under ${label}, this statement ends the transaction block opened on line ${explicitSince}`
          : chains
            ? `under ${label}, this statement ends the transaction block opened on line ${explicitSince} and opens another (AND CHAIN)`
            : `under ${label}, the file's BEGIN on line ${explicitSince} opened a transaction block that is still open here`,
      });
      if (ends) explicitSince = null;
      continue;
    }

    const wrapOpen = wrap !== null && wrapClosedAt === null;
    if (wrapOpen && wrap) {
      let detail = wrap.detail;
      if (mixedRefused) {
        detail = recognised(shape)
          ? `${label} refuses a file that mixes ${SHAPE_SQL[shape as StatementShape]} with transactional statements (unless mixed=true, which runs the whole file without a transaction); as written, this statement would run in the file's transaction`
          : `${label} refuses this file because it mixes transactional and non-transactional statements (unless mixed=true, which runs the whole file without a transaction)`;
      } else if (shape !== null && model.detectsNonTransactional && !recognised(shape)) {
        detail = `${wrap.detail}: it does not recognise ${SHAPE_SQL[shape]} as a statement that must run outside one`;
      }
      if (detail === wrap.detail) {
        shared.wrap ??= { inTransaction: true, reason: wrap.reason, detail, ...optOut };
        out.set(statement, shared.wrap);
      } else out.set(statement, { inTransaction: true, reason: wrap.reason, detail, ...optOut });
      // A COMMIT or ROLLBACK outside an explicit block ends the runner's own transaction.
      if (ends) wrapClosedAt = line;
      continue;
    }

    if (implicitBlock) {
      shared.implicit ??= {
        inTransaction: true,
        reason: "implicit-multi-statement",
        detail: implicitDetail,
        ...optOut,
      };
      out.set(statement, shared.implicit);
      continue;
    }
    if (wrapClosedAt !== null) {
      out.set(statement, {
        inTransaction: false,
        reason: "autocommit",
        detail: `the file's COMMIT on line ${wrapClosedAt} ended ${label}'s transaction, so this statement runs in autocommit`,
      });
      continue;
    }
    shared.autocommit ??= { inTransaction: false, reason: "autocommit", detail: autocommitDetail() };
    out.set(statement, shared.autocommit);
  }
}

/**
 * A file sent as one pipeline (`TransactionModel.pipelined`): PostgreSQL keeps the statements
 * since the last commit in one implicit transaction, and refuses a statement that cannot run in a
 * transaction ("cannot be executed within a pipeline") unless it opens the pipeline or directly
 * follows a COMMIT or ROLLBACK. Measured on PostgreSQL 15.20 (test/runners/supabase.test.ts):
 * even a second CREATE INDEX CONCURRENTLY right after a first one is refused.
 */
function assignPipeline(
  statements: ParsedStatement[],
  model: TransactionModel,
  label: string,
  out: Map<ParsedStatement, TxContext>,
): void {
  const optOut = model.optOut ? { optOut: model.optOut } : {};
  const implicit = `${label} sends the file's statements as one pipeline closed by a single Sync, so PostgreSQL runs them in one implicit transaction`;
  let open = false; // an earlier statement left the pipeline's implicit transaction open
  let explicitSince: number | null = null;
  for (const statement of statements) {
    const control = transactionControl(statement.node);
    const line = statement.range.line;
    if (explicitSince === null && opensBlock(control)) explicitSince = line;
    if (explicitSince !== null) {
      const ends = endsBlock(control);
      out.set(statement, {
        inTransaction: true,
        reason: "explicit",
        detail:
          explicitSince === line && opensBlock(control)
            ? `under ${label}, this BEGIN opens a transaction block`
            : ends
              ? `under ${label}, this statement ends the transaction block opened on line ${explicitSince}`
              : `under ${label}, the file's BEGIN on line ${explicitSince} opened a transaction block that is still open here`,
      });
      if (ends) {
        explicitSince = null;
        open = false;
      }
      continue;
    }
    if (!open && cannotRunInTransaction(statement.node)) {
      out.set(statement, {
        inTransaction: false,
        reason: "autocommit",
        detail: `${label} sends the file as one pipeline, and this statement opens it (it comes first, or right after a COMMIT), so it runs and commits on its own`,
      });
      // PostgreSQL refuses the next CONCURRENTLY statement of the pipeline all the same.
      open = true;
      continue;
    }
    out.set(statement, {
      inTransaction: true,
      reason: "implicit-multi-statement",
      detail: implicit,
      ...optOut,
    });
    // A COMMIT or ROLLBACK ends the implicit transaction; the next statement starts afresh.
    open = !endsBlock(control);
  }
}
