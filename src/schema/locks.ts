/** PostgreSQL's table-level lock modes, as pg_locks names them (docs: "Explicit Locking"). */

/** Lock modes that block INSERT, UPDATE and DELETE (PostgreSQL docs, "Table-Level Locks"). */
export const WRITE_BLOCKING_MODES = new Set([
  "ShareLock",
  "ShareRowExclusiveLock",
  "ExclusiveLock",
  "AccessExclusiveLock",
]);

export function lockModeName(mode: string): string {
  return mode
    .replace(/Lock$/, "")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toUpperCase();
}
