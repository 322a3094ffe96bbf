import { ipv4ToInt, isAppError } from "@ztix/core";
import type { DataService } from "@ztix/data";
import { beforeAll, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { allocateMemberAddresses, ipv4Rank, poolHasRoom, poolUsage, releaseAddresses } from "../src/index.ts";
import { expectConsistent, holder, lan, newNetworkId, storedState } from "./support/state.ts";

let stack: TestStack;
beforeAll(async () => {
  stack = await testStack();
});

const ipv4Of = async (config: ReturnType<typeof lan>, h: ReturnType<typeof holder>) =>
  (await allocateMemberAddresses(stack.data, config, h)).ipv4;
const exhaustedCode = (p: Promise<unknown>) =>
  p.then(
    () => "allocated",
    (e: unknown) => isAppError(e) && e.code,
  );

describe("a pool whose definition changes", () => {
  it("never hands out an address reserved since it was released, nor one reserved ahead of the next", async () => {
    const net = newNetworkId();
    const before = lan({});
    for (let n = 1; n <= 3; n++) await ipv4Of(before, holder(net, n)); // .10 .11 .12
    await releaseAddresses(stack.data, holder(net, 2));
    const reserved = lan({ reserved: ["192.0.2.11", "192.0.2.13"] });
    expect(await ipv4Of(reserved, holder(net, 4))).toBe("192.0.2.14");
    expect(await ipv4Of(reserved, holder(net, 5))).toBe("192.0.2.15");
    const s = await expectConsistent(stack.data, net);
    expect(s.free).toEqual([]); // the reserved .11 left the free list
  });

  it("gives out addresses freed by lifting a reservation once the rest of the pool is used", async () => {
    const net = newNetworkId();
    const narrow = lan({ pool_end: "192.0.2.14", reserved: ["192.0.2.11", "192.0.2.13"] });
    for (let n = 1; n <= 3; n++) await ipv4Of(narrow, holder(net, n)); // .10 .12 .14
    expect(await exhaustedCode(ipv4Of(narrow, holder(net, 4)))).toBe("address_pool_exhausted");
    const lifted = lan({ pool_end: "192.0.2.14" });
    expect(await poolUsage(stack.data, lifted, net)).toEqual({ hasRoom: true, allocated: 3, capacity: 5 });
    expect(await ipv4Of(lifted, holder(net, 4))).toBe("192.0.2.11");
    expect(await ipv4Of(lifted, holder(net, 5))).toBe("192.0.2.13");
    expect(await exhaustedCode(ipv4Of(lifted, holder(net, 6)))).toBe("address_pool_exhausted");
    expect(await poolHasRoom(stack.data, lifted, net)).toBe(false);
    await expectConsistent(stack.data, net);
  });

  it("keeps a shrunk pool's bounds: addresses beyond the new end are never reused, and come back when it grows", async () => {
    const net = newNetworkId();
    const wide = lan({ pool_end: "192.0.2.20" });
    for (let n = 1; n <= 5; n++) await ipv4Of(wide, holder(net, n)); // .10 … .14
    const shrunk = lan({ pool_end: "192.0.2.12" });
    await releaseAddresses(stack.data, holder(net, 5)); // .14, outside the shrunk pool
    expect(await poolUsage(stack.data, shrunk, net)).toEqual({ hasRoom: false, allocated: 4, capacity: 3 });
    expect(await exhaustedCode(ipv4Of(shrunk, holder(net, 6)))).toBe("address_pool_exhausted");
    await releaseAddresses(stack.data, holder(net, 2)); // .11, inside
    expect(await ipv4Of(shrunk, holder(net, 6))).toBe("192.0.2.11");

    const grown = lan({ pool_end: "192.0.2.16" });
    expect(await ipv4Of(grown, holder(net, 7))).toBe("192.0.2.15");
    expect(await ipv4Of(grown, holder(net, 8))).toBe("192.0.2.16");
    expect(await ipv4Of(grown, holder(net, 9))).toBe("192.0.2.14");
    expect(await exhaustedCode(ipv4Of(grown, holder(net, 10)))).toBe("address_pool_exhausted");
    await expectConsistent(stack.data, net);
  });

  it("starts at a raised pool_start and never goes below it", async () => {
    const net = newNetworkId();
    await ipv4Of(lan({}), holder(net, 1)); // .10
    await releaseAddresses(stack.data, holder(net, 1));
    const raised = lan({ pool_start: "192.0.2.100", pool_end: "192.0.2.101" });
    expect(await ipv4Of(raised, holder(net, 2))).toBe("192.0.2.100");
    expect(await ipv4Of(raised, holder(net, 3))).toBe("192.0.2.101");
    expect(await exhaustedCode(ipv4Of(raised, holder(net, 4)))).toBe("address_pool_exhausted");
  });
});

/** Allocation and claim items as the allocator before the pool state wrote them. */
async function seedOldAllocations(data: DataService, networkId: string, ips: string[]) {
  const createdAt = new Date().toISOString();
  for (const [i, ip] of ips.entries()) {
    const h = holder(networkId, 900 + i);
    const item = { ...h, family: "ipv4" as const, ip, createdAt };
    await data.transaction
      .write(({ addressAllocation, addressClaim }) => [
        addressAllocation.create(item).commit(),
        addressClaim.create(item).commit(),
      ])
      .go();
  }
}

describe("data the allocator did not write itself", () => {
  it("counts the existing allocations, continues above them, and fills their holes before giving up", async () => {
    const net = newNetworkId();
    const plan = lan({ pool_end: "192.0.2.15" });
    await seedOldAllocations(stack.data, net, ["192.0.2.10", "192.0.2.12", "192.0.2.13"]);
    expect(await poolUsage(stack.data, plan, net)).toEqual({ hasRoom: true, allocated: 3, capacity: 6 });
    expect(await ipv4Of(plan, holder(net, 1))).toBe("192.0.2.14");
    expect(await ipv4Of(plan, holder(net, 2))).toBe("192.0.2.15");
    expect(await ipv4Of(plan, holder(net, 3))).toBe("192.0.2.11");
    expect(await exhaustedCode(ipv4Of(plan, holder(net, 4)))).toBe("address_pool_exhausted");
    // An old holder leaves: its address returns through the free list, counted.
    expect(await releaseAddresses(stack.data, holder(net, 900))).toEqual([
      { family: "ipv4", ip: "192.0.2.10" },
    ]);
    expect(await ipv4Of(plan, holder(net, 4))).toBe("192.0.2.10");
    expect((await expectConsistent(stack.data, net)).pool?.allocated).toBe(6);
  });

  it("counts right when an old holder is released before anything is allocated", async () => {
    const net = newNetworkId();
    await seedOldAllocations(stack.data, net, ["192.0.2.10", "192.0.2.11"]);
    expect(await releaseAddresses(stack.data, holder(net, 901))).toEqual([
      { family: "ipv4", ip: "192.0.2.11" },
    ]);
    const s = await expectConsistent(stack.data, net);
    expect(s.pool?.allocated).toBe(1);
    expect(await ipv4Of(lan({}), holder(net, 1))).toBe("192.0.2.11");
  });

  it("drops a claim the old allocator left without its allocation, leaving the address's real holder alone", async () => {
    const net = newNetworkId();
    const plan = lan({});
    expect(await ipv4Of(plan, holder(net, 1))).toBe("192.0.2.10");
    const createdAt = new Date().toISOString();
    await stack.data.entities.addressClaim
      .create({ ...holder(net, 2), family: "ipv4", ip: "192.0.2.10", createdAt })
      .go();
    expect(await releaseAddresses(stack.data, holder(net, 2))).toEqual([]);
    const s = await expectConsistent(stack.data, net);
    expect(s.allocations).toMatchObject([{ ip: "192.0.2.10", asn: holder(net, 1).asn }]);
    expect(await ipv4Of(plan, holder(net, 2))).toBe("192.0.2.11");
  });

  it("steps over an address taken behind the pool's back (an old allocator still running during a deploy)", async () => {
    const net = newNetworkId();
    const plan = lan({});
    expect(await ipv4Of(plan, holder(net, 1))).toBe("192.0.2.10");
    await seedOldAllocations(stack.data, net, ["192.0.2.11"]);
    expect(await ipv4Of(plan, holder(net, 2))).toBe("192.0.2.12");
    const s = await storedState(stack.data, net);
    expect(s.pool?.next).toBe(ipv4ToInt("192.0.2.13"));
    // The count was kept by the allocator; the stray allocation is not in it.
    expect(s.pool?.allocated).toBe(2);
  });

  it("drops a free entry whose address is held instead of handing the address out twice", async () => {
    const net = newNetworkId();
    const plan = lan({});
    expect(await ipv4Of(plan, holder(net, 1))).toBe("192.0.2.10");
    await stack.data.entities.addressPoolFree
      .put({
        networkId: net,
        family: "ipv4",
        rank: ipv4Rank(ipv4ToInt("192.0.2.10")),
        ip: "192.0.2.10",
        releasedAt: "x",
      })
      .go();
    expect(await ipv4Of(plan, holder(net, 2))).toBe("192.0.2.11");
    expect((await expectConsistent(stack.data, net)).free).toEqual([]);
  });
});
