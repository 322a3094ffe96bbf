import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasCommand, requireSystem } from "../../../test/support/system.ts";
import { birdPrefixSet, type IrrError, isIrrError } from "../src/index.ts";
import { generateLargeDataset } from "../src/whois-stand-in.ts";

const exec = promisify(execFile);

function thrown(fn: () => unknown): IrrError {
  try {
    fn();
  } catch (e) {
    if (isIrrError(e)) return e;
    throw e;
  }
  throw new Error("expected an IrrError");
}

describe("birdPrefixSet", () => {
  it("accepts each route exactly and its more-specifics up to the policy's max length (/24, /48 by default)", () => {
    expect(birdPrefixSet(["192.0.2.0/24", "198.51.100.0/22"])).toBe(
      "[ 192.0.2.0/24{24,24}, 198.51.100.0/22{22,24} ]",
    );
    expect(birdPrefixSet(["2001:db8::/32", "2001:db8:1::/48"])).toBe(
      "[ 2001:db8::/32{32,48}, 2001:db8:1::/48{48,48} ]",
    );
  });

  it("takes another max length, and keeps a route longer than it to itself", () => {
    expect(birdPrefixSet(["198.51.100.0/22", "192.0.2.128/25"], { maxLength: 23 })).toBe(
      "[ 192.0.2.128/25{25,25}, 198.51.100.0/22{22,23} ]",
    );
  });

  it("is canonical: sorted by address then length, duplicates and spelling variants merged", () => {
    expect(birdPrefixSet(["2001:DB8:0::/48", "2001:db8::/32", "2001:db8::/48"])).toBe(
      "[ 2001:db8::/32{32,48}, 2001:db8::/48{48,48} ]",
    );
  });

  it("renders an empty list as an empty set", () => {
    expect(birdPrefixSet([])).toBe("[ ]");
  });

  it.each([["192.0.2.1/24"], ["192.0.2.0"], ["192.0.2.0/33"], ["not-a-prefix/8"], ["2001:db8::1/32"]])(
    "refuses %j (irr_invalid_prefix)",
    (p) => {
      expect(thrown(() => birdPrefixSet([p])).code).toBe("irr_invalid_prefix");
    },
  );

  it("refuses a mix of IPv4 and IPv6, which BIRD cannot hold in one set", () => {
    expect(thrown(() => birdPrefixSet(["192.0.2.0/24", "2001:db8::/32"])).code).toBe("irr_invalid_prefix");
  });

  it("refuses a max length the family cannot have", () => {
    expect(thrown(() => birdPrefixSet(["192.0.2.0/24"], { maxLength: 33 })).code).toBe("irr_invalid_options");
  });
});

describe.skipIf(!requireSystem("bird", hasCommand("bird") && hasCommand("birdc")))(
  "BIRD reads what birdPrefixSet renders",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "ztix-irr-bird-"));
    const config = join(dir, "bird.conf");
    const socket = join(dir, "bird.ctl");
    const pidFile = join(dir, "bird.pid");
    const big = generateLargeDataset({ ipv4: 8_000, ipv6: 2_000 });
    let birdPid: number | undefined;

    beforeAll(async () => {
      writeFileSync(
        config,
        [
          "router id 192.0.2.1;",
          `define MEMBER_V4 = ${birdPrefixSet(["192.0.2.0/24", "198.51.100.0/22"])};`,
          `define MEMBER_V6 = ${birdPrefixSet(["2001:db8::/32"])};`,
          `define NOTHING = ${birdPrefixSet([])};`,
          `define BIG_V4 = ${birdPrefixSet(big.ipv4)};`,
          `define BIG_V6 = ${birdPrefixSet(big.ipv6)};`,
          "filter member_in { if net ~ NOTHING then reject; if net ~ MEMBER_V4 || net ~ MEMBER_V6 then accept; reject; }",
          "protocol device {}",
          "",
        ].join("\n"),
      );
      // Foreground (-f) so the child is BIRD itself and we stop exactly that process.
      const child = spawn("bird", ["-f", "-c", config, "-s", socket, "-P", pidFile], { stdio: "ignore" });
      birdPid = child.pid;
      for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
    });

    afterAll(async () => {
      if (birdPid !== undefined) {
        try {
          process.kill(birdPid, "SIGTERM");
        } catch {}
      }
      await new Promise((r) => setTimeout(r, 100));
      rmSync(dir, { recursive: true, force: true });
    });

    it("parses the sets, including a 10,000-prefix member (bird -p)", () => {
      const r = spawnSync("bird", ["-p", "-c", config], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(readFileSync(config, "utf8").length).toBeGreaterThan(200_000);
    });

    it.each([
      ["192.0.2.0/24 ~ MEMBER_V4", "TRUE"],
      ["192.0.2.0/25 ~ MEMBER_V4", "FALSE"],
      ["198.51.100.0/22 ~ MEMBER_V4", "TRUE"],
      ["198.51.101.0/24 ~ MEMBER_V4", "TRUE"],
      ["198.51.101.0/25 ~ MEMBER_V4", "FALSE"],
      ["198.51.96.0/21 ~ MEMBER_V4", "FALSE"],
      ["203.0.113.0/24 ~ MEMBER_V4", "FALSE"],
      ["2001:db8:ffff::/48 ~ MEMBER_V6", "TRUE"],
      ["2001:db8:ffff::/49 ~ MEMBER_V6", "FALSE"],
      ["192.0.2.0/24 ~ NOTHING", "FALSE"],
      ["10.31.63.0/24 ~ BIG_V4", "TRUE"],
      ["2001:db8:7cf::/48 ~ BIG_V6", "TRUE"],
    ])("%s is %s", async (expr, want) => {
      const { stdout } = await exec("birdc", ["-s", socket, `eval ${expr}`]);
      expect(stdout.trim().split("\n").at(-1)).toBe(want);
    });
  },
);
