import { networkConfigSchema } from "@ztix/core";
import { describe, expect, it } from "vitest";
import { asnEmbeddedIpv6, ipv4Candidates, ipv4Pool, ipv6Candidates, sequentialIpv6 } from "../src/plan.ts";
import { lan } from "./support/state.ts";

describe("the IPv6 plan", () => {
  it("embeds the ASN's decimal digits in the IX prefix", () => {
    expect(asnEmbeddedIpv6("2001:db8:1::/64", 64500)).toBe("2001:db8:1::6:4500:1");
    expect(asnEmbeddedIpv6("2001:db8:1::/64", 64500, 2)).toBe("2001:db8:1::6:4500:2");
    expect(asnEmbeddedIpv6("2001:db8:1::/64", 4200000001)).toBe("2001:db8:1:0:42:0:1:1");
  });

  it("refuses a prefix too long to embed the ASN", () => {
    expect(() => asnEmbeddedIpv6("2001:db8:1::/112", 64500)).toThrow(/too long/);
  });

  it("gives the sequential scheme the IPv4 host index", () => {
    expect(sequentialIpv6("2001:db8:1::/64", "192.0.2.0/24", "192.0.2.10")).toBe("2001:db8:1::a");
  });

  it("offers a holder its ASN's addresses host 1 upwards, or exactly one sequential address", () => {
    const member = { asn: 64500, ipv4: "192.0.2.10", ipv4Prefix: "192.0.2.0/24" };
    const embedded = [...ipv6Candidates({ prefix: "2001:db8:1::/64", scheme: "asn_embedded" }, member)];
    expect(embedded.slice(0, 2)).toEqual(["2001:db8:1::6:4500:1", "2001:db8:1::6:4500:2"]);
    expect(embedded).toHaveLength(255);
    expect([...ipv6Candidates({ prefix: "2001:db8:1::/64", scheme: "sequential" }, member)]).toEqual([
      "2001:db8:1::a",
    ]);
  });
});

describe("the IPv4 pool", () => {
  it("skips reserved addresses and the prefix's network and broadcast addresses", () => {
    const wide = networkConfigSchema.parse({
      suffix: "000002",
      name: "x",
      ipv4: { prefix: "10.0.0.0/30", pool_start: "10.0.0.0", pool_end: "10.0.0.3" },
    });
    expect([...ipv4Candidates(wide.ipv4)]).toEqual(["10.0.0.1", "10.0.0.2"]);
    expect(ipv4Pool(wide.ipv4).capacity).toBe(2);
    const plan = lan({ reserved: ["192.0.2.11"] }).ipv4;
    expect([...ipv4Candidates(plan)].slice(0, 2)).toEqual(["192.0.2.10", "192.0.2.12"]);
  });

  it("counts its capacity and finds the next candidate from any address without listing the pool", () => {
    const pool = ipv4Pool(
      lan({ pool_start: "192.0.2.0", pool_end: "192.0.2.255", reserved: ["192.0.2.1"] }).ipv4,
    );
    expect(pool.capacity).toBe(253);
    expect(pool.firstCandidateFrom(0)).toBe(0xc0000202);
    expect(pool.firstCandidateFrom(0xc0000201)).toBe(0xc0000202);
    expect(pool.firstCandidateFrom(0xc00002ff)).toBeNull();
  });

  it("gives every change of the pool definition a new fingerprint, and the same definition the same one", () => {
    const base = lan({ pool_end: "192.0.2.20" }).ipv4;
    const fp = (p: typeof base) => ipv4Pool(p).fingerprint;
    expect(fp(lan({ pool_end: "192.0.2.20" }).ipv4)).toBe(fp(base));
    expect(fp({ ...base, pool_end: "192.0.2.21" })).not.toBe(fp(base));
    expect(fp({ ...base, pool_start: "192.0.2.11" })).not.toBe(fp(base));
    expect(fp({ ...base, reserved: ["192.0.2.15"] })).not.toBe(fp(base));
    // A reserved address outside the range changes nothing members can get.
    expect(fp({ ...base, reserved: ["192.0.2.200"] })).toBe(fp(base));
  });
});
