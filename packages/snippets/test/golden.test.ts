import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Platform, platforms, renderSnippets } from "../src/index.ts";
import { dualStack, fixtures } from "./support/fixtures.ts";

/*
 * Junos, IOS-XR and RouterOS have no parser on this machine, so their snippets are pinned
 * byte for byte to reviewed files; BIRD and FRR are pinned too, so every change to any
 * platform's text shows up in review as a diff of these files. After a deliberate change:
 * `ZTIX_UPDATE_GOLDEN=1 npx vitest run packages/snippets/test/golden.test.ts`, then read the diff.
 */

const goldenDir = join(import.meta.dirname, "golden");
const update = process.env.ZTIX_UPDATE_GOLDEN === "1";

const extension: Record<Platform, string> = {
  bird: "bird.conf",
  frr: "frr.conf",
  junos: "junos.set",
  iosxr: "iosxr.cfg",
  routeros: "routeros.rsc",
};

function goldenPath(fixture: string, platform: Platform): string {
  return join(goldenDir, `${fixture}.${extension[platform]}`);
}

describe("golden snippets", () => {
  for (const [name, fixture] of Object.entries(fixtures)) {
    const rendered = renderSnippets(fixture());
    for (const platform of platforms) {
      it(`${name} on ${platform} is exactly test/golden/${name}.${extension[platform]}`, () => {
        const path = goldenPath(name, platform);
        if (update) writeFileSync(path, rendered[platform]);
        expect(existsSync(path), `${path} is missing: create it with ZTIX_UPDATE_GOLDEN=1`).toBe(true);
        expect(rendered[platform]).toBe(readFileSync(path, "utf8"));
      });
    }
  }

  it("is a real check: a one-digit change to the input no longer matches any platform's file", () => {
    const changed = renderSnippets(dualStack({ member: { ...dualStack().member, asn: 64501 } }));
    for (const platform of platforms) {
      expect(changed[platform]).not.toBe(readFileSync(goldenPath("dual-stack", platform), "utf8"));
    }
  });
});
