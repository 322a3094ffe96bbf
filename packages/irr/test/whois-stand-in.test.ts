import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_RPSL } from "../src/demo-rpsl.ts";
import {
  generateLargeDataset,
  parseRpsl,
  startWhoisStandIn,
  type WhoisStandIn,
} from "../src/whois-stand-in.ts";

/** Sends raw query lines on one connection and returns everything the server wrote until it closed. */
function converse(server: WhoisStandIn, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, server.host);
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      text += d;
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(text));
    socket.write(lines.map((l) => `${l}\n`).join(""));
  });
}

describe("the IRRd whois stand-in", () => {
  let irr: WhoisStandIn;
  beforeAll(async () => {
    irr = await startWhoisStandIn({ rpsl: DEMO_RPSL });
  });
  afterAll(() => irr.stop());

  it("listens on a free port and reports it", () => {
    expect(irr.port).toBeGreaterThan(0);
    expect(irr.address).toBe(`127.0.0.1:${irr.port}`);
  });

  it("frames data as A<length> (data plus its newline), then C", async () => {
    const out = await converse(irr, ["!!", "!iAS-EXAMPLE", "!q"]);
    expect(out).toBe("A29\nAS64500 AS-EXAMPLE-CUSTOMERS\nC\n");
  });

  it("expands sets recursively with ,1, skipping loops and dangling members", async () => {
    expect(await converse(irr, ["!!", "!iAS-EXAMPLE,1", "!q"])).toBe("A16\nAS64500 AS64501\nC\n");
  });

  it("answers D for a key it does not have and C for an empty answer", async () => {
    expect(await converse(irr, ["!!", "!iAS-NOPE,1", "!iAS-EXAMPLE-EMPTY,1", "!gas64999", "!q"])).toBe(
      "D\nC\nD\n",
    );
  });

  it("answers !a4/!a6 with the set's prefixes per family, and the bare !a probe as IRRd 4 does", async () => {
    const out = await converse(irr, ["!!", "!a", "!a6AS-EXAMPLE", "!q"]);
    expect(out.startsWith("F Missing required set name for A query\n")).toBe(true);
    expect(out).toContain("2001:DB8:1::/48");
    expect(out).not.toContain("192.0.2.0/24");
  });

  it("lists and selects sources, and refuses unknown ones with F", async () => {
    const out = await converse(irr, ["!!", "!s-lc", "!sRIPE", "!s-lc", "!sNOPE", "!q"]);
    expect(out).toBe(
      "A10\nTEST,RIPE\nC\nC\nA5\nRIPE\nC\nF One or more selected sources are unavailable: NOPE\n",
    );
  });

  it("answers one query and closes unless the client sent !! first, as IRRd does", async () => {
    expect(await converse(irr, ["!gas64501", "!gas64500"])).toBe("A15\n203.0.113.0/24\nC\n");
  });

  it("plays an older IRRd without !a when asked", async () => {
    const old = await startWhoisStandIn({ rpsl: DEMO_RPSL, aQueries: false });
    try {
      expect(await converse(old, ["!!", "!a", "!q"])).toBe("F Unrecognized command\n");
    } finally {
      await old.stop();
    }
  });

  it("generates a large dataset whose as-set's routes total 10,000 prefixes", () => {
    const big = generateLargeDataset();
    expect(big.ipv4.length + big.ipv6.length).toBe(10_000);
    const objects = parseRpsl(big.rpsl);
    expect(objects.filter((o) => o.objectClass === "route" || o.objectClass === "route6")).toHaveLength(
      10_000,
    );
    expect(objects.find((o) => o.key === big.asSet)).toBeDefined();
  });
});
