import { describe, expect, it } from "vitest";
import { cleanDisplayText, hasInvisibleCharacters } from "../src/index.ts";

describe("names from outside made safe to show (cleanDisplayText)", () => {
  it.each([
    ["a terminal escape", "Mallory\u001b[2J\u001b[31mAdmin", "Mallory[2J[31mAdmin"],
    ["NUL and DEL", "Ex\u0000am\u007fple", "Example"],
    ["C1 controls", "Net\u009bwork\u0085Name", "Network Name"],
    ["a right-to-left override", "Good Net \u202Eten.live", "Good Net ten.live"],
    [
      "every bidi embedding, isolate and mark",
      "\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069\u200E\u200F\u061CA",
      "A",
    ],
    ["zero-width space and byte-order mark", "Ad\u200Bmin\uFEFF", "Admin"],
    ["line breaks and tabs", "Line one\nLine two\r\n\tThree\u2028Four", "Line one Line two Three Four"],
    ["padding", "   Demo    Operator  ", "Demo Operator"],
  ])("drops %s", (_what, raw, clean) => {
    expect(cleanDisplayText(raw)).toBe(clean);
    expect(hasInvisibleCharacters(clean)).toBe(false);
  });

  it.each([
    "Zürich Internet Exchange",
    "東京ネットワーク",
    "شبكة\u200Cالإنترنت",
    "Family 👨\u200D👩\u200D👧",
  ])("keeps ordinary text, joiners included: %j", (name) => {
    expect(cleanDisplayText(name)).toBe(name);
    expect(hasInvisibleCharacters(name)).toBe(false);
  });

  it("reduces a name of nothing but controls to the empty string", () => {
    expect(cleanDisplayText("\u0000\u202E\u001b \t")).toBe("");
  });
});
