import { ipv4ToInt, isAppError } from "@ztix/core";
import { beforeAll, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { allocateMemberAddresses, ipv4Rank, releaseAddresses } from "../src/index.ts";
import { expectConsistent, holder, lan, newNetworkId, storedState } from "./support/state.ts";

let stack: TestStack;
beforeAll(async () => {
  stack = await testStack();
});

const plan = lan({}, { prefix: "2001:db8:1::/64", scheme: "asn_embedded" });

describe("releasing addresses", () => {
  it("returns what it released, and gives the released IPv4 address to the next new member before any unused one", async () => {
    const net = newNetworkId();
    for (let n = 1; n <= 3; n++) await allocateMemberAddresses(stack.data, plan, holder(net, n));
    expect(await releaseAddresses(stack.data, holder(net, 2))).toEqual([
      { family: "ipv4", ip: "192.0.2.11" },
      { family: "ipv6", ip: "2001:db8:1::6:4502:1" },
    ]);
    const s = await expectConsistent(stack.data, net);
    expect(s.free.map((f) => f.ip)).toEqual(["192.0.2.11"]);
    expect((await allocateMemberAddresses(stack.data, plan, holder(net, 4))).ipv4).toBe("192.0.2.11");
    expect((await allocateMemberAddresses(stack.data, plan, holder(net, 5))).ipv4).toBe("192.0.2.13");
    expect((await expectConsistent(stack.data, net)).free).toEqual([]);
  });

  it("reuses the lowest released address first", async () => {
    const net = newNetworkId();
    for (let n = 1; n <= 5; n++) await allocateMemberAddresses(stack.data, plan, holder(net, n));
    await releaseAddresses(stack.data, holder(net, 4));
    await releaseAddresses(stack.data, holder(net, 2));
    expect((await allocateMemberAddresses(stack.data, plan, holder(net, 6))).ipv4).toBe("192.0.2.11");
    expect((await allocateMemberAddresses(stack.data, plan, holder(net, 7))).ipv4).toBe("192.0.2.13");
  });

  it("is harmless when repeated, even concurrently: the addresses are freed and counted once", async () => {
    const net = newNetworkId();
    await allocateMemberAddresses(stack.data, plan, holder(net, 1));
    await allocateMemberAddresses(stack.data, plan, holder(net, 2));
    const results = await Promise.all(
      Array.from({ length: 4 }, () => releaseAddresses(stack.data, holder(net, 1))),
    );
    expect(results.filter((r) => r.length > 0)).toHaveLength(1);
    expect(results.filter((r) => r.length === 0)).toHaveLength(3);
    expect(await releaseAddresses(stack.data, holder(net, 1))).toEqual([]);
    const s = await expectConsistent(stack.data, net);
    expect(s.pool?.allocated).toBe(1);
    expect(s.free.map((f) => f.ip)).toEqual(["192.0.2.10"]);
  });

  it("releases nothing for a request that no longer owns the holder's addresses", async () => {
    const net = newNetworkId();
    await allocateMemberAddresses(stack.data, plan, holder(net, 1, "req-a"));
    expect(await releaseAddresses(stack.data, holder(net, 1, "req-b"))).toEqual([]);
    expect((await expectConsistent(stack.data, net)).allocations).toHaveLength(2);
  });
});

describe("crash safety", () => {
  it("never shows an allocation without its claim, a claim without its allocation, or a held address on the free list, while members come and go", async () => {
    const net = newNetworkId();
    // Four addresses for six holders, so releases and allocations keep contending for them.
    const tight = lan({ pool_start: "192.0.2.10", pool_end: "192.0.2.13" });
    const holders = Array.from({ length: 6 }, (_, i) => holder(net, i + 1));
    const violations: string[] = [];
    let samples = 0;
    let churning = true;

    // Each sample reads related items in one TransactGetItems, a serializable snapshot: if a
    // release or an allocation ever wrote them in two steps, some sample would see the middle.
    const sample = async () => {
      for (const h of holders) {
        const pair = await stack.data.transaction
          .get(({ addressClaim, addressAllocation, addressPoolFree }) => [
            addressClaim.get({ networkId: net, asn: h.asn, nodeId: h.nodeId, family: "ipv4" }).commit(),
            ...["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13"].flatMap((ip) => [
              addressAllocation.get({ networkId: net, family: "ipv4", ip }).commit(),
              addressPoolFree.get({ networkId: net, family: "ipv4", rank: ipv4Rank(ipv4ToInt(ip)) }).commit(),
            ]),
          ])
          .go();
        if (pair.canceled) continue; // a concurrent write to one of the items: sample again
        samples++;
        const [claim, ...rest] = pair.data.map((r) => r.item as Record<string, unknown> | null);
        const allocations = rest.filter((_, i) => i % 2 === 0);
        const free = rest.filter((_, i) => i % 2 === 1);
        const mine = allocations.filter((a) => a?.asn === h.asn && a?.nodeId === h.nodeId);
        if (claim && (mine.length !== 1 || mine[0]?.ip !== claim.ip))
          violations.push(`claim without allocation ${claim.ip}`);
        if (!claim && mine.length > 0) violations.push(`allocation ${mine[0]?.ip} without claim`);
        for (const [i, a] of allocations.entries())
          if (a && free[i]) violations.push(`held ${a.ip} listed free`);
      }
    };
    const checker = (async () => {
      while (churning) await sample();
    })();
    await Promise.all(
      holders.map(async (h) => {
        for (let round = 0; round < 8; round++) {
          try {
            await allocateMemberAddresses(stack.data, tight, h);
          } catch (e) {
            if (!(isAppError(e) && e.code === "address_pool_exhausted")) throw e;
          }
          await releaseAddresses(stack.data, h);
        }
      }),
    );
    churning = false;
    await checker;
    expect(violations).toEqual([]);
    expect(samples).toBeGreaterThan(10);
    const s = await expectConsistent(stack.data, net);
    // All released in the end: every pool address is back on the free list, once.
    expect(s.allocations).toEqual([]);
    expect(s.free.map((f) => f.ip).sort()).toEqual(["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13"]);
    expect((await storedState(stack.data, net)).pool?.allocated).toBe(0);
  });
});
