/** The one table run.mjs prints: a Markdown table, one row per repository, and its legend. */

/** Short names for the rule ids, so that "findings by rule" stays one cell. */
export const RULE_ABBREVIATIONS = {
  "require-concurrent-index-creation": "cic",
  "require-concurrent-index-deletion": "cid",
  "require-concurrent-reindex": "cri",
  "ban-concurrent-index-creation-in-transaction": "ctx",
  "constraint-builds-index": "cbi",
  "missing-required-index": "mri",
  "unindexed-foreign-key": "fk",
  "duplicate-index": "dup",
  "redundant-index": "red",
  "orm-migration-drift": "drift",
  "syntax-error": "syn",
  "unsupported-construct": "uns",
  "invalid-migration": "inv",
  "unreadable-file": "unr",
  "unused-ignore": "ign",
  "migration-failed": "mfail",
  "replay-mismatch": "replay",
  "blocking-lock": "lock",
  "invalid-index": "invidx",
  "required-index-not-used": "notused",
};

const abbrev = (rule) => RULE_ABBREVIATIONS[rule] ?? rule;

function compact(byRule, skip = new Set()) {
  const parts = Object.entries(byRule ?? {})
    .filter(([rule]) => !skip.has(rule))
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([rule, n]) => `${abbrev(rule)} ${n}`);
  return parts.join(", ") || "–";
}

/** A one-line message cut to a table cell's width. */
const short = (s, n = 70) => (String(s).length > n ? `${String(s).slice(0, n - 1)}…` : String(s));

/** What a new user sees after init: check's exit code and the findings that make it unusable. */
function initCheck(ic) {
  if (!ic) return "–";
  if (ic.error) return `E2: ${short(ic.error.replace(/^pg-index-lint: /, ""), 50)}`;
  const syn = ic.byRule?.["syntax-error"] ?? 0;
  const total = Object.values(ic.byRule ?? {}).reduce((a, b) => a + b, 0);
  return `exit ${ic.exit}, ${ic.summary?.files ?? "?"} files, ${total} findings${syn ? `, ${syn} syn` : ""}`;
}

const cell = (s) => String(s).replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderTable(rows, { verify, workDir }) {
  const head = [
    "repo",
    "runner",
    "init",
    "check with init's config",
    "files",
    "stmts",
    "findings by rule (check)",
    "syntax err",
    "unsupported",
    "replay mismatch",
    "migration failed",
    "verify findings",
    "fixes offered/failed",
    "crash",
    "check s",
    "verify s",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of rows) {
    if (r.skipped) {
      lines.push(
        `| ${cell(r.name)} | ${cell(r.runner)} | ${cell(r.skipped)} |${" |".repeat(head.length - 3)}`,
      );
      continue;
    }
    const by = r.check?.byRule ?? {};
    const vb = r.verify?.byRule ?? {};
    const init = r.init?.usable ? (r.init.problems.length ? "ok*" : "ok") : "FAIL";
    const crash = [...(r.crashes ?? [])];
    if (r.check?.error) crash.push(`E2 check: ${short(r.check.error)}`);
    if (r.verify?.error) crash.push(`E2 verify: ${short(r.verify.error)}`);
    if (r.verify?.timedOut) crash.push("verify timed out");
    lines.push(
      `| ${[
        r.name,
        r.runner,
        init,
        initCheck(r.initCheck),
        r.check?.summary?.files ?? "–",
        r.check?.summary?.statements ?? "–",
        compact(by, new Set(["syntax-error", "unsupported-construct"])),
        by["syntax-error"] ?? 0,
        by["unsupported-construct"] ?? 0,
        verify ? (vb["replay-mismatch"] ?? 0) : "–",
        verify ? (vb["migration-failed"] ?? 0) : "–",
        verify ? compact(vb, new Set(["replay-mismatch", "migration-failed"])) : "–",
        r.fixes
          ? `${r.fixes.offered}/${r.fixes.failed}${r.fixes.tried < r.fixes.offered ? ` (${r.fixes.tried} tried)` : ""}`
          : "–",
        crash.join("; ") || "–",
        r.check?.seconds?.toFixed(1) ?? "–",
        verify && r.verify ? r.verify.seconds.toFixed(1) : "–",
      ]
        .map(cell)
        .join(" | ")} |`,
    );
  }
  const legend = Object.entries(RULE_ABBREVIATIONS)
    .map(([rule, a]) => `${a} = ${rule}`)
    .join("; ");
  const notes = rows
    .filter((r) => r.init?.problems.length)
    .map((r) => {
      const shown = r.init.problems.slice(0, 6).join("; ");
      const more = r.init.problems.length - 6;
      return `- ${r.name}: ${shown}${more > 0 ? `; and ${more} more` : ""}`;
    });
  const models = rows
    .filter((r) => r.models)
    .map((r) => {
      const u = r.models.unindexedForeignKeys;
      const differ = u.onlyModels.length + u.onlyMigrations.length;
      return `- ${r.name}: unindexed foreign keys ${u.models} from the models alone, ${u.migrations} with the migrations${differ ? ` (${u.onlyModels.length} only in the models, ${u.onlyMigrations.length} only in the migrations)` : " (the same)"}; ${r.models.drift} orm-migration-drift; models alone ${r.models.seconds.toFixed(1)} s`;
    });
  return `${lines.join("\n")}

init: ok = init found the manifest's folders with the right runners and nothing else; ok* = usable, with notes below; FAIL = unusable (check then ran with the manifest's config anyway).
Rules: ${legend}.
Outputs per repository: ${workDir}/<name>/ (init.yml, init-check.json, config.yml, check.json, models-check.json, fixes.json, verify.json, *.stderr, row.json).

Init notes:
${notes.join("\n") || "- none"}
${models.length ? `\nModels alone (models-check.json), against the check with the migrations:\n${models.join("\n")}\n` : ""}`;
}
