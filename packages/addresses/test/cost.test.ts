import { beforeAll, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { allocateMemberAddresses, poolHasRoom, releaseAddresses } from "../src/index.ts";
import { FREE_WINDOW } from "../src/pool.ts";
import { expectConsistent, holder, lan, newNetworkId } from "./support/state.ts";

let stack: TestStack;
/** Items DynamoDB read for Queries (their ScannedCount): what a call really costs. */
let itemsRead = 0;
beforeAll(async () => {
  stack = await testStack();
  stack.dynamo.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      itemsRead += (out.output as { ScannedCount?: number }).ScannedCount ?? 0;
      return out;
    },
    { step: "initialize", name: "ztixItemsRead" },
  );
});

// A /16 peering LAN: room for the 300 members below and for thousands more.
const plan = lan(
  { prefix: "10.20.0.0/16", pool_start: "10.20.0.10", pool_end: "10.20.255.250" },
  { prefix: "2001:db8:1::/64", scheme: "asn_embedded" },
);

/** The DynamoDB calls, by command, that `fn` makes. */
async function callsOf(fn: () => Promise<unknown>) {
  stack.calls.reset();
  itemsRead = 0;
  await fn();
  return stack.calls.snapshot().byCommand;
}

// The steady-state price of a new member: its claims (Query), the IPv4 pool state and free
// list (Query), one transaction per family.
const NEW_MEMBER = { QueryCommand: 2, TransactWriteItemsCommand: 2 };

describe("what an allocation costs", () => {
  it("costs the same DynamoDB calls on a network holding 300 members as on an empty one", {
    timeout: 180_000,
  }, async () => {
    const busy = newNetworkId();
    for (let n = 0; n < 300; n++) await allocateMemberAddresses(stack.data, plan, holder(busy, n));
    const empty = newNetworkId();
    // An empty network that has had a member: its pool state exists, as on the busy one.
    await allocateMemberAddresses(stack.data, plan, holder(empty, 0));
    await releaseAddresses(stack.data, holder(empty, 0));

    expect(await callsOf(() => allocateMemberAddresses(stack.data, plan, holder(empty, 1)))).toEqual(
      NEW_MEMBER,
    );
    expect(await callsOf(() => allocateMemberAddresses(stack.data, plan, holder(busy, 300)))).toEqual(
      NEW_MEMBER,
    );
    // And no read that grows with the members: the only item read is the pool state (the
    // new holder has no claims, the free list is empty), however many addresses are held.
    expect(itemsRead).toBe(1);

    // With a long free list, taking from it costs the same too.
    for (let n = 0; n < 100; n++) await releaseAddresses(stack.data, holder(busy, n * 3));
    expect(await callsOf(() => allocateMemberAddresses(stack.data, plan, holder(busy, 301)))).toEqual(
      NEW_MEMBER,
    );
    expect(itemsRead).toBe(1 + FREE_WINDOW); // the pool state and one window of free entries
    expect(await callsOf(() => poolHasRoom(stack.data, plan, busy))).toEqual({ QueryCommand: 1 });
    const s = await expectConsistent(stack.data, busy);
    expect(s.pool?.allocated).toBe(202);
  });

  it("costs a brand-new network one Query and one PutItem more, once, to open its pool", async () => {
    const fresh = newNetworkId();
    expect(await callsOf(() => allocateMemberAddresses(stack.data, plan, holder(fresh, 1)))).toEqual({
      QueryCommand: 3,
      PutItemCommand: 1,
      TransactWriteItemsCommand: 2,
    });
    expect(await callsOf(() => allocateMemberAddresses(stack.data, plan, holder(fresh, 2)))).toEqual(
      NEW_MEMBER,
    );
  });

  it("costs a retry one Query and a release one Query and one TransactWrite, whatever the network's size", async () => {
    const net = newNetworkId();
    for (let n = 0; n < 20; n++) await allocateMemberAddresses(stack.data, plan, holder(net, n));
    expect(await callsOf(() => allocateMemberAddresses(stack.data, plan, holder(net, 7)))).toEqual({
      QueryCommand: 1,
    });
    expect(await callsOf(() => releaseAddresses(stack.data, holder(net, 7)))).toEqual({
      QueryCommand: 1,
      TransactWriteItemsCommand: 1,
    });
    expect(await callsOf(() => releaseAddresses(stack.data, holder(net, 7)))).toEqual({ QueryCommand: 1 });
    expect(await callsOf(() => poolHasRoom(stack.data, plan, net))).toEqual({ QueryCommand: 1 });
  });
});
