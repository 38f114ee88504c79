import { afterEach, describe, expect, it } from "vitest";
import { commentKey, readInputs } from "../../src/action.js";
import { parseExtraArgs, splitArgs } from "../../src/github/args.js";

describe("the args input", () => {
  it("splits words like a shell, without expanding anything", () => {
    expect(
      splitArgs(
        ` --timeout 30  --baseline 'my file.json' "--config" "a \\"b\\".yml" x\\ y $HOME $(id) \`id\``,
      ),
    ).toEqual([
      "--timeout",
      "30",
      "--baseline",
      "my file.json",
      "--config",
      'a "b".yml',
      "x y",
      "$HOME",
      "$(id)",
      "`id`",
    ]);
    expect(splitArgs("")).toEqual([]);
    expect(() => splitArgs("--baseline 'open")).toThrow(/unterminated single quote/);
  });

  it("turns the CLI's flags into run options, and refuses anything else by name", () => {
    expect(
      parseExtraArgs(
        splitArgs(
          "--timeout 300 --statement-timeout=5 --keep-going --downgrade --trust-migrations --use-existing-database --baseline b.json --config c.yml",
        ),
      ),
    ).toEqual({
      timeoutMs: 300_000,
      statementTimeoutMs: 5_000,
      keepGoing: true,
      downgrade: true,
      trustMigrations: true,
      useExistingDatabase: true,
      baseline: "b.json",
      config: "c.yml",
    });
    expect(() => parseExtraArgs(["--keep-goin"])).toThrow(/did you mean --keep-going/);
    expect(() => parseExtraArgs(["--database-url", "postgres://x"])).toThrow(/is not one of/);
    expect(() => parseExtraArgs(["--timeout"])).toThrow(/needs a value/);
    expect(() => parseExtraArgs(["--timeout", "soon"])).toThrow(/takes a number of seconds/);
    expect(() => parseExtraArgs(["--keep-going=yes"])).toThrow(/takes no value/);
  });
});

describe("the Action's inputs", () => {
  const set = (inputs: Record<string, string>) => {
    for (const [k, v] of Object.entries(inputs)) process.env[`INPUT_${k.toUpperCase()}`] = v;
  };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (k.startsWith("INPUT_")) delete process.env[k];
  });

  it("reads verify's limits and adds what args gives", () => {
    set({
      timeout: "120",
      "statement-timeout": "2.5",
      "keep-going": "true",
      downgrade: "yes",
      "trust-migrations": "true",
      args: "--use-existing-database",
    });
    expect(readInputs().extra).toEqual({
      timeoutMs: 120_000,
      statementTimeoutMs: 2_500,
      keepGoing: true,
      downgrade: true,
      trustMigrations: true,
      useExistingDatabase: true,
    });
  });

  it("reads the cache folder, empty by default", () => {
    expect(readInputs().cache).toBe("");
    set({ cache: " .pg-index-lint-cache " });
    expect(readInputs().cache).toBe(".pg-index-lint-cache");
  });

  it("has none of them by default, and refuses a bad value by the input's name", () => {
    expect(readInputs().extra).toEqual({});
    set({ timeout: "ten" });
    expect(() => readInputs()).toThrow(/input timeout takes a number of seconds/);
  });

  it("keys each step's comment by its name, else its working directory and config", () => {
    expect(commentKey({ name: "", workingDirectory: ".", config: "" })).toBe("");
    expect(commentKey({ name: "", workingDirectory: "./services/a/", config: "" })).toBe("services/a");
    expect(commentKey({ name: "", workingDirectory: ".", config: "ci.yml" })).toBe("config ci.yml");
    expect(commentKey({ name: "billing", workingDirectory: "services/a", config: "ci.yml" })).toBe("billing");
  });
});
