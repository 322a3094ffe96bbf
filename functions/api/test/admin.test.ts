import { getRequest, transitionRequest } from "@ztix/data";
import { beforeAll, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
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

beforeAll(async () => {
  stack = await testStack();
  await seedNetworks(stack.data);
  world = actors(stack);
});

async function pendingRequest(w: Actors = world) {
  const op = await w.operator();
  const res = await op.client.post("/api/v1/requests", newRequestBody(op.asns[0]!));
  expect(res.status).toBe(201);
  return { ...op, id: res.body.request.request_id as string };
}

/** Moves a request to failed as the worker would (approve → fail with an error code). */
async function failRequest(id: string) {
  let r = (await getRequest(stack.data, id))!;
  if (r.status === "pending") {
    r = await transitionRequest(stack.data, r, "approve", {
      set: { attempt: r.attempt + 1 },
      audit: { actorType: "admin", actorId: "test" },
    });
  }
  await transitionRequest(stack.data, r, "fail", {
    set: { lastErrorCode: "controller_unreachable", lastErrorMessage: "connection refused" },
    audit: { actorType: "system", actorId: "worker" },
  });
}

describe("the whole operator and admin flow", () => {
  it("takes a request from creation through approval to a job on the FIFO queue", async () => {
    await drainQueue(stack.sqs, stack.queueUrl);
    const op = await world.operator();
    const admin = await world.admin();
    const created = await op.client.post("/api/v1/requests", newRequestBody(op.asns[0]!));
    const id = created.body.request.request_id;

    const queue = await admin.get("/api/v1/admin/requests?status=pending");
    expect(queue.status).toBe(200);
    expect(queue.body.items.map((r: { request_id: string }) => r.request_id)).toContain(id);

    const approved = await admin.post(`/api/v1/admin/requests/${id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      request: { request_id: id, status: "approved", attempt: 1 },
      dispatch: { enqueued: true, attempt: 1 },
    });
    expect(approved.body.request.decided_by).toMatch(/^admin:/);

    const messages = await drainQueue(stack.sqs, stack.queueUrl);
    expect(messages).toHaveLength(1);
    const [m] = messages;
    expect(m!.Attributes).toMatchObject({ MessageGroupId: id, MessageDeduplicationId: `${id}-1` });
    const stored = (await getRequest(stack.data, id))!;
    expect(m!.MessageAttributes?.correlationId?.StringValue).toBe(stored.correlationId);
    expect(JSON.parse(m!.Body!)).toEqual({
      kind: "provision",
      requestId: id,
      attempt: 1,
      correlationId: stored.correlationId,
    });

    const operatorView = await op.client.get(`/api/v1/requests/${id}`);
    expect(operatorView.body.request.status).toBe("approved");
    expect(operatorView.body.events.map((e: { action: string }) => e.action)).toEqual([
      "request.created",
      "request.approve",
    ]);
  });

  it("carries the caller's correlation id from the HTTP request into the job", async () => {
    await drainQueue(stack.sqs, stack.queueUrl);
    const op = await world.operator();
    const admin = await world.admin();
    const created = await op.client.raw("/api/v1/requests", {
      method: "POST",
      headers: {
        origin: "http://localhost:8787",
        "x-csrf-token": op.client.cookies.get("ztix_csrf")!,
        "content-type": "application/json",
        "x-correlation-id": "trace-abc-123",
      },
      body: JSON.stringify(newRequestBody(op.asns[0]!)),
    });
    expect(created.status).toBe(201);
    await admin.post(`/api/v1/admin/requests/${created.body.request.request_id}/approve`);
    const [m] = await drainQueue(stack.sqs, stack.queueUrl);
    expect(m!.MessageAttributes?.correlationId?.StringValue).toBe("trace-abc-123");
  });
});

describe("POST /api/v1/admin/requests/{id}/approve", () => {
  it("lets exactly one of two admins approving at once win, and sends one job", async () => {
    await drainQueue(stack.sqs, stack.queueUrl);
    const { id } = await pendingRequest();
    const [a, b] = await Promise.all([world.admin(), world.admin()]);
    const results = await Promise.all([
      a.post(`/api/v1/admin/requests/${id}/approve`),
      b.post(`/api/v1/admin/requests/${id}/approve`),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const loser = results.find((r) => r.status === 409)!;
    expect(loser.body.error).toMatchObject({ code: "invalid_transition", details: { status: "approved" } });
    // One job (besides the node check the new request queued in its own group).
    const messages = await drainQueue(stack.sqs, stack.queueUrl);
    expect(messages.map((m) => m.Attributes?.MessageGroupId)).toEqual([id]);
    const trail = await stack.data.entities.auditEvent.query.bySubject({ subject: `request#${id}` }).go();
    expect(trail.data.filter((e) => e.action === "request.approve")).toHaveLength(1);
  });

  it("keeps the request approved and says so when the job cannot be queued", async () => {
    const broken = actors(stack, { queueUrl: `${stack.queueUrl.replace(/\.fifo$/, "")}-gone.fifo` });
    const { id } = await pendingRequest(broken);
    const admin = await broken.admin();
    const res = await admin.post(`/api/v1/admin/requests/${id}/approve`);
    expect(res.status).toBe(200);
    expect(res.body.request.status).toBe("approved");
    expect(res.body.dispatch).toMatchObject({ enqueued: false, attempt: 1 });
    const detail = await admin.get(`/api/v1/admin/requests/${id}`);
    expect(detail.body.request.status).toBe("approved");
    expect(detail.body.events.map((e: { action: string }) => e.action)).toContain("dispatch.enqueue_failed");
  });

  it("refuses to approve a request twice", async () => {
    const { id } = await pendingRequest();
    const admin = await world.admin();
    expect((await admin.post(`/api/v1/admin/requests/${id}/approve`)).status).toBe(200);
    const again = await admin.post(`/api/v1/admin/requests/${id}/approve`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("invalid_transition");
  });

  it("answers 404 for an unknown request", async () => {
    const admin = await world.admin();
    const res = await admin.post("/api/v1/admin/requests/00000000-0000-4000-8000-000000000000/approve");
    expect(res.status).toBe(404);
  });
});

describe("POST /api/v1/admin/requests/{id}/reject", () => {
  it("rejects with a reason the operator can read, and frees the slot", async () => {
    const { id, client, asns } = await pendingRequest();
    const admin = await world.admin();
    const stored = (await getRequest(stack.data, id))!;
    const res = await admin.post(`/api/v1/admin/requests/${id}/reject`, {
      reason: "node id belongs to another member",
    });
    expect(res.status).toBe(200);
    expect(res.body.request).toMatchObject({
      status: "rejected",
      reject_reason: "node id belongs to another member",
    });
    const seen = await client.get(`/api/v1/requests/${id}`);
    expect(seen.body.request.reject_reason).toBe("node id belongs to another member");
    expect(seen.body.events.at(-1)).toMatchObject({
      action: "request.reject",
      message: "node id belongs to another member",
    });
    const again = await client.post("/api/v1/requests", {
      asn: asns[0],
      zt_network_id: stored.networkId,
      node_id: stored.nodeId,
    });
    expect(again.status).toBe(201);
  });

  it("refuses a reject without a reason, or with an empty or overlong one, and changes nothing", async () => {
    const { id } = await pendingRequest();
    const admin = await world.admin();
    for (const body of [{}, { reason: "" }, { reason: "   " }, { reason: "x".repeat(1001) }]) {
      const res = await admin.post(`/api/v1/admin/requests/${id}/reject`, body);
      expect(res.status, JSON.stringify(body).slice(0, 40)).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
      expect(res.body.error.details.fields.reason).toBeDefined();
    }
    expect((await getRequest(stack.data, id))!.status).toBe("pending");
  });
});

describe("POST /api/v1/admin/requests/{id}/retry", () => {
  it("re-approves a failed request with a new attempt and a new dedup id", async () => {
    await drainQueue(stack.sqs, stack.queueUrl);
    const { id, client } = await pendingRequest();
    await failRequest(id);
    const admin = await world.admin();
    const failed = await admin.get(`/api/v1/admin/requests/${id}`);
    const lastError = { code: "controller_unreachable", message: "connection refused" };
    expect(failed.body.request.last_error).toEqual(lastError);
    // The operator reads the same code in plain words, never the stored detail.
    expect((await client.get(`/api/v1/requests/${id}`)).body.request.last_error).toEqual({
      code: "controller_unreachable",
      message:
        "The exchange could not reach its ZeroTier controller. The exchange team sees the details and can retry your request.",
    });
    const res = await admin.post(`/api/v1/admin/requests/${id}/retry`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      request: { status: "approved", attempt: 2 },
      dispatch: { enqueued: true, attempt: 2 },
    });
    // After the retry the error is history: admins still see it, the operator's page does not.
    expect(res.body.request.last_error).toEqual(lastError);
    expect((await client.get(`/api/v1/requests/${id}`)).body.request.last_error).toBeNull();
    const messages = await drainQueue(stack.sqs, stack.queueUrl);
    expect(messages.map((m) => m.Attributes?.MessageDeduplicationId)).toEqual([`${id}-2`]);
  });

  it("refuses to retry a request that has not failed with 409 invalid_transition", async () => {
    const admin = await world.admin();
    const pending = await pendingRequest();
    const approved = await pendingRequest();
    await admin.post(`/api/v1/admin/requests/${approved.id}/approve`);
    for (const id of [pending.id, approved.id]) {
      const res = await admin.post(`/api/v1/admin/requests/${id}/retry`);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe("invalid_transition");
    }
    expect((await getRequest(stack.data, pending.id))!.attempt).toBe(0);
    expect((await getRequest(stack.data, approved.id))!.attempt).toBe(1);
  });
});

describe("admin access", () => {
  it("refuses every admin route to an operator with 403 and to a stranger with 401", async () => {
    const { id, client } = await pendingRequest();
    const stranger = world.app.client();
    const routes: [string, string, unknown?][] = [
      ["GET", "/api/v1/admin/requests"],
      ["GET", `/api/v1/admin/requests/${id}`],
      ["POST", `/api/v1/admin/requests/${id}/approve`],
      ["POST", `/api/v1/admin/requests/${id}/reject`, { reason: "no" }],
      ["POST", `/api/v1/admin/requests/${id}/retry`],
    ];
    for (const [method, path, body] of routes) {
      const asOperator = method === "GET" ? await client.get(path) : await client.post(path, body);
      expect(asOperator.status, `${method} ${path}`).toBe(403);
      expect(asOperator.body.error.code).toBe("forbidden");
      const asStranger = method === "GET" ? await stranger.get(path) : await stranger.post(path, body);
      expect(asStranger.status, `${method} ${path}`).toBe(401);
    }
    expect((await getRequest(stack.data, id))!.status).toBe("pending");
  });
});

describe("GET /api/v1/admin/requests/{id}", () => {
  it("shows the full audit timeline with actors and admin-only events", async () => {
    const { id, userId } = await pendingRequest();
    const admin = await world.admin();
    await admin.post(`/api/v1/admin/requests/${id}/approve`);
    await failRequest(id);
    const res = await admin.get(`/api/v1/admin/requests/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.request.user_id).toBe(userId);
    expect(res.body.events.map((e: { action: string }) => e.action)).toEqual([
      "request.created",
      "request.approve",
      "request.fail",
    ]);
    expect(res.body.events[0]).toMatchObject({ actor_type: "user", actor_id: userId, to_status: "pending" });
    expect(res.body.events[2]).toMatchObject({ actor_type: "system", visibility: "admin" });
  });
});

describe("GET /api/v1/admin/requests", () => {
  let list: TestStack;
  let w: Actors;
  let admin: Awaited<ReturnType<Actors["admin"]>>;
  const ids: Record<string, string[]> = { old: [], fresh: [] };
  const asnA = nextAsn();
  const asnB = nextAsn();

  beforeAll(async () => {
    // Own table: these assertions are about exactly what the queue holds.
    list = await testStack();
    await seedNetworks(list.data);
    const hourAgo = new Date(Date.now() - 60 * 60_000);
    let tick = 0;
    // A clock that starts an hour ago and moves 1 ms per request, so creation order is total.
    const oldWorld = actors(list, { now: () => new Date(hourAgo.getTime() + tick++) });
    const opOld = await oldWorld.operator({ asns: [asnA, asnB] });
    for (let i = 0; i < 4; i++) {
      const res = await opOld.client.post("/api/v1/requests", newRequestBody(i % 2 ? asnB : asnA));
      ids.old!.push(res.body.request.request_id);
    }
    w = actors(list);
    const opNew = await w.operator({ asns: [asnA], networks: [TEST_NETWORK_ID, OTHER_NETWORK_ID] });
    for (let i = 0; i < 3; i++) {
      const res = await opNew.client.post(
        "/api/v1/requests",
        newRequestBody(asnA, { zt_network_id: i === 2 ? OTHER_NETWORK_ID : TEST_NETWORK_ID }),
      );
      ids.fresh!.push(res.body.request.request_id);
    }
    admin = await w.admin();
    await admin.post(`/api/v1/admin/requests/${ids.old![1]}/approve`);
    await admin.post(`/api/v1/admin/requests/${ids.fresh![0]}/reject`, { reason: "test" });
  });

  const idsOf = (res: { body: { items: { request_id: string }[] } }) =>
    res.body.items.map((r) => r.request_id);

  it("lists every status oldest first by default, and newest first with order=desc", async () => {
    const all = [...ids.old!, ...ids.fresh!];
    expect(idsOf(await admin.get("/api/v1/admin/requests"))).toEqual(all);
    expect(idsOf(await admin.get("/api/v1/admin/requests?order=desc"))).toEqual([...all].reverse());
  });

  it("filters by one status or several", async () => {
    expect(idsOf(await admin.get("/api/v1/admin/requests?status=approved"))).toEqual([ids.old![1]]);
    expect(idsOf(await admin.get("/api/v1/admin/requests?status=approved,rejected"))).toEqual([
      ids.old![1],
      ids.fresh![0],
    ]);
  });

  it("filters by ASN, alone or with status and network", async () => {
    const ofA = [ids.old![0], ids.old![2], ...ids.fresh!];
    expect(idsOf(await admin.get(`/api/v1/admin/requests?asn=${asnA}`))).toEqual(ofA);
    expect(idsOf(await admin.get(`/api/v1/admin/requests?asn=AS${asnB}&status=approved`))).toEqual([
      ids.old![1],
    ]);
    expect(
      idsOf(
        await admin.get(
          `/api/v1/admin/requests?asn=${asnA}&status=pending&zt_network_id=${OTHER_NETWORK_ID}`,
        ),
      ),
    ).toEqual([ids.fresh![2]]);
  });

  it("filters by network, with or without status", async () => {
    expect(idsOf(await admin.get(`/api/v1/admin/requests?zt_network_id=${OTHER_NETWORK_ID}`))).toEqual([
      ids.fresh![2],
    ]);
    expect(
      idsOf(
        await admin.get(`/api/v1/admin/requests?zt_network_id=${TEST_NETWORK_ID}&status=pending&order=desc`),
      ),
    ).toEqual([ids.fresh![1], ids.old![3], ids.old![2], ids.old![0]]);
  });

  it("keeps only requests older than min_age_minutes", async () => {
    expect(idsOf(await admin.get("/api/v1/admin/requests?min_age_minutes=30"))).toEqual(ids.old);
    expect(
      idsOf(await admin.get("/api/v1/admin/requests?min_age_minutes=30&order=desc&status=pending")),
    ).toEqual([ids.old![3], ids.old![2], ids.old![0]]);
    expect(idsOf(await admin.get("/api/v1/admin/requests?min_age_minutes=120"))).toEqual([]);
  });

  it("pages with an opaque cursor in both orders, with and without filters", async () => {
    const walk = async (query: string) => {
      const out: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: { items: { request_id: string }[]; next_cursor: string | null } } =
          await admin.get(`/api/v1/admin/requests?limit=2&${query}${cursor ? `&cursor=${cursor}` : ""}`);
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        out.push(...idsOf(res));
        cursor = res.body.next_cursor;
      } while (cursor);
      return out;
    };
    const all = [...ids.old!, ...ids.fresh!];
    expect(await walk("order=asc")).toEqual(all);
    expect(await walk("order=desc")).toEqual([...all].reverse());
    expect(await walk("min_age_minutes=30")).toEqual(ids.old);
    expect(await walk("min_age_minutes=30&order=desc")).toEqual([...ids.old!].reverse());
    expect(await walk(`asn=${asnA}`)).toEqual([ids.old![0], ids.old![2], ...ids.fresh!]);
    // ASN plus a status or network filter: the filtered read of one partition, paged.
    expect(await walk(`asn=${asnA}&status=pending`)).toEqual([
      ids.old![0],
      ids.old![2],
      ids.fresh![1],
      ids.fresh![2],
    ]);
    expect(await walk(`asn=${asnA}&zt_network_id=${TEST_NETWORK_ID}&order=desc`)).toEqual([
      ids.fresh![1],
      ids.fresh![0],
      ids.old![2],
      ids.old![0],
    ]);
    expect(await walk(`zt_network_id=${TEST_NETWORK_ID}&status=pending`)).toEqual([
      ids.old![0],
      ids.old![2],
      ids.old![3],
      ids.fresh![1],
    ]);
  });

  it("refuses malformed filters with 400 and field details", async () => {
    for (const q of [
      "status=bogus",
      "status=",
      "asn=abc",
      "zt_network_id=xyz",
      "min_age_minutes=-1",
      "min_age_minutes=1e9",
      "order=sideways",
      "limit=0",
      "limit=1000",
      "cursor=%00%01",
      "unknown=1",
    ]) {
      const res = await admin.get(`/api/v1/admin/requests?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error.code, q).toBe("validation_failed");
    }
  });
});
