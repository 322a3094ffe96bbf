import { randomUUID } from "node:crypto";
import { createLogger } from "@ztix/core";
import { getRequest, peeringDbUserId, transitionRequest, type UserItem } from "@ztix/data";
import { recordNodeCheck, type WorkflowDeps } from "@ztix/workflow";
import { beforeAll, describe, expect, it } from "vitest";
import { testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { signIn } from "../../../test/support/users.ts";
import {
  type Actors,
  actors,
  drainQueue,
  newRequestBody,
  nextAsn,
  OTHER_NETWORK_ID,
  seedNetworks,
  TEST_NETWORK_ID,
} from "./helpers/workflow.ts";

let stack: TestStack;
let world: Actors;
/** The API's clock: tests move it to step past the inspect throttle. */
let clock = Date.now();

beforeAll(async () => {
  stack = await testStack();
  await seedNetworks(stack.data);
  world = actors(stack, {
    // PeeringDB lookups on (the worker does them; the API only queues and reads the cache).
    config: testConfig({ peeringdb_api: { enabled: true } }),
    now: () => new Date(clock),
  });
});

/** A PeeringDB user (signed in with PeeringDB) holding `asn`, signed in. */
async function peeringDbOperator(asn: number, name: string) {
  const now = new Date().toISOString();
  const pdbId = Math.floor(Math.random() * 1e9);
  const user: UserItem = {
    userId: peeringDbUserId(pdbId),
    displayName: name,
    peeringdbId: pdbId,
    source: "peeringdb",
    isAdmin: false,
    disabled: false,
    createdAt: now,
    updatedAt: now,
  };
  await stack.data.entities.user.create(user).go();
  await stack.data.entities.userAsn
    .create({ userId: user.userId, asn, name: `Net ${asn}`, source: "peeringdb", createdAt: now })
    .go();
  const client = await signIn(world.app.client(), stack.data, world.config, user);
  return { client, user };
}

function workflowDeps(): WorkflowDeps {
  return {
    config: world.config,
    data: stack.data,
    sqs: stack.sqs,
    queueUrl: stack.queueUrl,
    log: createLogger({ level: "error", sink: () => undefined }),
    now: () => new Date(clock),
  };
}

const kinds = (ms: { Body?: string }[]) => ms.map((m) => JSON.parse(m.Body!).kind as string).sort();

describe("GET /api/v1/admin/requests/{id}: the decision context", () => {
  it("names the requester, how they signed in, the decider and the timeline's people", async () => {
    const asn = nextAsn();
    const pdb = await peeringDbOperator(asn, "Alice Peering");
    const res = await pdb.client.post("/api/v1/requests", newRequestBody(asn));
    expect(res.status).toBe(201);
    const id = res.body.request.request_id as string;
    const admin = await world.admin();

    const before = await admin.get(`/api/v1/admin/requests/${id}`);
    expect(before.status).toBe(200);
    expect(before.body.request.requester).toEqual({
      user_id: pdb.user.userId,
      display_name: "Alice Peering",
      username: null,
      source: "peeringdb",
    });
    expect(before.body.network).toMatchObject({ zt_network_id: TEST_NETWORK_ID, name: "ZT-IX LAN" });
    expect(before.body.request.zt_network_name).toBe("ZT-IX LAN");

    expect((await admin.post(`/api/v1/admin/requests/${id}/approve`)).status).toBe(200);
    const after = await admin.get(`/api/v1/admin/requests/${id}`);
    const adminUser = after.body.events.find((e: { action: string }) => e.action === "request.approve");
    expect(after.body.request.decider).toMatchObject({ kind: "admin", display_name: expect.any(String) });
    expect(after.body.request.decider.display_name).toMatch(/^admin-/);
    expect(adminUser.actor_name).toBe(after.body.request.decider.display_name);
    const created = after.body.events.find((e: { action: string }) => e.action === "request.created");
    expect(created).toMatchObject({ actor_type: "user", actor_name: "Alice Peering" });

    // The queue names the requester too, with how they sign in.
    const queue = await admin.get(`/api/v1/admin/requests?asn=${asn}`);
    expect(queue.body.items[0].requester).toMatchObject({
      display_name: "Alice Peering",
      source: "peeringdb",
    });
  });

  it("says when no PeeringDB record is cached yet and where to ask for one, then shows the record with its age", async () => {
    const asn = nextAsn();
    const op = await world.operator({ asns: [asn] });
    const id = (await op.client.post("/api/v1/requests", newRequestBody(asn))).body.request.request_id;
    const admin = await world.admin();

    const none = await admin.get(`/api/v1/admin/requests/${id}`);
    expect(none.body.context.peeringdb).toMatchObject({
      cached: false,
      found: null,
      record: null,
      age_seconds: null,
      lookups_enabled: true,
      refresh_path: `/api/v1/admin/requests/${id}/refresh-policy-data`,
    });
    // The path offered is the existing refresh route.
    await drainQueue(stack.sqs, stack.queueUrl);
    const refresh = await admin.post(none.body.context.peeringdb.refresh_path);
    expect(refresh.status).toBe(202);
    expect(kinds(await drainQueue(stack.sqs, stack.queueUrl))).toEqual(["policy_data"]);

    const fetchedAt = new Date(clock - 3_600_000).toISOString();
    await stack.data.entities.peeringDbRecord
      .put({
        asn,
        found: true,
        network: {
          asn,
          name: "Example Networks",
          orgId: 42,
          orgName: "Example Org BV",
          prefixes4: 120,
          prefixes6: 40,
          irrAsSet: "RIPE::AS-EXAMPLE",
          irrAsSets: ["RIPE::AS-EXAMPLE"],
          neverViaRouteServers: false,
          policy: "Open",
          policyUrl: "https://example.net/peering",
          updated: "2026-01-01T00:00:00.000Z",
          fetchedAt,
        },
        lastSuccessAt: fetchedAt,
        failures: 1,
        lastErrorCode: "peeringdb_rate_limited",
        lastFailureAt: new Date(clock - 60_000).toISOString(),
        nextRefreshAt: new Date(clock + 3_600_000).toISOString(),
        updatedAt: new Date(clock).toISOString(),
      })
      .go();
    const got = await admin.get(`/api/v1/admin/requests/${id}`);
    expect(got.body.context.peeringdb).toMatchObject({
      cached: true,
      found: true,
      record: {
        name: "Example Networks",
        org_name: "Example Org BV",
        policy_general: "Open",
        policy_url: "https://example.net/peering",
        info_prefixes4: 120,
        info_prefixes6: 40,
        irr_as_set: "RIPE::AS-EXAMPLE",
        info_never_via_route_servers: false,
      },
      fetched_at: fetchedAt,
      last_success_at: fetchedAt,
      last_error_code: "peeringdb_rate_limited",
      failures: 1,
    });
    expect(got.body.context.peeringdb.age_seconds).toBeGreaterThanOrEqual(3600);
    expect(got.body.context.peeringdb.age_seconds).toBeLessThan(3700);
  });

  it("lists the ASN's other requests and memberships, with names, and nothing of other ASNs", async () => {
    const asn = nextAsn();
    const first = await world.operator({ asns: [asn], networks: [TEST_NETWORK_ID, OTHER_NETWORK_ID] });
    const colleague = await peeringDbOperator(asn, "Bob Colleague");
    const other = await world.operator();
    const a = (await first.client.post("/api/v1/requests", newRequestBody(asn))).body.request.request_id;
    clock += 1000;
    const b = (
      await colleague.client.post(
        "/api/v1/requests",
        newRequestBody(asn, { zt_network_id: OTHER_NETWORK_ID }),
      )
    ).body.request.request_id;
    clock += 1000;
    const c = (await first.client.post("/api/v1/requests", newRequestBody(asn))).body.request.request_id;
    await other.client.post("/api/v1/requests", newRequestBody(other.asns[0]!));
    // One of them is a membership.
    let r = (await getRequest(stack.data, a))!;
    for (const action of ["approve", "start", "complete"] as const) {
      r = await transitionRequest(stack.data, r, action, {
        set:
          action === "approve"
            ? { attempt: 1 }
            : action === "complete"
              ? { activeAt: new Date().toISOString() }
              : {},
        audit: { actorType: "system", actorId: "test" },
      });
    }
    const admin = await world.admin();
    const res = await admin.get(`/api/v1/admin/requests/${c}`);
    const items = res.body.context.asn_requests.items as {
      request_id: string;
      status: string;
      zt_network_name: string | null;
      requester: { display_name: string; source: string };
    }[];
    expect(res.body.context.asn_requests.truncated).toBe(false);
    // Newest first, this request left out.
    expect(items.map((i) => i.request_id)).toEqual([b, a]);
    expect(items[0]).toMatchObject({
      status: "pending",
      zt_network_id: OTHER_NETWORK_ID,
      // Names come from the runtime config, which configures only the first network here.
      zt_network_name: null,
      requester: { display_name: "Bob Colleague", source: "peeringdb" },
    });
    expect(items[1]).toMatchObject({
      status: "active",
      zt_network_name: "ZT-IX LAN",
      requester: { source: "local" },
    });
  });
});

describe("whether the node asked the controller to join", () => {
  it("queues a node check when a request is made, and shows what the check found", async () => {
    const asn = nextAsn();
    const op = await world.operator({ asns: [asn] });
    await drainQueue(stack.sqs, stack.queueUrl);
    const id = (await op.client.post("/api/v1/requests", newRequestBody(asn))).body.request.request_id;
    const queued = await drainQueue(stack.sqs, stack.queueUrl, { nodeChecks: true });
    // A node check (in its own group) and, PeeringDB lookups being on, the ASN's record.
    expect(kinds(queued)).toEqual(["inspect_request", "policy_data"]);
    const check = queued.find((m) => m.Body!.includes("inspect_request"))!;
    expect(check.Attributes?.MessageGroupId).toBe(`inspect:${id}`);
    // Manual approval: nothing waits for the node, so the check does not watch.
    expect(JSON.parse(check.Body!)).not.toHaveProperty("watch");

    const admin = await world.admin();
    const unchecked = await admin.get(`/api/v1/admin/requests/${id}`);
    expect(unchecked.body.context.node).toEqual({
      seen: null,
      seen_at: null,
      checked_at: null,
      controller_member: null,
      check_requested_at: null,
      next_check_at: null,
    });

    // What the worker records when the controller lists the node, unauthorized (the worker's
    // own test runs this against the controller emulator).
    await recordNodeCheck(workflowDeps(), (await getRequest(stack.data, id))!, "unauthorized");
    const seen = await admin.get(`/api/v1/admin/requests/${id}`);
    expect(seen.body.context.node).toMatchObject({
      seen: true,
      seen_at: new Date(clock).toISOString(),
      checked_at: new Date(clock).toISOString(),
      controller_member: "unauthorized",
    });
  });

  it("POST …/inspect queues a check and a policy-data refresh, at most once per 30 s per request", async () => {
    const asn = nextAsn();
    const op = await world.operator({ asns: [asn] });
    const id = (await op.client.post("/api/v1/requests", newRequestBody(asn))).body.request.request_id;
    const admin = await world.admin();
    await drainQueue(stack.sqs, stack.queueUrl, { nodeChecks: true });
    clock += 1000;

    const first = await admin.post(`/api/v1/admin/requests/${id}/inspect`);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      request_id: id,
      queued: true,
      policy_data_queued: true,
      retry_after_seconds: 30,
      node: { check_requested_at: first.body.requested_at },
    });
    const sent = await drainQueue(stack.sqs, stack.queueUrl, { nodeChecks: true });
    expect(kinds(sent)).toEqual(["inspect_request", "policy_data"]);
    const policy = JSON.parse(sent.find((m) => m.Body!.includes("policy_data"))!.Body!);
    expect(policy).toMatchObject({ scope: "asn", asn });
    expect(JSON.parse(sent.find((m) => m.Body!.includes("inspect_request"))!.Body!)).toMatchObject({
      requestId: id,
      requestedAt: first.body.requested_at,
    });

    // Two admins at once, 10 s later: neither queues anything.
    clock += 10_000;
    const [x, y] = await Promise.all([
      admin.post(`/api/v1/admin/requests/${id}/inspect`),
      (await world.admin()).post(`/api/v1/admin/requests/${id}/inspect`),
    ]);
    for (const r of [x, y]) {
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ queued: false, requested_at: first.body.requested_at });
      expect(r.body.retry_after_seconds).toBe(20);
    }
    expect(await drainQueue(stack.sqs, stack.queueUrl, { nodeChecks: true })).toEqual([]);
    const detail = await admin.get(`/api/v1/admin/requests/${id}`);
    expect(detail.body.context.node.next_check_at).toBe(
      new Date(Date.parse(first.body.requested_at) + 30_000).toISOString(),
    );

    // Past the 30 s: two admins at once queue exactly one check.
    clock += 21_000;
    const again = await Promise.all([
      admin.post(`/api/v1/admin/requests/${id}/inspect`),
      (await world.admin()).post(`/api/v1/admin/requests/${id}/inspect`),
    ]);
    expect(again.map((r) => r.status).sort()).toEqual([200, 202]);
    expect(kinds(await drainQueue(stack.sqs, stack.queueUrl, { nodeChecks: true }))).toEqual([
      "inspect_request",
      "policy_data",
    ]);
  });

  it("answers 404 for an unknown request and 403 for an operator", async () => {
    const admin = await world.admin();
    expect((await admin.post(`/api/v1/admin/requests/${randomUUID()}/inspect`)).status).toBe(404);
    const op = await world.operator();
    const id = (await op.client.post("/api/v1/requests", newRequestBody(op.asns[0]!))).body.request
      .request_id;
    expect((await op.client.post(`/api/v1/admin/requests/${id}/inspect`)).status).toBe(403);
    await drainQueue(stack.sqs, stack.queueUrl, { nodeChecks: true });
  });
});

describe("policy_auto with require_node_seen", () => {
  it("leaves a new request pending and has its node check watch for the node", async () => {
    const strict = actors(stack, {
      config: testConfig({
        workflow: { approval_mode: "policy_auto", policy_auto: { require_node_seen: true } },
      }),
    });
    const op = await strict.operator();
    await drainQueue(stack.sqs, stack.queueUrl, { nodeChecks: true });
    const res = await op.client.post("/api/v1/requests", newRequestBody(op.asns[0]!));
    expect(res.status).toBe(201);
    expect(res.body.request.status).toBe("pending");
    const queued = await drainQueue(stack.sqs, stack.queueUrl, { nodeChecks: true });
    expect(queued.map((m) => JSON.parse(m.Body!))).toEqual([
      expect.objectContaining({ kind: "inspect_request", requestId: res.body.request.request_id, watch: 0 }),
    ]);
  });
});
