import { describe, expect, it } from "vitest";
import { hasCommand, requireSystem } from "../../../test/support/system.ts";
import { renderFrrSnippet } from "../src/index.ts";
import { dualStack, fixtures } from "./support/fixtures.ts";
import { bgpdParseError, bgpdPath, frrParseError } from "./support/parsers.ts";

describe.skipIf(!requireSystem("vtysh", hasCommand("vtysh")))("FRR's dry run accepts the FRR snippet", () => {
  for (const [name, fixture] of Object.entries(fixtures)) {
    it(`accepts the ${name} snippet`, async () => {
      expect(await frrParseError(renderFrrSnippet(fixture()))).toBeNull();
    });
  }

  it("accepts the member's own prefix lists defined as the snippet's FILL IN shows", async () => {
    const snippet = renderFrrSnippet(dualStack());
    const fillIn = snippet
      .split("\n")
      .filter((l) => /^! {3}ipv?6? ?prefix-list ZTIX-OWN-V[46] /.test(l))
      .map((l) => l.slice(4));
    expect(fillIn).toHaveLength(2);
    expect(await frrParseError([...fillIn, snippet].join("\n"))).toBeNull();
  });

  // Each mutation is one the parser must catch: a misspelt keyword, a bad value in an address
  // family, and neighbor commands outside `router bgp`. They edit command lines only: the same
  // words in the snippet's comments would change nothing FRR reads.
  const mutations: Array<[string, (text: string) => string, RegExp]> = [
    [
      "a misspelt keyword",
      (t) =>
        t.replace(/^ no neighbor 192\.0\.2\.1 enforce-first-as$/m, " no neighbor 192.0.2.1 enforce-first-az"),
      /enforce-first-az/,
    ],
    [
      "a limit that is not a number",
      (t) => t.replace("maximum-prefix-out 120", "maximum-prefix-out lots"),
      /lots/,
    ],
    [
      "a neighbor command outside router bgp",
      (t) => t.replace(/^router bgp 64500$/m, "! router bgp moved away"),
      /Unknown command/,
    ],
  ];
  for (const [what, mutate, report] of mutations) {
    it(`is a real check: refuses ${what}`, async () => {
      const snippet = renderFrrSnippet(dualStack());
      const broken = mutate(snippet);
      expect(broken).not.toBe(snippet);
      const verdict = await frrParseError(broken);
      expect(verdict).toMatch(/line \d+: % Unknown command/);
      expect(verdict).toMatch(report);
    });
  }
});

describe.skipIf(!requireSystem("bgpd", hasCommand(bgpdPath)))(
  "bgpd's dry run accepts the FRR snippet",
  () => {
    for (const [name, fixture] of Object.entries(fixtures)) {
      it(`accepts the ${name} snippet, every command executed against a BGP instance`, async () => {
        expect(await bgpdParseError(renderFrrSnippet(fixture()))).toBeNull();
      });
    }

    it("is a real check, and a deeper one than vtysh's: a neighbor used before its remote-as is refused", async () => {
      const snippet = renderFrrSnippet(dualStack());
      const broken = snippet.replace(/^ neighbor 192\.0\.2\.1 remote-as 64510\n/m, "");
      expect(broken).not.toBe(snippet);
      // Every line is still a well-formed FRR command, so vtysh's grammar check passes it...
      expect(await frrParseError(broken)).toBeNull();
      // ...while bgpd refuses each line that uses the neighbor it no longer knows.
      const verdict = await bgpdParseError(broken);
      expect(verdict).toMatch(/Specify remote-as or peer-group commands first/);
      expect(verdict).toMatch(/on config line \d+: +neighbor 192\.0\.2\.1 route-map ZTIX-1c0001-RS-IN in/);
    });
  },
);
