import { getRequest, transitionRequest } from "@ztix/data";
import { beforeAll, describe, expect, it } from "vitest";
import { testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { type Actors, actors, newRequestBody, seedNetworks, TEST_NETWORK_ID } from "./helpers/workflow.ts";

/**
 * What operators and admins read about the same request: operators get plain words chosen by
 * error code, never the stored detail (hosts, ports, commands, BIRD's own words), which stays
 * in the admin views; both see the IX network's name, and admins see who asked by name.
 */

const RAW =
  "ssh to 127.0.0.1:19394: connect ECONNREFUSED 127.0.0.1:19394 (check the controller host and the SSH path to it)";
const BIRD_RAW = "bird: /etc/bird/members/AS64500.conf:12:3 syntax error, unexpected CF_SYM_UNDEFINED";
/** Fragments of the raw details that must never reach an operator. */
const LEAKS = ["127.0.0.1", "19394", "ECONNREFUSED", "ssh to", "CF_SYM_UNDEFINED", "/etc/bird"];

const config = testConfig({
  route_servers: [
    {
      id: "rs1",
      asn: 64999,
      router_id: "192.0.2.1",
      peering_ipv4: "192.0.2.1",
      peering_ipv6: "2001:db8:100::1",
      ssh: {
        host: "127.0.0.1",
        user: "ztix",
        host_key_fingerprint: `SHA256:${"A".repeat(43)}`,
        private_key: { secret: "rs1_key" },
      },
    },
  ],
});

let stack: TestStack;
let world: Actors;
let bare: Actors;

beforeAll(async () => {
  stack = await testStack();
  await seedNetworks(stack.data);
  world = actors(stack, { config });
  bare = actors(stack);
});

/** A request approved by a named admin, then failed by the worker with a raw detail. */
async function failedRequest(code: string) {
  const op = await world.operator();
  await stack.data.entities.user.patch({ userId: op.userId }).set({ displayName: "Alice Operator" }).go();
  const made = await op.client.post("/api/v1/requests", newRequestBody(op.asns[0]!));
  const id = made.body.request.request_id as string;
  const admin = await world.admin();
  expect((await admin.post(`/api/v1/admin/requests/${id}/approve`)).status).toBe(200);
  const approved = (await getRequest(stack.data, id))!;
  await transitionRequest(stack.data, approved, "fail", {
    set: { lastErrorCode: code, lastErrorMessage: RAW },
    audit: {
      actorType: "system",
      visibility: "operator",
      message: `provisioning failed: ${code}`,
      metadata: { code, message: RAW },
    },
  });
  const now = new Date().toISOString();
  await stack.data.entities.routeServerSync
    .create({
      requestId: id,
      routeServerId: "rs1",
      fileName: `AS${op.asns[0]}_000001_${made.body.request.node_id}.conf`,
      state: "failed",
      lastError: BIRD_RAW,
      observedAt: now,
      updatedAt: now,
    })
    .go();
  return { ...op, id, admin };
}

function expectNoLeak(body: unknown) {
  const text = JSON.stringify(body);
  for (const leak of LEAKS) expect(text, `operator response holds ${leak}`).not.toContain(leak);
}

describe("a failure's detail", () => {
  it("reaches operators only as plain words chosen by its code, and admins in full", async () => {
    const { client, id, admin } = await failedRequest("route_server_rejected_member");
    const detail = await client.get(`/api/v1/requests/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.request.last_error).toEqual({
      code: "route_server_rejected_member",
      message:
        "A route server refused the BGP configuration made for this membership. The exchange team sees why and can retry once it is fixed.",
    });
    expect(detail.body.route_servers[0]).toMatchObject({
      route_server_id: "rs1",
      state: "failed",
      last_error:
        "This route server refused the configuration made for your membership; the exchange team sees why.",
    });
    const failure = detail.body.events.find((e: { action: string }) => e.action === "request.fail");
    expect(failure.message).toMatch(/^Provisioning stopped: A route server refused/);
    expectNoLeak(detail.body);
    expectNoLeak((await client.get("/api/v1/requests")).body);
    expectNoLeak((await client.get("/api/v1/onboarding/context")).body);

    const full = await admin.get(`/api/v1/admin/requests/${id}`);
    expect(full.body.request.last_error).toEqual({ code: "route_server_rejected_member", message: RAW });
    expect(full.body.route_servers[0].last_error).toBe(BIRD_RAW);
    const adminFailure = full.body.events.find((e: { action: string }) => e.action === "request.fail");
    expect(adminFailure.message).toBe("provisioning failed: route_server_rejected_member");
    expect(adminFailure.metadata).toEqual({ code: "route_server_rejected_member", message: RAW });
    const listed = await admin.get(`/api/v1/admin/requests?status=failed&asn=${full.body.request.asn}`);
    expect(listed.body.items[0].last_error.message).toBe(RAW);
  });

  it("gives a transient code's words to operators while a request waits on it", async () => {
    const op = await world.operator();
    const made = await op.client.post("/api/v1/requests", newRequestBody(op.asns[0]!));
    const id = made.body.request.request_id as string;
    const admin = await world.admin();
    await admin.post(`/api/v1/admin/requests/${id}/approve`);
    await stack.data.entities.joinRequest
      .patch({ requestId: id })
      .set({
        waitingOn: "controller",
        waitingReason: `controller_unreachable: ${RAW}`,
        waitingSince: new Date().toISOString(),
      })
      .go();
    const seen = await op.client.get(`/api/v1/requests/${id}`);
    expect(seen.body.request.waiting_reason).toBe(
      "The exchange could not reach its ZeroTier controller; your request will continue automatically.",
    );
    expect(seen.body.request.last_error).toBeNull();
    expectNoLeak(seen.body);
    const full = await admin.get(`/api/v1/admin/requests/${id}`);
    expect(full.body.request.waiting_detail).toBe(`controller_unreachable: ${RAW}`);
  });
});

describe("the network and the people a request names", () => {
  it("shows the IX network's name and how many route servers serve it", async () => {
    const { client, id, admin } = await failedRequest("controller_rejected");
    const mine = await client.get(`/api/v1/requests/${id}`);
    expect(mine.body.request.zt_network_name).toBe("ZT-IX LAN");
    expect(mine.body.network).toEqual({
      zt_network_id: TEST_NETWORK_ID,
      name: "ZT-IX LAN",
      description: null,
      route_server_count: 1,
      mtu: 2800,
      ipv4_prefix: "192.0.2.0/24",
      ipv6_prefix: "2001:db8:100::/64",
    });
    expect((await client.get("/api/v1/requests")).body.items[0].zt_network_name).toBe("ZT-IX LAN");
    const full = await admin.get(`/api/v1/admin/requests/${id}`);
    expect(full.body.network.route_server_count).toBe(1);

    // A network no route server serves: the admin view says so, so nothing mentions them.
    const op = await bare.operator();
    const made = await op.client.post("/api/v1/requests", newRequestBody(op.asns[0]!));
    const plain = await (await bare.admin()).get(`/api/v1/admin/requests/${made.body.request.request_id}`);
    expect(plain.body.network).toMatchObject({ name: "ZT-IX LAN", route_server_count: 0 });
    expect(plain.body.route_servers).toEqual([]);
  });

  it("names the requester in the admin listing and the requester and decider on the detail", async () => {
    const { id, admin, asns, userId } = await failedRequest("controller_rejected");
    const listed = await admin.get(`/api/v1/admin/requests?asn=${asns[0]}`);
    expect(listed.body.items.map((r: { request_id: string }) => r.request_id)).toEqual([id]);
    expect(listed.body.items[0].requester).toEqual({
      user_id: userId,
      display_name: "Alice Operator",
      username: null,
      source: "local",
    });
    const full = await admin.get(`/api/v1/admin/requests/${id}`);
    expect(full.body.request.requester).toMatchObject({ user_id: userId, display_name: "Alice Operator" });
    expect(full.body.request.decider).toMatchObject({
      kind: "admin",
      display_name: expect.stringMatching(/^admin-/),
    });
    // The timeline names its people too, from the same read.
    const actor = (action: string) =>
      full.body.events.find((e: { action: string }) => e.action === action)?.actor_name;
    expect(actor("request.created")).toBe("Alice Operator");
    expect(actor("request.approve")).toMatch(/^admin-/);
    expect(actor("request.fail")).toBeNull();
    // Operators never see who asked or decided by id or name.
    const { client } = await world.operator({ asns });
    const mine = await client.get(`/api/v1/requests/${id}`);
    expect(mine.body.request.requester).toBeUndefined();
    expect(mine.body.request.decider).toBeUndefined();
    expect(JSON.stringify(mine.body)).not.toContain(userId);
  });
});
