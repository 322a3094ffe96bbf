import { describe, expect, it } from "vitest";
import { cleanText, normaliseIrrAsSets } from "../src/index.ts";

describe("normaliseIrrAsSets", () => {
  it.each([
    ["AS-FOO", ["AS-FOO"]],
    ["as-foo", ["AS-FOO"]],
    ["AS-FOO AS-BAR", ["AS-FOO", "AS-BAR"]],
    ["AS-FOO,AS-BAR; AS-BAZ", ["AS-FOO", "AS-BAR", "AS-BAZ"]],
    ["RIPE::AS-FOO", ["RIPE::AS-FOO"]],
    ["AS-FOO@RIPE", ["RIPE::AS-FOO"]],
    ["radb::as-foo as-foo@RADB", ["RADB::AS-FOO"]],
    ["RIPE-NONAUTH::AS-FOO", ["RIPE-NONAUTH::AS-FOO"]],
    ["AS64500:AS-CUSTOMERS", ["AS64500:AS-CUSTOMERS"]],
    ["AS-FOO:AS-BAR", ["AS-FOO:AS-BAR"]],
    ["AS64500", ["AS64500"]],
    ["AS-FOO_V6", ["AS-FOO_V6"]],
  ])("%j → %j", (raw, sets) => {
    expect(normaliseIrrAsSets(raw)).toEqual(sets);
  });

  it.each([
    "",
    "n/a",
    "None",
    "AS",
    "AS-",
    "AS0",
    "AS4294967295",
    "AS064500",
    "AS64500:AS64501",
    "AS-FOO:",
    "RS-FOO",
    "::AS-FOO",
    "AS-FOO@",
    "R!PE::AS-FOO",
    "RIPE::AS-FOO@RADB",
    "AS-FO\u202EO",
    `AS-${"X".repeat(200)}`,
  ])("drops %j", (raw) => {
    expect(normaliseIrrAsSets(raw)).toEqual([]);
  });

  it("keeps at most 16 sets", () => {
    const raw = Array.from({ length: 40 }, (_, i) => `AS-SET${i}`).join(" ");
    expect(normaliseIrrAsSets(raw)).toHaveLength(16);
  });

  it("treats null and undefined as no set", () => {
    expect(normaliseIrrAsSets(null)).toEqual([]);
    expect(normaliseIrrAsSets(undefined)).toEqual([]);
  });
});

describe("cleanText", () => {
  it("removes what is not shown but changes what is around it", () => {
    expect(cleanText("Evil\u202Eten.elpmaxe\u001b[2J")).toBe("Evilten.elpmaxe[2J");
    expect(cleanText("a\u200Bb\uFEFFc\u2066d\u2069\u0000e\u009bf")).toBe("abcdef");
  });

  it("makes one line of several and collapses whitespace", () => {
    expect(cleanText("  one\r\ntwo\tthree\u2028four  ")).toBe("one two three four");
  });

  it("keeps ordinary non-Latin text, emoji and ZWJ sequences", () => {
    expect(cleanText("Réseau 网络 👩‍💻")).toBe("Réseau 网络 👩‍💻");
  });

  it("cuts to the bound without splitting a character", () => {
    expect(cleanText("x".repeat(300))).toHaveLength(255);
    const cut = cleanText("😀".repeat(10), 3);
    expect(cut).toBe("😀😀😀");
  });
});
