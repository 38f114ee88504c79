/**
 * Plain `*.sql` files, applied in natural file-name order the way `psql -f` would run them.
 */
import { basename, resolve } from "node:path";
import { SQL_MIGRATION_WORDS } from "../schema/change.js";
import { fileNames } from "./files.js";
import { besides, moveToNewMigrations, sortsRightAfter, statementsText } from "./isolate.js";
import { DEFAULT_VERSION } from "./pinned-version.js";
import type { IsolateRequest, Isolation, SqlRunner, TransactionModel } from "./runner.js";

// Made for the first comparison: ICU takes about 8 ms to make it, and a folder of one file
// compares nothing.
let collator: Intl.Collator | undefined;

/** Natural file-name order, as `list` applies the files. */
const order = (names: readonly string[]) =>
  names
    .filter((name) => name.endsWith(".sql"))
    .sort((a, b) => {
      collator ??= new Intl.Collator("en", { numeric: true, sensitivity: "base" });
      return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
    });

const MODEL: TransactionModel = {
  // psql sends each statement of a script on its own and, in its default autocommit mode, each one
  // commits by itself; only BEGIN/COMMIT written in the file group statements.
  // https://www.postgresql.org/docs/current/app-psql.html (AUTOCOMMIT, -f, -1/--single-transaction)
  fileInTransaction: false,
  allFilesInOneTransaction: false,
  fileSentAsOneString: false,
  detectsNonTransactional: false,
  refusesMixedFile: false,
  optOut: null,
  citations: [
    "https://www.postgresql.org/docs/current/app-psql.html — psql runs script statements one by one in autocommit unless -1/--single-transaction is given",
  ],
};

export const sqlRunner: SqlRunner = {
  kind: "migrations",
  id: "sql",
  name: "psql -f",
  describe: "plain SQL (*.sql, psql -f)",
  words: SQL_MIGRATION_WORDS,
  exampleFile: "001_example.sql",
  versioned: false,
  detect: (dir) => fileNames(dir).some((name) => name.endsWith(".sql")),
  list(dir) {
    return order(fileNames(dir)).map((name) => ({
      absPath: resolve(dir, name),
      id: name.slice(0, -".sql".length),
    }));
  },
  prepare: (text) => ({ sql: text, noTransaction: false }),
  pinnedVersion: () => DEFAULT_VERSION,
  model: () => MODEL,
  isolate,
};

/**
 * psql runs a statement outside a transaction unless the file's own BEGIN holds it: the statement
 * leaves the block for a file of its own that sorts right after this one, where it runs alone.
 */
function isolate(request: IsolateRequest): Isolation {
  const name = basename(request.ref.absPath);
  const added = [`${name.slice(0, -".sql".length)}_concurrently.sql`];
  if (!sortsRightAfter(order, fileNames(request.dir), name, added)) {
    return { help: "move it out of the BEGIN … COMMIT block" };
  }
  const path = besides(request.migration.file, added[0] ?? "");
  return moveToNewMigrations(
    request,
    [{ path, text: statementsText(request.sql) }],
    "psql runs each statement of it in autocommit",
  );
}
