import { transitionRequest } from "@ztix/data";
import { beforeAll, describe, expect, it } from "vitest";
import { testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import {
  type Actors,
  actors,
  drainQueue,
  INACTIVE_NETWORK_ID,
  newRequestBody,
  nextAsn,
  OTHER_NETWORK_ID,
  queueDepth,
  seedNetworks,
  TEST_NETWORK_ID,
} from "./helpers/workflow.ts";

let stack: TestStack;
let world: Actors;

beforeAll(async () => {
  stack = await testStack();
  await seedNetworks(stack.data);
  world = actors(stack);
});

describe("POST /api/v1/requests", () => {
  it("creates a pending request for one of the user's ASNs and audits it", async () => {
    const { client, asns, userId } = await world.operator();
    const body = newRequestBody(asns[0]!, { notes: "  peering with the RS please " });
    const res = await client.post("/api/v1/requests", body);
    expect(res.status).toBe(201);
    expect(res.body.request).toMatchObject({
      asn: asns[0],
      asn_name: `Net ${asns[0]}`,
      zt_network_id: TEST_NETWORK_ID,
      node_id: body.node_id,
      notes: "peering with the RS please",
      status: "pending",
      attempt: 0,
    });
    expect(res.body.auto_approved).toBe(false);
    expect(res.body.dispatch).toBeNull();
    const stored = await stack.data.entities.joinRequest.get({ requestId: res.body.request.request_id }).go();
    expect(stored.data).toMatchObject({ userId, status: "pending" });
    const detail = await client.get(`/api/v1/requests/${res.body.request.request_id}`);
    expect(detail.body.events.map((e: { action: string }) => e.action)).toEqual(["request.created"]);
  });

  it("accepts the ASN as an AS-prefixed string", async () => {
    const { client, asns } = await world.operator();
    const res = await client.post("/api/v1/requests", newRequestBody(asns[0]!, { asn: `AS${asns[0]}` }));
    expect(res.status).toBe(201);
    expect(res.body.request.asn).toBe(asns[0]);
  });

  it("answers a second live request for the same ASN, network and node with 409 naming the first", async () => {
    const { client, asns } = await world.operator();
    const body = newRequestBody(asns[0]!);
    const first = await client.post("/api/v1/requests", body);
    const second = await client.post("/api/v1/requests", body);
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({
      code: "duplicate_active_request",
      details: { existing_request_id: first.body.request.request_id },
    });
  });

  it("lets the same node ask again once its earlier request was cancelled", async () => {
    const { client, asns } = await world.operator();
    const body = newRequestBody(asns[0]!);
    const first = await client.post("/api/v1/requests", body);
    expect((await client.post(`/api/v1/requests/${first.body.request.request_id}/cancel`)).status).toBe(200);
    const again = await client.post("/api/v1/requests", body);
    expect(again.status).toBe(201);
    expect(again.body.request.request_id).not.toBe(first.body.request.request_id);
  });

  it("refuses an ASN the user does not hold with 403 asn_not_allowed", async () => {
    const { client } = await world.operator();
    const res = await client.post("/api/v1/requests", newRequestBody(nextAsn()));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("asn_not_allowed");
  });

  it("refuses an inactive or unknown network with 403 network_not_allowed", async () => {
    const { client, asns } = await world.operator();
    for (const zt_network_id of [INACTIVE_NETWORK_ID, "8056c2e21c0000ff"]) {
      const res = await client.post("/api/v1/requests", newRequestBody(asns[0]!, { zt_network_id }));
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("network_not_allowed");
    }
  });

  it("holds a user with network-access rows to those networks only", async () => {
    const { client, asns } = await world.operator({ networks: [OTHER_NETWORK_ID] });
    const refused = await client.post("/api/v1/requests", newRequestBody(asns[0]!));
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("network_not_allowed");
    const allowed = await client.post(
      "/api/v1/requests",
      newRequestBody(asns[0]!, { zt_network_id: OTHER_NETWORK_ID }),
    );
    expect(allowed.status).toBe(201);
  });

  it("answers 401 when signed out", async () => {
    const res = await world.app.client().post("/api/v1/requests", newRequestBody(64500));
    expect(res.status).toBe(401);
  });
});

describe("policy_auto approval", () => {
  it("approves an eligible request at creation as the system and enqueues its job", async () => {
    const auto = actors(stack, { config: testConfig({ workflow: { approval_mode: "policy_auto" } }) });
    await drainQueue(stack.sqs, stack.queueUrl);
    const { client, asns } = await auto.operator();
    const res = await client.post("/api/v1/requests", newRequestBody(asns[0]!));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      auto_approved: true,
      request: { status: "approved", attempt: 1 },
      dispatch: { enqueued: true, attempt: 1 },
    });
    const id = res.body.request.request_id;
    const trail = await stack.data.entities.auditEvent.query.bySubject({ subject: `request#${id}` }).go();
    const approval = trail.data.find((e) => e.action === "request.approve");
    expect(approval).toMatchObject({ actorType: "system", actorId: "policy", toStatus: "approved" });
    expect(approval?.metadata).toEqual({ mode: "policy_auto", rule: "asn_and_network_eligible" });
    const messages = await drainQueue(stack.sqs, stack.queueUrl);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.Attributes).toMatchObject({ MessageGroupId: id, MessageDeduplicationId: `${id}-1` });
  });

  it("answers 201 with the request approved and the lost job flagged when the queue is down", async () => {
    const auto = actors(stack, {
      config: testConfig({ workflow: { approval_mode: "policy_auto" } }),
      queueUrl: `${stack.queueUrl.replace(/\.fifo$/, "")}-down.fifo`,
    });
    const { client, asns } = await auto.operator();
    const res = await client.post("/api/v1/requests", newRequestBody(asns[0]!));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      request: { status: "approved" },
      dispatch: { enqueued: false, attempt: 1 },
    });
  });

  it("still refuses ineligible requests (the checks are the policy)", async () => {
    const auto = actors(stack, { config: testConfig({ workflow: { approval_mode: "policy_auto" } }) });
    const { client } = await auto.operator();
    const before = await queueDepth(stack.sqs, stack.queueUrl);
    const res = await client.post("/api/v1/requests", newRequestBody(nextAsn()));
    expect(res.status).toBe(403);
    expect(await queueDepth(stack.sqs, stack.queueUrl)).toBe(before);
  });
});

describe("GET /api/v1/requests", () => {
  it("lists the requests of all the user's ASNs newest first, page by page", async () => {
    const { client, asns } = await world.operator({ asns: [nextAsn(), nextAsn()] });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await client.post("/api/v1/requests", newRequestBody(asns[i % 2]!));
      ids.push(res.body.request.request_id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/requests?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await client.get(url);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((r: { request_id: string }) => r.request_id));
      cursor = res.body.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it("shows colleagues' requests for a shared ASN but never another ASN's", async () => {
    const shared = nextAsn();
    const alice = await world.operator({ asns: [shared] });
    const bob = await world.operator({ asns: [shared] });
    const mallory = await world.operator();
    const made = await alice.client.post("/api/v1/requests", newRequestBody(shared));
    const bobs = await bob.client.get("/api/v1/requests");
    expect(bobs.body.items.map((r: { request_id: string }) => r.request_id)).toContain(
      made.body.request.request_id,
    );
    const mallorys = await mallory.client.get("/api/v1/requests");
    expect(mallorys.body.items).toEqual([]);
  });

  it("refuses a cursor it did not hand out with 400", async () => {
    const { client } = await world.operator();
    const res = await client.get("/api/v1/requests?cursor=not-a-cursor");
    expect(res.status).toBe(400);
    expect(res.body.error.details.fields.cursor).toBeDefined();
  });
});

describe("GET /api/v1/requests/{id}", () => {
  it("shows membership, addresses and per-route-server state once provisioned", async () => {
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
    const w = actors(stack, { config });
    const { client, asns } = await w.operator();
    const made = await client.post("/api/v1/requests", newRequestBody(asns[0]!));
    const id = made.body.request.request_id;
    const now = new Date().toISOString();
    await stack.data.entities.membership
      .create({
        requestId: id,
        networkId: TEST_NETWORK_ID,
        nodeId: made.body.request.node_id,
        asn: asns[0]!,
        memberName: `AS${asns[0]}`,
        ipv4: "192.0.2.10",
        ipv6: "2001:db8:100::a",
        authorized: true,
        createdAt: now,
        updatedAt: now,
      })
      .go();
    await stack.data.entities.routeServerSync
      .create({
        requestId: id,
        routeServerId: "rs1",
        fileName: `AS${asns[0]}_000001_${made.body.request.node_id}.conf`,
        state: "in_sync",
        observedAt: now,
        updatedAt: now,
      })
      .go();
    const res = await client.get(`/api/v1/requests/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.membership).toMatchObject({
      ipv4: "192.0.2.10",
      ipv6: "2001:db8:100::a",
      authorized: true,
    });
    expect(res.body.route_servers).toEqual([
      expect.objectContaining({
        route_server_id: "rs1",
        asn: 64999,
        peering_ipv4: "192.0.2.1",
        state: "in_sync",
      }),
    ]);
  });

  it("answers 404 for another network's request, for an unknown id and for a malformed id", async () => {
    const owner = await world.operator();
    const other = await world.operator();
    const made = await owner.client.post("/api/v1/requests", newRequestBody(owner.asns[0]!));
    for (const path of [
      `/api/v1/requests/${made.body.request.request_id}`,
      "/api/v1/requests/00000000-0000-4000-8000-000000000000",
      "/api/v1/requests/../../etc",
      "/api/v1/requests/not-a-uuid",
    ]) {
      const res = await other.client.get(path);
      expect(res.status, path).toBe(404);
    }
    const cancel = await other.client.post(`/api/v1/requests/${made.body.request.request_id}/cancel`);
    expect(cancel.status).toBe(404);
  });

  it("shows the operator only operator-visible audit events, without actor ids", async () => {
    const { client, asns } = await world.operator();
    const made = await client.post("/api/v1/requests", newRequestBody(asns[0]!));
    const id = made.body.request.request_id;
    await stack.data.entities.auditEvent
      .create({
        subject: `request#${id}`,
        eventId: `${new Date().toISOString()}#aaaaaaaaaaaa`,
        month: new Date().toISOString().slice(0, 7),
        at: new Date().toISOString(),
        action: "dispatch.enqueue_failed",
        actorType: "system",
        visibility: "admin",
      })
      .go();
    const res = await client.get(`/api/v1/requests/${id}`);
    expect(res.body.events.map((e: { action: string }) => e.action)).toEqual(["request.created"]);
    expect(res.body.events[0].actor_id).toBeUndefined();
  });
});

describe("POST /api/v1/requests/{id}/cancel", () => {
  it("cancels a pending request and audits who did it", async () => {
    const { client, asns } = await world.operator();
    const made = await client.post("/api/v1/requests", newRequestBody(asns[0]!));
    const id = made.body.request.request_id;
    const res = await client.post(`/api/v1/requests/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.request.status).toBe("cancelled");
    const detail = await client.get(`/api/v1/requests/${id}`);
    expect(detail.body.events.map((e: { action: string }) => e.action)).toEqual([
      "request.created",
      "request.cancel",
    ]);
  });

  it("refuses to cancel a request that is no longer pending with 409 invalid_transition", async () => {
    const { client, asns } = await world.operator();
    const made = await client.post("/api/v1/requests", newRequestBody(asns[0]!));
    const id = made.body.request.request_id;
    const stored = (await stack.data.entities.joinRequest.get({ requestId: id }).go()).data!;
    await transitionRequest(stack.data, stored, "approve", {
      audit: { actorType: "admin", actorId: "test" },
    });
    const res = await client.post(`/api/v1/requests/${id}/cancel`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "invalid_transition", details: { status: "approved" } });
  });
});
