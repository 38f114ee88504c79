/**
 * The Action's `args` input: extra CLI arguments, split like a shell would split words (spaces,
 * 'single' and "double" quotes, backslash escapes) but with no shell: nothing is expanded or run.
 * Only the flags that change what `check` and `verify` do are accepted; each becomes the same
 * run option the CLI's flag sets.
 */
import { closest } from "../did-you-mean.js";
import { UserError } from "../errors.js";

/** Words of `text`, as a POSIX shell would split them, without expansions. */
export function splitArgs(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string))
        word += text[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < text.length) {
      const next = text[++i] as string;
      if (next !== "\n") word += next;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new UserError(`input args: unterminated ${quote === "'" ? "single" : "double"} quote`);
  if (inWord) words.push(word);
  return words;
}

/** What the CLI flags set, for the Action. */
export interface ExtraOptions {
  timeoutMs?: number;
  statementTimeoutMs?: number;
  keepGoing?: boolean;
  downgrade?: boolean;
  trustMigrations?: boolean;
  useExistingDatabase?: boolean;
  baseline?: string;
  config?: string;
}

const VALUE_FLAGS = ["--timeout", "--statement-timeout", "--baseline", "--config"] as const;
const SWITCHES = ["--keep-going", "--downgrade", "--trust-migrations", "--use-existing-database"] as const;

/** Parses the words of `args` into run options; an unknown flag or a bad value is a UserError. */
export function parseExtraArgs(words: readonly string[]): ExtraOptions {
  const options: ExtraOptions = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const eq = word.indexOf("=");
    const flag = word.startsWith("--") && eq > 0 ? word.slice(0, eq) : word;
    if ((SWITCHES as readonly string[]).includes(flag)) {
      if (flag !== word) throw new UserError(`input args: ${flag} takes no value`);
      setSwitch(options, flag as (typeof SWITCHES)[number]);
      continue;
    }
    if ((VALUE_FLAGS as readonly string[]).includes(flag)) {
      const value = flag !== word ? word.slice(eq + 1) : words[++i];
      if (value === undefined) throw new UserError(`input args: ${flag} needs a value`);
      setValue(options, flag as (typeof VALUE_FLAGS)[number], value);
      continue;
    }
    const known = [...VALUE_FLAGS, ...SWITCHES];
    const near = closest(flag, known);
    throw new UserError(
      `input args: ${JSON.stringify(word)} is not one of ${known.join(", ")}${near ? ` (did you mean ${near}?)` : ""}`,
    );
  }
  return options;
}

function setSwitch(options: ExtraOptions, flag: (typeof SWITCHES)[number]): void {
  if (flag === "--keep-going") options.keepGoing = true;
  else if (flag === "--downgrade") options.downgrade = true;
  else if (flag === "--trust-migrations") options.trustMigrations = true;
  else options.useExistingDatabase = true;
}

function setValue(options: ExtraOptions, flag: (typeof VALUE_FLAGS)[number], value: string): void {
  if (flag === "--timeout") options.timeoutMs = seconds("args --timeout", value);
  else if (flag === "--statement-timeout")
    options.statementTimeoutMs = seconds("args --statement-timeout", value);
  else if (flag === "--baseline") options.baseline = value;
  else options.config = value;
}

/** A positive number of seconds, in milliseconds. */
export function seconds(what: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0)
    throw new UserError(`${what} takes a number of seconds (got ${JSON.stringify(value)})`);
  return n * 1000;
}
