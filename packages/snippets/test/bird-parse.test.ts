import { describe, expect, it } from "vitest";
import { hasCommand, requireSystem } from "../../../test/support/system.ts";
import { renderBirdSnippet } from "../src/index.ts";
import { fixtures, ipv4Only } from "./support/fixtures.ts";
import { birdMemberConfig, birdParseError } from "./support/parsers.ts";

describe.skipIf(!requireSystem("bird", hasCommand("bird")))("bird -p accepts the BIRD snippet", () => {
  for (const [name, fixture] of Object.entries(fixtures)) {
    it(`accepts the ${name} snippet once the member defines its prefix sets`, async () => {
      expect(await birdParseError(birdMemberConfig([renderBirdSnippet(fixture())]))).toBeNull();
    });
  }

  it("accepts snippets of two networks side by side: no name is defined twice", async () => {
    const config = birdMemberConfig([
      renderBirdSnippet(fixtures["dual-stack"]()),
      renderBirdSnippet(ipv4Only()),
    ]);
    expect(await birdParseError(config)).toBeNull();
  });

  it("accepts route-server names BIRD symbols cannot hold as they are", async () => {
    const input = ipv4Only({ routeServers: [{ name: "rs-1-a", asn: 65000, ipv4: "203.0.113.1" }] });
    expect(await birdParseError(birdMemberConfig([renderBirdSnippet(input)]))).toBeNull();
  });

  it("fails closed: without the member's prefix sets BIRD refuses the config", async () => {
    const config = birdMemberConfig([renderBirdSnippet(fixtures["dual-stack"]())], { defineOwn: false });
    // BIRD names the place, not the symbol: the first filter line that uses the set.
    const line = config.split("\n").findIndex((l) => l.includes("net ~ ZTIX_OWN_V4")) + 1;
    expect(line).toBeGreaterThan(0);
    expect(await birdParseError(config)).toMatch(
      new RegExp(`:${line}:\\d+ syntax error, unexpected CF_SYM_UNDEFINED`),
    );
  });

  it("is a real check: a broken snippet is refused with the line at fault", async () => {
    const snippet = renderBirdSnippet(fixtures["dual-stack"]());
    const broken = snippet.replace("enforce first as off;", "enforce first as sometimes;");
    expect(broken).not.toBe(snippet);
    const config = birdMemberConfig([broken]);
    const line = config.split("\n").findIndex((l) => l.includes("sometimes")) + 1;
    expect(await birdParseError(config)).toMatch(new RegExp(`:${line}:\\d+ syntax error`));
  });
});
