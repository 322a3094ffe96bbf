import { beforeAll, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { seedUser } from "../../../test/support/users.ts";
import { allowedNetworks, userAsns } from "../src/index.ts";

describe("network access", () => {
  let stack: TestStack;
  const ids = ["8056c2e21c000001", "8056c2e21c000002", "8056c2e21c000003"];
  beforeAll(async () => {
    stack = await testStack();
    const at = new Date().toISOString();
    for (const [i, networkId] of ids.entries()) {
      await stack.data.entities.ixNetwork
        .create({
          networkId,
          suffix: networkId.slice(10),
          name: `n${i}`,
          active: i !== 2,
          createdAt: at,
          updatedAt: at,
        })
        .go();
    }
  });

  it("lets a user without access rows request every active network", async () => {
    const user = await seedUser(stack.data);
    expect((await allowedNetworks(stack.data, user.userId)).map((n) => n.networkId)).toEqual(ids.slice(0, 2));
  });

  it("limits a user with access rows to those networks, and only while they are active", async () => {
    const user = await seedUser(stack.data, { networks: [ids[1]!, ids[2]!] });
    expect((await allowedNetworks(stack.data, user.userId)).map((n) => n.networkId)).toEqual([ids[1]]);
  });

  it("lists a user's ASNs lowest first", async () => {
    const user = await seedUser(stack.data, {
      asns: [
        { asn: 64501, name: "B" },
        { asn: 64500, name: "A" },
      ],
    });
    expect(await userAsns(stack.data, user.userId)).toEqual([
      { asn: 64500, name: "A", perms: undefined, source: "local" },
      { asn: 64501, name: "B", perms: undefined, source: "local" },
    ]);
  });
});
