/**
 * Transaction models that several runners share, built from their facts.
 */
import type { TransactionModel } from "./runner.js";

/**
 * The runner wraps each file in its own transaction unless the file opts out, and sends the file
 * as one string either way, so an opted-out file of several statements still shares PostgreSQL's
 * implicit transaction (Diesel, sqlx). `optOut` null: no opt-out at this version.
 */
export function fileTransactionOneString(optOut: string | null, citations: string[]): TransactionModel {
  return {
    fileInTransaction: true,
    allFilesInOneTransaction: false,
    fileSentAsOneString: true,
    detectsNonTransactional: false,
    refusesMixedFile: false,
    optOut,
    citations,
  };
}
