import { describe, expect, it } from "vitest";
import { readString } from "../../src/python/strings.js";
import { parsePython } from "../../src/python/syntax.js";

/** The first string-ish argument of `f(...)` in `source`. */
function read(source: string) {
  const py = parsePython(`f(${source})\n`, "x.py");
  const arg = py.tree.topNode.firstChild?.firstChild?.getChild("ArgList")?.firstChild?.nextSibling;
  if (!arg) throw new Error("no argument");
  return { py, result: readString(py, arg) };
}

describe("Python string literals", () => {
  const cases: { name: string; source: string; value: string | null }[] = [
    { name: "double quotes", source: `"abc"`, value: "abc" },
    { name: "single quotes with an escaped quote", source: `'it\\'s'`, value: "it's" },
    { name: "escapes", source: `"a\\nb\\tc\\\\d\\x41\\u00e9"`, value: "a\nb\tc\\dAé" },
    { name: "raw strings keep backslashes", source: `r"a\\nb"`, value: "a\\nb" },
    {
      name: "triple quotes across lines",
      source: `"""\nCREATE INDEX i\nON t (a)\n"""`,
      value: "\nCREATE INDEX i\nON t (a)\n",
    },
    {
      name: "implicit concatenation",
      source: `"CREATE INDEX i " "ON t (a)"`,
      value: "CREATE INDEX i ON t (a)",
    },
    { name: "concatenation with +", source: `"a" + 'b'`, value: "ab" },
    { name: "an f-string without fields", source: `f"plain"`, value: "plain" },
    { name: "an f-string with fields", source: `f"ix_{name}"`, value: null },
    { name: "bytes", source: `b"x"`, value: null },
    { name: "a line continuation", source: `"a\\\nb"`, value: "ab" },
  ];
  for (const c of cases) {
    it(`reads ${c.name}`, () => {
      const { result } = read(c.source);
      if (c.value === null) expect(result.ok).toBe(false);
      else expect(result.ok && result.string.value).toBe(c.value);
    });
  }

  it("maps every character of the value back to its offset in the file, across escapes and pieces", () => {
    const { py, result } = read(`"a\\nb" 'cd'`);
    if (!result.ok) throw new Error("not read");
    const { value, offsets } = result.string;
    expect(value).toBe("a\nbcd");
    expect([...value].map((_, i) => py.text[offsets[i] ?? -1])).toEqual(["a", "\\", "b", "c", "d"]);
  });
});
