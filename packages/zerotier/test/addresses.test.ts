import { networkConfigSchema } from "@ztix/core";
import { beforeAll, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { allocateAddress } from "../src/addresses/allocate.ts";
import { allocateMemberAddresses } from "../src/addresses/member-addresses.ts";
import { asnEmbeddedIpv6, ipv4Candidates, sequentialIpv6 } from "../src/addresses/plan.ts";

const lan = networkConfigSchema.parse({
  suffix: "000001",
  name: "LAN",
  ipv4: {
    prefix: "192.0.2.0/24",
    pool_start: "192.0.2.10",
    pool_end: "192.0.2.250",
    reserved: ["192.0.2.11"],
  },
  ipv6: { prefix: "2001:db8:1::/64" },
});

describe("address plan", () => {
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

  it("skips reserved addresses and the prefix's network and broadcast addresses", () => {
    const wide = networkConfigSchema.parse({
      suffix: "000002",
      name: "x",
      ipv4: { prefix: "10.0.0.0/30", pool_start: "10.0.0.0", pool_end: "10.0.0.3" },
    });
    expect([...ipv4Candidates(wide.ipv4)]).toEqual(["10.0.0.1", "10.0.0.2"]);
    expect([...ipv4Candidates(lan.ipv4)].slice(0, 2)).toEqual(["192.0.2.10", "192.0.2.12"]);
  });
});

describe("address allocation in DynamoDB", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await testStack();
  });
  const member = (n: number) => ({
    networkId: "aaaaaaaaaa000001",
    asn: 64500 + n,
    nodeId: `00000000${String(n).padStart(2, "0")}`,
    requestId: `req-${n}`,
  });

  it("gives the same (asn, node) the same addresses on every retry", async () => {
    const first = await allocateMemberAddresses(stack.data, lan, member(1));
    const again = await allocateMemberAddresses(stack.data, lan, { ...member(1), requestId: "req-1-retry" });
    expect(first).toEqual({ ipv4: "192.0.2.10", ipv6: "2001:db8:1::6:4501:1" });
    expect(again).toEqual(first);
  });

  it("gives a second node of the same ASN the next ASN-embedded address", async () => {
    const other = await allocateMemberAddresses(stack.data, lan, { ...member(1), nodeId: "00000000aa" });
    expect(other.ipv6).toBe("2001:db8:1::6:4501:2");
    expect(other.ipv4).not.toBe("192.0.2.10");
  });

  it("never gives two concurrent allocations the same address", async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => allocateMemberAddresses(stack.data, lan, member(20 + i))),
    );
    const ips = results.map((r) => r.ipv4);
    expect(new Set(ips).size).toBe(12);
    const stored = await stack.data.entities.addressAllocation.query
      .byNetwork({ networkId: "aaaaaaaaaa000001", family: "ipv4" })
      .go({ pages: "all" });
    expect(new Set(stored.data.map((a) => a.ip)).size).toBe(stored.data.length);
  });

  it("gives one holder racing itself a single address", async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => allocateMemberAddresses(stack.data, lan, member(40))),
    );
    expect(new Set(results.map((r) => r.ipv4)).size).toBe(1);
    const stored = await stack.data.entities.addressAllocation.query
      .byNetwork({ networkId: "aaaaaaaaaa000001", family: "ipv4" })
      .go({ pages: "all" });
    expect(stored.data.filter((a) => a.asn === 64540)).toHaveLength(1);
  });

  it("fails with address_pool_exhausted when the pool is used up", async () => {
    const tiny = ["10.9.0.1", "10.9.0.2"];
    const alloc = (n: number) =>
      allocateAddress(stack.data, {
        ...member(n),
        networkId: "bbbbbbbbbb000001",
        family: "ipv4",
        candidates: () => tiny,
      });
    await alloc(1);
    await alloc(2);
    await expect(alloc(3)).rejects.toMatchObject({ code: "address_pool_exhausted" });
  });
});
