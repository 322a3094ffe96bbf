import { getRequest, routeServerMemberKey, transitionRequest } from "@ztix/data";
import { beforeAll, describe, expect, it } from "vitest";
import { testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { type Actors, actors, newRequestBody, seedNetworks, TEST_NETWORK_ID } from "./helpers/workflow.ts";

/**
 * What a member reads about its side of the peering: router snippets filled with its own
 * addresses, the route servers' and its limits; the network's MTU and prefix lengths on the
 * request; and, in its policy, the filters, route-server ASNs and the action communities.
 */

const ssh = {
  host: "127.0.0.1",
  user: "ztix",
  host_key_fingerprint: `SHA256:${"A".repeat(43)}`,
  private_key: { secret: "rs_key" },
};
const config = testConfig({
  route_servers: [
    {
      id: "rs2",
      asn: 64999,
      router_id: "192.0.2.2",
      peering_ipv4: "192.0.2.2",
      peering_ipv6: "2001:db8:100::2",
      ssh,
    },
    {
      id: "rs1",
      asn: 64999,
      router_id: "192.0.2.1",
      peering_ipv4: "192.0.2.1",
      peering_ipv6: "2001:db8:100::1",
      ssh,
    },
  ],
});
/** The same network, but its only route server peers over IPv4 alone. */
const v4Only = testConfig({
  route_servers: [{ id: "rs1", asn: 64999, router_id: "192.0.2.1", peering_ipv4: "192.0.2.1", ssh }],
});

let stack: TestStack;
let world: Actors;

beforeAll(async () => {
  stack = await testStack();
  await seedNetworks(stack.data);
  world = actors(stack, { config });
});

/** A request of a fresh operator taken to `status` (through the real transitions), with addresses. */
async function requestIn(
  status: "pending" | "provisioning" | "active" | "rejected",
  w: Actors = world,
  addresses: { ipv4?: string; ipv6?: string } = { ipv4: "192.0.2.10", ipv6: "2001:db8:100::6:4500:1" },
) {
  const op = await w.operator();
  const asn = op.asns[0]!;
  const made = await op.client.post("/api/v1/requests", newRequestBody(asn));
  expect(made.status).toBe(201);
  const id = made.body.request.request_id as string;
  const admin = await w.admin();
  if (status === "rejected") {
    expect((await admin.post(`/api/v1/admin/requests/${id}/reject`, { reason: "No." })).status).toBe(200);
  } else if (status !== "pending") {
    expect((await admin.post(`/api/v1/admin/requests/${id}/approve`)).status).toBe(200);
    const audit = { actorType: "system" as const, visibility: "operator" as const };
    let r = await transitionRequest(stack.data, (await getRequest(stack.data, id))!, "start", { audit });
    if (status === "active") r = await transitionRequest(stack.data, r, "complete", { audit });
  }
  const now = new Date().toISOString();
  await stack.data.entities.membership
    .create({
      requestId: id,
      networkId: TEST_NETWORK_ID,
      nodeId: made.body.request.node_id,
      asn,
      memberName: `AS${asn}`,
      ...addresses,
      authorized: true,
      createdAt: now,
      updatedAt: now,
    })
    .go();
  return { ...op, asn, id, admin, nodeId: made.body.request.node_id as string };
}

describe("router snippets of a membership", () => {
  it("gives an active member its snippets for every platform, filled with its addresses, the route servers and its limits", async () => {
    const { client, id, asn } = await requestIn("active");
    const res = await client.get(`/api/v1/requests/${id}/snippets`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      request_id: id,
      network: { zt_network_id: TEST_NETWORK_ID, name: "ZT-IX LAN", mtu: 2800 },
      member: { asn, ipv4: "192.0.2.10/24", ipv6: "2001:db8:100::6:4500:1/64" },
      // No PeeringDB record: the policy's defaults.
      limits: { ipv4: { limit: 100, source: "default" }, ipv6: { limit: 50, source: "default" } },
      route_servers: [
        { route_server_id: "rs2", asn: 64999, ipv4: "192.0.2.2", ipv6: "2001:db8:100::2" },
        { route_server_id: "rs1", asn: 64999, ipv4: "192.0.2.1", ipv6: "2001:db8:100::1" },
      ],
    });
    expect(Object.keys(res.body.snippets).sort()).toEqual(["bird", "frr", "iosxr", "junos", "routeros"]);
    const bird = res.body.snippets.bird as string;
    expect(bird).toContain(`for AS${asn} on "ZT-IX LAN" (network ${TEST_NETWORK_ID}), BIRD 2.`);
    expect(bird).toContain(`local 192.0.2.10 as ${asn};`);
    expect(bird).toContain("neighbor 192.0.2.1 as 64999;");
    expect(bird).toContain("neighbor 2001:db8:100::2 as 64999;");
    expect(bird).toContain("export limit 100 action block;");
    expect(bird).toContain("export limit 50 action block;");
    for (const text of Object.values(res.body.snippets) as string[]) {
      expect(text).toContain("192.0.2.1");
      expect(text).toContain("2001:db8:100::6:4500:1");
    }
  });

  it("puts an admin's override of the limits into the snippets, for the member and the admin alike", async () => {
    const { client, id, admin } = await requestIn("active");
    const request = (await getRequest(stack.data, id))!;
    await stack.data.entities.routeServerMember
      .upsert({
        ...routeServerMemberKey(request),
        networkId: request.networkId,
        requestId: id,
        activation: "active",
        maxPrefixV4: 250,
        updatedAt: new Date().toISOString(),
      })
      .go();
    const mine = await client.get(`/api/v1/requests/${id}/snippets`);
    expect(mine.body.limits.ipv4).toEqual({ limit: 250, source: "override" });
    expect(mine.body.snippets.bird).toContain("export limit 250 action block;");
    const theirs = await admin.get(`/api/v1/admin/requests/${id}/snippets`);
    expect(theirs.status).toBe(200);
    expect(theirs.body.snippets).toEqual(mine.body.snippets);
  });

  it("leaves out a family no route server peers in", async () => {
    const w = actors(stack, { config: v4Only });
    const { client, id } = await requestIn("provisioning", w);
    const res = await client.get(`/api/v1/requests/${id}/snippets`);
    expect(res.status).toBe(200);
    expect(res.body.member.ipv6).toBeNull();
    expect(res.body.limits.ipv6).toBeNull();
    expect(res.body.route_servers).toEqual([
      { route_server_id: "rs1", asn: 64999, ipv4: "192.0.2.1", ipv6: null },
    ]);
    expect(res.body.snippets.bird).not.toContain("ipv6 {");
  });

  it("reads the table a fixed number of times: the session's 2 GetItem, then 1 Query, 4 GetItem and 1 BatchGet", async () => {
    const { client, id } = await requestIn("active");
    await client.get(`/api/v1/requests/${id}/snippets`); // the session's idle slide, if due, happens here
    stack.calls.reset();
    expect((await client.get(`/api/v1/requests/${id}/snippets`)).status).toBe(200);
    expect(stack.calls.snapshot().byCommand).toEqual({
      GetItemCommand: 6,
      QueryCommand: 1,
      BatchGetItemCommand: 1,
    });
  });

  it("answers 404 for another operator's request, the same as for none at all", async () => {
    const { id } = await requestIn("active");
    const stranger = await world.operator();
    const theirs = await stranger.client.get(`/api/v1/requests/${id}/snippets`);
    const none = await stranger.client.get("/api/v1/requests/00000000-0000-4000-8000-000000000000/snippets");
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe("not_found");
    expect(none.status).toBe(404);
    expect(JSON.stringify(theirs.body)).not.toContain("192.0.2.10");
  });

  it("refuses a request that has no sessions to configure: pending, rejected, or no address yet", async () => {
    for (const status of ["pending", "rejected"] as const) {
      const { client, id } = await requestIn(status);
      const res = await client.get(`/api/v1/requests/${id}/snippets`);
      expect(res.status, status).toBe(409);
      expect(res.body.error).toMatchObject({ code: "invalid_transition", details: { status } });
    }
    const { client, id } = await requestIn("provisioning", world, {});
    const res = await client.get(`/api/v1/requests/${id}/snippets`);
    expect(res.status).toBe(409);
    expect(res.body.error.details.reason).toBe("no_addresses");
  });

  it("refuses on a network no route server serves", async () => {
    const w = actors(stack, { config: testConfig() });
    const { client, id } = await requestIn("active", w);
    const res = await client.get(`/api/v1/requests/${id}/snippets`);
    expect(res.status).toBe(409);
    expect(res.body.error.details.reason).toBe("no_route_servers");
  });
});

describe("the network facts on a request", () => {
  it("name the MTU and the LAN prefixes the member's addresses belong to", async () => {
    const { client, id } = await requestIn("active");
    const res = await client.get(`/api/v1/requests/${id}`);
    expect(res.body.network).toMatchObject({
      name: "ZT-IX LAN",
      mtu: 2800,
      ipv4_prefix: "192.0.2.0/24",
      ipv6_prefix: "2001:db8:100::/64",
    });
    expect(res.body.membership).toMatchObject({ ipv4: "192.0.2.10", ipv6: "2001:db8:100::6:4500:1" });
  });
});

describe("the member's policy", () => {
  it("names the route servers' ASN, the import filters and the action communities", async () => {
    const { client, id } = await requestIn("active");
    const res = await client.get(`/api/v1/requests/${id}/policy`);
    expect(res.status).toBe(200);
    expect(res.body.route_servers).toEqual([
      { route_server_id: "rs2", asn: 64999 },
      { route_server_id: "rs1", asn: 64999 },
    ]);
    expect(res.body.filters).toMatchObject({
      prefix_length: { ipv4: [8, 24], ipv6: [16, 48] },
      as_path_max_length: 64,
      rpki_invalid_rejected: true,
    });
    expect(res.body.filters.transit_free_asns).toContain(174);
    expect(res.body.communities).toHaveLength(1);
    const [c] = res.body.communities;
    expect(c.route_server_asn).toBe(64999);
    const byAction = Object.fromEntries(c.actions.map((a: { action: string }) => [a.action, a]));
    expect(byAction.do_not_announce_to_peer).toMatchObject({ large: "64999:0:peer", standard: "0:peer" });
    expect(byAction.do_not_announce_to_any).toMatchObject({ large: "64999:0:0", standard: "0:64999" });
    expect(byAction.announce_to_peer).toMatchObject({ large: "64999:1:peer", standard: "64999:peer" });
    expect(byAction.prepend_2).toMatchObject({ large: "64999:102:peer", standard: null });
    // The test network has no blackhole next hop.
    expect(c.blackhole).toBeNull();
  });
});
