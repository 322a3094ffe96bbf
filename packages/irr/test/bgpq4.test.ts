import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { hasCommand, requireSystem } from "../../../test/support/system.ts";
import { DEMO_RPSL } from "../src/demo-rpsl.ts";
import {
  type Bgpq4Options,
  expandOriginAsns,
  expandPrefixes,
  type IrrError,
  isIrrError,
  parseIrrTarget,
} from "../src/index.ts";
import { generateLargeDataset, startWhoisStandIn, type WhoisStandIn } from "../src/whois-stand-in.ts";

async function failure(p: Promise<unknown>): Promise<IrrError> {
  try {
    await p;
  } catch (e) {
    if (isIrrError(e)) return e;
    throw e;
  }
  throw new Error("expected an IrrError, got a result");
}

/** bgpq4 processes this test worker started and that are still there. */
function bgpq4Children(): string[] {
  const ps = spawnSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
  return ps.stdout.split("\n").filter((line) => line.includes("bgpq4"));
}

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const hasBgpq4 = requireSystem("bgpq4", hasCommand("bgpq4"));

// The fixtures use documentation ASNs, which bgpq4 drops as private unless told otherwise.
const lab = (irr: WhoisStandIn, extra: Partial<Bgpq4Options> = {}): Bgpq4Options => ({
  host: irr.host,
  port: irr.port,
  allowPrivateAsns: true,
  ...extra,
});

describe.skipIf(!hasBgpq4)("bgpq4 against the IRRd stand-in", () => {
  describe.each([
    { server: "an IRRd 4 server (bgpq4 uses !a)", aQueries: true },
    { server: "an older IRRd without !a (bgpq4 uses !i and !g)", aQueries: false },
  ])("with $server", ({ aQueries }) => {
    let irr: WhoisStandIn;
    beforeAll(async () => {
      irr = await startWhoisStandIn({ rpsl: DEMO_RPSL, aQueries });
    });
    afterAll(() => irr.stop());

    it("expands nested as-sets into exactly the member's v4 and v6 routes, canonical, de-duplicated and sorted", async () => {
      const r = await expandPrefixes("AS-EXAMPLE", lab(irr));
      expect(r.asSet).toBe("AS-EXAMPLE");
      // 192.0.2.128/25 and 2001:db8:ff00::/56 are longer than the policy's /24 and /48.
      expect(r.ipv4).toEqual(["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]);
      expect(r.ipv6).toEqual(["2001:db8::/32", "2001:db8:1::/48"]);
      expect(r.sources).toEqual([]);
      expect(r.bytes).toBeGreaterThan(0);
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
    });

    it("keeps routes up to the configured max length per family", async () => {
      const r = await expandPrefixes("AS-EXAMPLE", lab(irr, { maxLength: { ipv4: 25, ipv6: 56 } }));
      expect(r.ipv4).toEqual(["192.0.2.0/24", "192.0.2.128/25", "198.51.100.0/24", "203.0.113.0/24"]);
      expect(r.ipv6).toEqual(["2001:db8::/32", "2001:db8:1::/48", "2001:db8:ff00::/56"]);
    });

    it("expands a single ASN to its own route objects", async () => {
      const r = await expandPrefixes("AS64501", lab(irr));
      expect(r).toMatchObject({ asSet: "AS64501", ipv4: ["203.0.113.0/24"], ipv6: ["2001:db8::/32"] });
    });

    it("expands hierarchical set names, case-insensitively", async () => {
      const r = await expandPrefixes("as64500:as-hierarchical", lab(irr));
      expect(r).toMatchObject({ asSet: "AS64500:AS-HIERARCHICAL", ipv4: [], ipv6: ["2001:db8:2::/48"] });
    });

    it("refuses an as-set the IRR does not have (irr_as_set_not_found, not transient) rather than allowing nothing", async () => {
      const e = await failure(expandPrefixes("AS-EXAMPLE-TYPO", lab(irr)));
      expect(e.code).toBe("irr_as_set_not_found");
      expect(e.transient).toBe(false);
      expect(e.details).toMatchObject({ asSet: "AS-EXAMPLE-TYPO" });
    });

    it("returns empty lists for a set that exists but has no members, and an ASN without routes", async () => {
      expect(await expandPrefixes("AS-EXAMPLE-EMPTY", lab(irr))).toMatchObject({ ipv4: [], ipv6: [] });
      expect(await expandPrefixes("AS64510", lab(irr))).toMatchObject({ ipv4: [], ipv6: [] });
    });

    it("lists the origin ASNs of a set with one recursive query and no route lookups", async () => {
      const before = irr.queries.length;
      const r = await expandOriginAsns("AS-EXAMPLE", lab(irr));
      expect(r).toMatchObject({ asSet: "AS-EXAMPLE", asns: [64500, 64501] });
      const sent = irr.queries.slice(before);
      expect(sent).toContain("!iAS-EXAMPLE,1");
      expect(sent.filter((q) => /^!(a[46]|g|6)/.test(q))).toEqual([]);
      expect((await expandOriginAsns("AS64500", lab(irr))).asns).toEqual([64500]);
      expect((await failure(expandOriginAsns("AS-NOPE", lab(irr)))).code).toBe("irr_as_set_not_found");
    });

    it("expands a 10,000-prefix as-set exactly", async () => {
      const big = generateLargeDataset({ asSet: "AS-BIG", ipv4: 8_000, ipv6: 2_000, asns: 50 });
      const server = await startWhoisStandIn({ rpsl: big.rpsl, aQueries });
      try {
        const r = await expandPrefixes("AS-BIG", lab(server));
        expect(r.ipv4).toEqual(big.ipv4);
        expect(r.ipv6).toEqual(big.ipv6);
      } finally {
        await server.stop();
      }
    });
  });

  describe("what bgpq4 asks the server", () => {
    it("probes for !a, then asks for both families of the set when the server has it", async () => {
      const irr = await startWhoisStandIn({ rpsl: DEMO_RPSL });
      try {
        await expandPrefixes("AS-EXAMPLE", lab(irr));
        expect(irr.queries).toEqual(
          expect.arrayContaining(["!!", "!a", "!s-lc", "!a4AS-EXAMPLE", "!a6AS-EXAMPLE", "!q"]),
        );
        expect(irr.queries.some((q) => q.startsWith("!nbgpq4"))).toBe(true);
      } finally {
        await irr.stop();
      }
    });

    it("falls back to a recursive !i and one !g / !6 per origin ASN without it", async () => {
      const irr = await startWhoisStandIn({ rpsl: DEMO_RPSL, aQueries: false });
      try {
        await expandPrefixes("AS-EXAMPLE", lab(irr));
        expect(irr.queries).toEqual(
          expect.arrayContaining(["!iAS-EXAMPLE,1", "!gas64500", "!gas64501", "!6as64500", "!6as64501"]),
        );
      } finally {
        await irr.stop();
      }
    });
  });

  describe("sources", () => {
    let irr: WhoisStandIn;
    beforeAll(async () => {
      irr = await startWhoisStandIn({ rpsl: DEMO_RPSL });
    });
    afterAll(() => irr.stop());

    it("passes the configured sources to the server, canonical and in priority order", async () => {
      const r = await expandPrefixes("AS-EXAMPLE", lab(irr, { sources: ["ripe", "TEST", "RIPE"] }));
      expect(r.sources).toEqual(["RIPE", "TEST"]);
      expect(irr.sourceSelections).toContainEqual(["RIPE", "TEST"]);
    });

    it("only sees objects in those sources", async () => {
      const onlyTest = await failure(expandPrefixes("AS-ONLY-IN-RIPE", lab(irr, { sources: ["TEST"] })));
      expect(onlyTest.code).toBe("irr_as_set_not_found");
      const ripe = await expandPrefixes("AS-ONLY-IN-RIPE", lab(irr, { sources: ["RIPE"] }));
      expect(ripe.ipv6).toEqual(["2001:db8:3::/48"]);
    });

    it("takes a source-prefixed set from that source, while its routes still come from the configured sources", async () => {
      const before = irr.queries.length;
      const r = await expandPrefixes("RIPE::AS-ONLY-IN-RIPE", lab(irr, { sources: ["TEST"] }));
      expect(irr.queries.slice(before)).toEqual(
        expect.arrayContaining(["!sRIPE", "!iAS-ONLY-IN-RIPE", "!sTEST"]),
      );
      // AS64503's route6 object is in RIPE only, and routes are looked up in TEST.
      expect(r).toMatchObject({ asSet: "RIPE::AS-ONLY-IN-RIPE", ipv4: [], ipv6: [] });
      expect((await expandPrefixes("RIPE::AS-ONLY-IN-RIPE", lab(irr))).ipv6).toEqual(["2001:db8:3::/48"]);
      expect((await failure(expandPrefixes("TEST::AS-ONLY-IN-RIPE", lab(irr)))).code).toBe(
        "irr_as_set_not_found",
      );
    });

    it("fails on a source the server does not serve (irr_invalid_source, not transient)", async () => {
      const e = await failure(expandPrefixes("AS-EXAMPLE", lab(irr, { sources: ["NOSUCHDB"] })));
      expect(e.code).toBe("irr_invalid_source");
      expect(e.transient).toBe(false);
    });
  });

  describe("private and documentation ASNs", () => {
    let irr: WhoisStandIn;
    let old: WhoisStandIn;
    beforeAll(async () => {
      irr = await startWhoisStandIn({ rpsl: DEMO_RPSL });
      old = await startWhoisStandIn({ rpsl: DEMO_RPSL, aQueries: false });
    });
    afterAll(() => Promise.all([irr.stop(), old.stop()]));

    it("are dropped from an origin list by default, as bgpq4 does", async () => {
      expect((await expandOriginAsns("AS-MIXED", { host: irr.host, port: irr.port })).asns).toEqual([
        4_199_999_999,
      ]);
    });

    it("have their routes dropped by default only where bgpq4 sees the origins (servers without !a)", async () => {
      expect((await expandPrefixes("AS-MIXED", { host: old.host, port: old.port })).ipv6).toEqual([
        "2001:db8:4::/48",
      ]);
      // With !a the server expands the set itself: bgpq4 never learns the origins, so it cannot
      // drop AS64500's route. The route server's private-ASN-in-path check still rejects them.
      expect((await expandPrefixes("AS-MIXED", { host: irr.host, port: irr.port })).ipv6).toEqual([
        "2001:db8:1::/48",
        "2001:db8:4::/48",
      ]);
    });

    it("are refused as the member's own ASN by default, instead of bgpq4's silent empty list", async () => {
      const before = irr.connections;
      const e = await failure(expandPrefixes("AS64500", { host: irr.host, port: irr.port }));
      expect(e.code).toBe("irr_private_asn");
      expect(irr.connections).toBe(before);
    });
  });

  describe("limits", () => {
    let irr: WhoisStandIn;
    const big = generateLargeDataset({ asSet: "AS-LIMITS", ipv4: 2_000, ipv6: 0, asns: 20 });
    beforeAll(async () => {
      irr = await startWhoisStandIn({ rpsl: big.rpsl });
    });
    afterEach(() => irr.setFault(null));
    afterAll(() => irr.stop());

    it("kills bgpq4 when the server stalls past the time limit (irr_timeout, transient)", async () => {
      irr.setFault({ match: /^!a[46]/, kind: "stall" });
      const started = Date.now();
      const e = await failure(expandPrefixes("AS-LIMITS", lab(irr, { timeoutMs: 1_000 })));
      const elapsed = Date.now() - started;
      expect(e.code).toBe("irr_timeout");
      expect(e.transient).toBe(true);
      expect(elapsed).toBeGreaterThanOrEqual(950);
      expect(elapsed).toBeLessThan(5_000);
      expect(bgpq4Children()).toEqual([]);
    });

    it("kills bgpq4 when its output passes the byte limit (irr_too_large, not transient)", async () => {
      const e = await failure(expandPrefixes("AS-LIMITS", lab(irr, { maxBytes: 10_000 })));
      expect(e.code).toBe("irr_too_large");
      expect(e.transient).toBe(false);
      expect(e.details).toMatchObject({ limit: 10_000 });
      expect(bgpq4Children()).toEqual([]);
    });

    it("refuses more prefixes in a family than the prefix limit (irr_too_many_prefixes)", async () => {
      const e = await failure(expandPrefixes("AS-LIMITS", lab(irr, { maxPrefixes: 500 })));
      expect(e.code).toBe("irr_too_many_prefixes");
      expect(e.transient).toBe(false);
      expect(e.details).toMatchObject({ family: "ipv4", count: 2_000, limit: 500 });
    });

    it("stops when the caller aborts (irr_aborted)", async () => {
      irr.setFault({ match: /^!a[46]/, kind: "stall" });
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 200);
      const e = await failure(expandPrefixes("AS-LIMITS", { ...lab(irr), signal: abort.signal }));
      expect(e.code).toBe("irr_aborted");
      expect(bgpq4Children()).toEqual([]);
    });
  });

  describe("server failures", () => {
    let irr: WhoisStandIn;
    beforeAll(async () => {
      irr = await startWhoisStandIn({ rpsl: DEMO_RPSL });
    });
    afterEach(() => irr.setFault(null));
    afterAll(() => irr.stop());

    it("an error answer is a transient failure, not an empty list (bgpq4 itself exits 0 on it)", async () => {
      irr.setFault({ match: /^!a4/, kind: "error", message: "database is being reloaded" });
      const e = await failure(expandPrefixes("AS-EXAMPLE", lab(irr)));
      expect(e.code).toBe("irr_query_failed");
      expect(e.transient).toBe(true);
      expect(e.details.errors).toEqual([expect.stringContaining("F database is being reloaded")]);
    });

    it("a connection dropped mid-answer is irr_unreachable, transient", async () => {
      irr.setFault({ match: /^!a6/, kind: "drop" });
      const e = await failure(expandPrefixes("AS-EXAMPLE", lab(irr)));
      expect(e.code).toBe("irr_unreachable");
      expect(e.transient).toBe(true);
    });

    it("a server that does not listen is irr_unreachable, transient", async () => {
      const e = await failure(expandPrefixes("AS-EXAMPLE", { host: "127.0.0.1", port: await closedPort() }));
      expect(e.code).toBe("irr_unreachable");
      expect(e.transient).toBe(true);
    });
  });
});

describe("refused before bgpq4 runs", () => {
  // A binary that cannot exist: reaching spawn would fail with irr_bgpq4_missing instead.
  const nowhere = { host: "127.0.0.1", port: 43, bgpq4Path: "/nonexistent/bgpq4", allowPrivateAsns: true };

  it.each([
    "",
    "AS-",
    "FOO",
    "RS-EXAMPLE",
    "AS-FOO;!q",
    "AS-FOO BAR",
    "AS-FOO\n!gas64500",
    "-hevil.example",
    "AS1.5",
    "AS4294967296",
    "AS0",
    "AS23456",
    "AS064500",
    "RIPE::AS64500",
    "RI PE::AS-FOO",
    "AS64500:AS64501",
    "AS-FOO-",
    `AS-${"X".repeat(300)}`,
  ])("%j is not an ASN or as-set name (irr_invalid_name)", async (name) => {
    const e = await failure(expandPrefixes(name, nowhere));
    expect(e.code).toBe("irr_invalid_name");
    expect(e.transient).toBe(false);
    expect((await failure(expandOriginAsns(name, nowhere))).code).toBe("irr_invalid_name");
  });

  it.each([
    ["AS-EXAMPLE", "AS-EXAMPLE"],
    ["as-example", "AS-EXAMPLE"],
    ["AS64500", "AS64500"],
    ["AS4200000000", "AS4200000000"],
    ["AS64500:AS-CUSTOMERS", "AS64500:AS-CUSTOMERS"],
    ["AS-EXAMPLE:AS-EU:AS64500", "AS-EXAMPLE:AS-EU:AS64500"],
    ["ripe::as-foo", "RIPE::AS-FOO"],
    ["RIPE-NONAUTH::AS-FOO_BAR", "RIPE-NONAUTH::AS-FOO_BAR"],
  ])("%j is accepted as %j", (name, canonical) => {
    expect(parseIrrTarget(name).name).toBe(canonical);
  });

  it("bad options are refused (irr_invalid_options)", async () => {
    const base = { host: "127.0.0.1", port: 43, bgpq4Path: "/nonexistent/bgpq4" };
    for (const bad of [
      { ...base, host: "::1" },
      { ...base, host: "irr.example -S x" },
      { ...base, port: 0 },
      { ...base, timeoutMs: 0 },
      { ...base, sources: ["RIPE,RADB"] },
      { ...base, maxLength: { ipv4: 33 } },
    ]) {
      expect((await failure(expandPrefixes("AS-EXAMPLE", bad))).code).toBe("irr_invalid_options");
    }
  });

  it("a valid name does reach spawn (so the refusals above are not spawn failures)", async () => {
    const e = await failure(expandPrefixes("AS-EXAMPLE", nowhere));
    expect(e.code).toBe("irr_bgpq4_missing");
  });
});
