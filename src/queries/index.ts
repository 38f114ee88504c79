/**
 * Index needs derived from the queries a service really runs (DESIGN.md §3, `queries/`). Sources
 * (a pg_stat_statements export, query files, table statistics) → per-table scans → candidate
 * indexes, ranked by the share of execution time their queries take. Call `initSqlParser()`
 * (src/parse/sql.ts) before any reader or `analyzeWorkload`.
 */

export {
  type AnalyzeOptions,
  analyzeWorkload,
  type CandidateIndex,
  type CandidateQuery,
  type CoveredCandidate,
  DEFAULT_QUERY_TEXT_LIMIT,
  DEFAULT_THRESHOLDS,
  type RequiredIndexSuggestion,
  type ScanOutcome,
  type ScanVerdict,
  type Thresholds,
  type WorkloadAnalysis,
} from "./analyze.js";
export { type Candidate, type CandidateKey, candidateFor, coveredBy, keyText } from "./candidates.js";
export { type CsvRow, readCsv } from "./csv.js";
export type { QueryFigures, QueryOrigin, QuerySource, SkipKind, SkippedQuery, SourceQuery } from "./model.js";
export { loadQueryFiles, readQueryFile, rewritePlaceholders } from "./query-files.js";
export { extractScans, type OrderKey, type ScanKey, type ScanResult, type TableScan } from "./scans.js";
export { readStatStatements } from "./stat-statements.js";
export { clipBytes, createIndexStatement, indexName } from "./suggestion.js";
export {
  type ColumnStats,
  readStatsExport,
  type StatsExport,
  type TableSize,
  TableStats,
} from "./table-stats.js";
