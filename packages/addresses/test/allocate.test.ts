import { isAppError } from "@ztix/core";
import { beforeAll, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import {
  allocateIpv4Address,
  allocateMemberAddresses,
  findClaim,
  poolHasRoom,
  releaseAddresses,
} from "../src/index.ts";
import { expectConsistent, holder, lan, newNetworkId, storedState } from "./support/state.ts";

let stack: TestStack;
beforeAll(async () => {
  stack = await testStack();
});

const withIpv6 = lan({ reserved: ["192.0.2.11"] }, { prefix: "2001:db8:1::/64", scheme: "asn_embedded" });

describe("allocating addresses", () => {
  it("gives a fresh network's members the lowest free addresses in order, skipping reserved ones", async () => {
    const net = newNetworkId();
    const got = [];
    for (let n = 1; n <= 4; n++)
      got.push((await allocateMemberAddresses(stack.data, withIpv6, holder(net, n))).ipv4);
    expect(got).toEqual(["192.0.2.10", "192.0.2.12", "192.0.2.13", "192.0.2.14"]);
    await expectConsistent(stack.data, net);
  });

  it("gives the same (asn, node) the same addresses on every retry", async () => {
    const net = newNetworkId();
    const first = await allocateMemberAddresses(stack.data, withIpv6, holder(net, 1));
    const again = await allocateMemberAddresses(stack.data, withIpv6, holder(net, 1));
    expect(first).toEqual({ ipv4: "192.0.2.10", ipv6: "2001:db8:1::6:4501:1" });
    expect(again).toEqual(first);
    const s = await expectConsistent(stack.data, net);
    expect(s.allocations).toHaveLength(2);
  });

  it("hands a holder's addresses over to its new request, so only that request's release frees them", async () => {
    const net = newNetworkId();
    const first = await allocateMemberAddresses(stack.data, withIpv6, holder(net, 1, "req-old"));
    const second = await allocateMemberAddresses(stack.data, withIpv6, holder(net, 1, "req-new"));
    expect(second).toEqual(first);
    const s = await expectConsistent(stack.data, net);
    expect(new Set([...s.allocations, ...s.claims].map((i) => i.requestId))).toEqual(new Set(["req-new"]));
    expect(await releaseAddresses(stack.data, holder(net, 1, "req-old"))).toEqual([]);
    expect(await findClaim(stack.data, { ...holder(net, 1), family: "ipv4" })).toBe(first.ipv4);
    expect(await releaseAddresses(stack.data, holder(net, 1, "req-new"))).toHaveLength(2);
  });

  it("never gives concurrent allocations for different holders the same address", async () => {
    const net = newNetworkId();
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        allocateMemberAddresses(stack.data, withIpv6, holder(net, 20 + i)),
      ),
    );
    const ips = results.map((r) => r.ipv4);
    expect(new Set(ips).size).toBe(16);
    // Nothing was released, so the sixteen are exactly the sixteen lowest candidates.
    const lowest = ["192.0.2.10", ...Array.from({ length: 15 }, (_, i) => `192.0.2.${12 + i}`)];
    expect([...ips].sort()).toEqual([...lowest].sort());
    const s = await expectConsistent(stack.data, net);
    for (const [i, r] of results.entries()) {
      const mine = s.allocations.find((a) => a.family === "ipv4" && a.ip === r.ipv4);
      expect(mine).toMatchObject({ asn: 64520 + i, nodeId: holder(net, 20 + i).nodeId });
    }
    expect(s.pool?.allocated).toBe(16);
  });

  it("gives one holder racing itself a single address", async () => {
    const net = newNetworkId();
    const results = await Promise.all(
      Array.from({ length: 6 }, () => allocateMemberAddresses(stack.data, withIpv6, holder(net, 40))),
    );
    expect(new Set(results.map((r) => r.ipv4)).size).toBe(1);
    expect(new Set(results.map((r) => r.ipv6)).size).toBe(1);
    const s = await expectConsistent(stack.data, net);
    expect(s.allocations).toHaveLength(2);
    expect(s.pool?.allocated).toBe(1);
  });

  it("fails with address_pool_exhausted (409) when a one-address pool is taken, and succeeds once it is released", async () => {
    const net = newNetworkId();
    const tiny = lan({ pool_start: "192.0.2.10", pool_end: "192.0.2.10" });
    expect(await poolHasRoom(stack.data, tiny, net)).toBe(true);
    expect(await allocateMemberAddresses(stack.data, tiny, holder(net, 1))).toEqual({ ipv4: "192.0.2.10" });
    expect(await poolHasRoom(stack.data, tiny, net)).toBe(false);
    const err = await allocateMemberAddresses(stack.data, tiny, holder(net, 2)).catch((e: unknown) => e);
    expect(isAppError(err) && { code: err.code, status: err.status }).toEqual({
      code: "address_pool_exhausted",
      status: 409,
    });
    // The holder already in keeps its address: exhaustion concerns new holders only.
    expect(await allocateMemberAddresses(stack.data, tiny, holder(net, 1))).toEqual({ ipv4: "192.0.2.10" });
    await releaseAddresses(stack.data, holder(net, 1));
    expect(await poolHasRoom(stack.data, tiny, net)).toBe(true);
    expect(await allocateMemberAddresses(stack.data, tiny, holder(net, 2))).toEqual({ ipv4: "192.0.2.10" });
    await expectConsistent(stack.data, net);
  });

  it("gives each of many concurrent holders of a small pool an address or address_pool_exhausted, never a shared one", async () => {
    const net = newNetworkId();
    const small = lan({ pool_start: "192.0.2.10", pool_end: "192.0.2.17" });
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => allocateIpv4Address(stack.data, small.ipv4, holder(net, i))),
    );
    const won = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const lost = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    expect(won.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `192.0.2.${10 + i}`));
    expect(lost.map((e) => isAppError(e) && e.code)).toEqual(Array(4).fill("address_pool_exhausted"));
    await expectConsistent(stack.data, net);
  });
});

describe("IPv6 schemes", () => {
  it("embeds the ASN and gives a second node of the same ASN the next host number", async () => {
    const net = newNetworkId();
    const first = await allocateMemberAddresses(stack.data, withIpv6, holder(net, 1));
    const other = await allocateMemberAddresses(stack.data, withIpv6, {
      ...holder(net, 1),
      nodeId: "00000000aa",
    });
    expect(first.ipv6).toBe("2001:db8:1::6:4501:1");
    expect(other.ipv6).toBe("2001:db8:1::6:4501:2");
    expect(other.ipv4).not.toBe(first.ipv4);
  });

  it("gives the sequential scheme the IPv4 address's host index, reused with the IPv4 address", async () => {
    const net = newNetworkId();
    const seq = lan({}, { prefix: "2001:db8:2::/64", scheme: "sequential" });
    expect(await allocateMemberAddresses(stack.data, seq, holder(net, 1))).toEqual({
      ipv4: "192.0.2.10",
      ipv6: "2001:db8:2::a",
    });
    expect((await allocateMemberAddresses(stack.data, seq, holder(net, 2))).ipv6).toBe("2001:db8:2::b");
    await releaseAddresses(stack.data, holder(net, 1));
    expect(await allocateMemberAddresses(stack.data, seq, holder(net, 3))).toEqual({
      ipv4: "192.0.2.10",
      ipv6: "2001:db8:2::a",
    });
    const s = await expectConsistent(stack.data, net);
    expect(s.allocations.map((a) => a.ip).sort()).toEqual([
      "192.0.2.10",
      "192.0.2.11",
      "2001:db8:2::a",
      "2001:db8:2::b",
    ]);
  });
});

describe("the stored state", () => {
  it("keeps the pool's count exact while allocations and releases run concurrently", async () => {
    const net = newNetworkId();
    const plan = lan({ pool_start: "192.0.2.10", pool_end: "192.0.2.40" });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => allocateMemberAddresses(stack.data, plan, holder(net, i))),
    );
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => releaseAddresses(stack.data, holder(net, i))),
      ...Array.from({ length: 14 }, (_, i) =>
        allocateMemberAddresses(stack.data, plan, holder(net, 100 + i)),
      ),
    ]);
    const s = await expectConsistent(stack.data, net);
    expect(s.pool?.allocated).toBe(14);
    expect(s.allocations).toHaveLength(14);
    // Every address below `next` is either held or listed free: none was lost on the way.
    const held = s.allocations.map((a) => a.ip);
    const listed = s.free.map((f) => f.ip);
    expect(held.length + listed.length).toBe((s.pool?.next ?? 0) - 0xc000020a);
    expect(new Set([...held, ...listed]).size).toBe(held.length + listed.length);
    expect((await storedState(stack.data, net)).claims).toHaveLength(14);
  });
});
