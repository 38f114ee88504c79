import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileNames, onceWhileReading, readingOnce } from "../../src/runners/files.js";
import { sortsRightAfter, versionsAfter } from "../../src/runners/isolate.js";

/** The definition sortsRightAfter must keep: sort the listing with the new names, look after `current`. */
function byFullSort(
  order: (names: readonly string[]) => string[],
  names: readonly string[],
  current: string,
  added: readonly string[],
): boolean {
  if (added.some((name) => names.includes(name))) return false;
  const sorted = order([...names, ...added]);
  const at = sorted.indexOf(current);
  return at >= 0 && added.every((name, i) => sorted[at + 1 + i] === name);
}

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });
const natural = (names: readonly string[]) =>
  names
    .filter((name) => name.endsWith(".sql"))
    .sort((a, b) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0));
const bytes = (names: readonly string[]) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** A small deterministic generator, so a failure names the case that broke. */
function random(seed: number) {
  let state = seed;
  return (n: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
}

describe("sortsRightAfter", () => {
  it("answers as a sort of the whole listing would, for natural and byte orders", () => {
    const pick = random(7);
    const stems = ["1", "2", "10", "01", "1a", "1_a", "1_A", "2_b", "9", "99", "100", "a", "B"];
    const suffixes = ["", "_concurrently", "_concurrently_2", "_x"];
    const name = () =>
      `${stems[pick(stems.length)]}${suffixes[pick(suffixes.length)]}${pick(5) ? ".sql" : ".txt"}`;
    let checked = 0;
    for (let round = 0; round < 3000; round++) {
      const names = [...new Set(Array.from({ length: pick(8) }, name))];
      const current = pick(6) ? (names[pick(Math.max(names.length, 1))] ?? name()) : name();
      const added = Array.from({ length: 1 + pick(2) }, name);
      for (const order of [natural, bytes]) {
        expect(sortsRightAfter(order, names, current, added), JSON.stringify({ names, current, added })).toBe(
          byFullSort(order, names, current, added),
        );
        checked++;
      }
    }
    expect(checked).toBe(6000);
  });

  it("gives the same answers when the listing is asked again (its sorted copy is reused)", () => {
    const names = ["1_a.sql", "2_b.sql", "10_c.sql"];
    // The collator puts "2_b_concurrently.sql" before "2_b.sql".
    expect(sortsRightAfter(natural, names, "2_b.sql", ["2_b_concurrently.sql"])).toBe(false);
    expect(sortsRightAfter(natural, names, "2_b.sql", ["3_x.sql"])).toBe(true);
    expect(sortsRightAfter(natural, names, "2_b.sql", ["11_x.sql"])).toBe(false);
    expect(sortsRightAfter(natural, names, "10_c.sql", ["11_x.sql", "12_x.sql"])).toBe(true);
    expect(sortsRightAfter(natural, names, "10_c.sql", ["12_x.sql", "11_x.sql"])).toBe(false);
    expect(sortsRightAfter(natural, names, "1_a.sql", ["2_b.sql"])).toBe(false);
  });
});

describe("versionsAfter", () => {
  it("stays below the next taken version, whatever order the listing is in", () => {
    expect(versionsAfter("005", ["009", "001", "007", "005"], 1)).toEqual(["006"]);
    expect(versionsAfter("005", ["009", "001", "007", "005"], 2)).toBeNull();
    expect(versionsAfter("005", ["009", "001", "008", "005"], 2)).toEqual(["006", "007"]);
    expect(versionsAfter("5", ["1", "5"], 2)).toEqual(["6", "7"]);
  });
});

describe("readingOnce", () => {
  it("lists a folder once inside, and anew outside", () => {
    const dir = mkdtempSync(join(tmpdir(), "pil-listing-"));
    try {
      writeFileSync(join(dir, "1.sql"), "");
      const inside = readingOnce(() => {
        const first = fileNames(dir);
        writeFileSync(join(dir, "2.sql"), "");
        return {
          first,
          again: fileNames(dir),
          computed: onceWhileReading("k", () => 1) + onceWhileReading("k", () => 2),
        };
      });
      expect(inside.again).toBe(inside.first);
      expect(inside.computed).toBe(2);
      expect([...fileNames(dir)].sort()).toEqual(["1.sql", "2.sql"]);
      mkdirSync(join(dir, "sub"));
      expect([...fileNames(dir)].sort()).toEqual(["1.sql", "2.sql"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
