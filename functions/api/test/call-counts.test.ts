import { randomUUID } from "node:crypto";
import { poolHasRoom } from "@ztix/addresses";
import type { JoinRequestItem } from "@ztix/data";
import { beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../test/support/api.ts";
import { testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import {
  type Actors,
  actors,
  drainQueue,
  newRequestBody,
  nextNodeId,
  seedNetworks,
  TEST_NETWORK_ID,
} from "./helpers/workflow.ts";

/**
 * DynamoDB calls per route, counted by the SDK middleware on the app's client. Every figure
 * includes the session middleware's 2 GetItem (session, user). The same numbers must hold on
 * a table ten times bigger: no route's cost grows with the table, and none ever Scans.
 *
 * | route                                            | GetItem | Query | BatchGet | TransactWrite | total |
 * |--------------------------------------------------|---------|-------|----------|---------------|-------|
 * | GET  /onboarding/context (1 ASN)                 | 2       | 4     | 0        | 0             | 6     |
 * | POST /requests                                   | 2       | 3     | 0        | 1             | 6     |
 * | POST /requests (duplicate → 409)                 | 3       | 3     | 0        | 1             | 7     |
 * | POST /requests (policy_auto, job enqueued)       | 3       | 4     | 0        | 1             | 8     |
 * | GET  /requests (1 ASN)                           | 2       | 2     | 0        | 0             | 4     |
 * | GET  /requests/{id}                              | 4       | 3     | 0        | 0             | 7     |
 * | POST /requests/{id}/cancel                       | 3       | 1     | 0        | 1             | 5     |
 * | GET  /admin/requests?status=pending              | 2       | 1     | 1        | 0             | 4     |
 * | GET  /admin/requests (all 9 statuses)            | 2       | 9     | 1        | 0             | 12    |
 * | GET  /admin/requests?limit=100 (100 requesters)  | 2       | 9     | 1        | 0             | 12    |
 * | GET  /admin/requests?zt_network_id=N&status=S    | 2       | 1     | 1        | 0             | 4     |
 * | GET  /admin/requests?asn=A                       | 2       | 1     | 1        | 0             | 4     |
 * | GET  /admin/requests/{id}                        | 5       | 3     | 1        | 0             | 9     |
 * | POST /admin/requests/{id}/approve                | 4       | 1     | 0        | 1             | 6     |
 * | POST /admin/requests/{id}/reject                 | 3       | 0     | 0        | 1             | 4     |
 * | POST /admin/requests/{id}/retry                  | 4       | 1     | 0        | 1             | 6     |
 *
 * Admin listings name who asked: one BatchGetItem for the page's distinct requesters (a page
 * holds at most 100 rows, one batch), whatever the table holds; the admin detail reads its
 * requester and decider in one BatchGetItem too, and its decision context with one GetItem (the
 * ASN's PeeringDB record) and one Query (the ASN's other requests, on the byAsn index).
 *
 * policy_auto, approve and retry also read whether an address is left (the request's claim,
 * then the pool's state: one GetItem and one Query, whatever the network holds), and policy_auto
 * creates the request already approved in one transaction.
 */

type Counts = Record<string, number>;
const c = (get: number, query: number, tw = 0, batchGet = 0): Counts => ({
  ...(get ? { GetItemCommand: get } : {}),
  ...(query ? { QueryCommand: query } : {}),
  ...(batchGet ? { BatchGetItemCommand: batchGet } : {}),
  ...(tw ? { TransactWriteItemsCommand: tw } : {}),
});

let stack: TestStack;
let world: Actors;
let auto: Actors;
/** Index names of the Queries the last measured request made. */
let indexes: (string | undefined)[] = [];
/** Distinct requesters on the last full admin page read. */
let fullPageRequesters = 0;

beforeAll(async () => {
  stack = await testStack();
  await seedNetworks(stack.data);
  // The address pool's one-time setup (its state item) happens here, not inside a measured route.
  await poolHasRoom(stack.data, testConfig().networks[0]!, TEST_NETWORK_ID);
  world = actors(stack);
  auto = actors(stack, { config: testConfig({ workflow: { approval_mode: "policy_auto" } }) });
  stack.dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      if ((context as { commandName?: string }).commandName === "QueryCommand") {
        indexes.push((args.input as { IndexName?: string }).IndexName);
      }
      return next(args);
    },
    { step: "initialize", name: "testIndexRecorder" },
  );
});

async function measure(run: () => Promise<{ status: number }>, status = 200) {
  stack.calls.reset();
  indexes = [];
  const res = await run();
  expect(res.status).toBe(status);
  return { calls: stack.calls.snapshot().byCommand, indexes: [...indexes] };
}

/** Writes `n` requests straight into the table (BatchWrite), spread over statuses and ASNs. */
async function bulkRequests(n: number) {
  const statuses = [
    "pending",
    "approved",
    "provisioning",
    "active",
    "failed",
    "rejected",
    "cancelled",
  ] as const;
  const base = Date.now() - 7 * 24 * 3600_000;
  const items: JoinRequestItem[] = Array.from({ length: n }, (_, i) => ({
    requestId: randomUUID(),
    userId: randomUUID(),
    asn: 4_200_000_000 + (i % 50),
    networkId: TEST_NETWORK_ID,
    nodeId: nextNodeId(),
    status: statuses[i % statuses.length]!,
    createdAt: new Date(base + i * 1000).toISOString(),
    updatedAt: new Date(base + i * 1000).toISOString(),
    attempt: 0,
    correlationId: randomUUID(),
  }));
  await stack.data.entities.joinRequest.put(items).go();
}

describe("DynamoDB calls per route", () => {
  it("stay the same small constants on a table ten times bigger, and never Scan", async () => {
    const runOnce = async () => {
      const op = await world.operator();
      const asn = op.asns[0]!;
      const admin: ApiClient = await world.admin();
      const body = newRequestBody(asn);
      const out: Record<string, { calls: Counts; indexes: (string | undefined)[] }> = {};
      out.context = await measure(() => op.client.get("/api/v1/onboarding/context"));
      out.create = await measure(() => op.client.post("/api/v1/requests", body), 201);
      out.duplicate = await measure(() => op.client.post("/api/v1/requests", body), 409);
      const autoOp = await auto.operator();
      out.createAuto = await measure(
        () => autoOp.client.post("/api/v1/requests", newRequestBody(autoOp.asns[0]!)),
        201,
      );
      const id = (await op.client.get("/api/v1/requests")).body.items[0].request_id as string;
      out.list = await measure(() => op.client.get("/api/v1/requests"));
      out.detail = await measure(() => op.client.get(`/api/v1/requests/${id}`));
      const toCancel = (await op.client.post("/api/v1/requests", newRequestBody(asn))).body.request
        .request_id;
      out.cancel = await measure(() => op.client.post(`/api/v1/requests/${toCancel}/cancel`));
      out.adminPending = await measure(() => admin.get("/api/v1/admin/requests?status=pending"));
      out.adminAll = await measure(() => admin.get("/api/v1/admin/requests"));
      // A full page of 100 rows, each by another requester on the bigger table: still one batch.
      out.adminFullPage = await measure(async () => {
        const res = await admin.get("/api/v1/admin/requests?limit=100");
        fullPageRequesters = new Set(
          res.body.items.map((r: { requester: { user_id: string } }) => r.requester.user_id),
        ).size;
        return res;
      });
      out.adminNetwork = await measure(() =>
        admin.get(`/api/v1/admin/requests?zt_network_id=${TEST_NETWORK_ID}&status=pending`),
      );
      out.adminAsn = await measure(() => admin.get(`/api/v1/admin/requests?asn=${asn}`));
      out.adminDetail = await measure(() => admin.get(`/api/v1/admin/requests/${id}`));
      out.approve = await measure(() => admin.post(`/api/v1/admin/requests/${id}/approve`));
      const toReject = (await op.client.post("/api/v1/requests", newRequestBody(asn))).body.request
        .request_id;
      out.reject = await measure(() =>
        admin.post(`/api/v1/admin/requests/${toReject}/reject`, { reason: "no" }),
      );
      const stored = (await stack.data.entities.joinRequest.get({ requestId: id }).go()).data!;
      await stack.data.entities.joinRequest
        .patch({ requestId: id })
        .set({ status: "failed", createdAt: stored.createdAt, networkId: stored.networkId })
        .go();
      out.retry = await measure(() => admin.post(`/api/v1/admin/requests/${id}/retry`));
      await drainQueue(stack.sqs, stack.queueUrl);
      return out;
    };

    const small = await runOnce();
    await bulkRequests(700);
    const big = await runOnce();

    const expected: Record<string, Counts> = {
      context: c(2, 4),
      create: c(2, 3, 1),
      duplicate: c(3, 3, 1),
      createAuto: c(3, 4, 1),
      list: c(2, 2),
      detail: c(4, 3),
      cancel: c(3, 1, 1),
      adminPending: c(2, 1, 0, 1),
      adminAll: c(2, 9, 0, 1),
      adminFullPage: c(2, 9, 0, 1),
      adminNetwork: c(2, 1, 0, 1),
      adminAsn: c(2, 1, 0, 1),
      adminDetail: c(5, 3, 0, 1),
      approve: c(4, 1, 1),
      reject: c(3, 0, 1),
      retry: c(4, 1, 1),
    };
    for (const [route, counts] of Object.entries(expected)) {
      expect(small[route]!.calls, route).toEqual(counts);
      expect(big[route]!.calls, `${route} on the bigger table`).toEqual(counts);
      expect(big[route]!.calls.ScanCommand, route).toBeUndefined();
    }
    // The admin queue reads the index its filters call for.
    expect(big.adminPending!.indexes).toEqual(["gsi3"]);
    expect(big.adminAll!.indexes).toEqual(Array(9).fill("gsi3"));
    expect(big.adminNetwork!.indexes).toEqual(["gsi4"]);
    expect(big.adminAsn!.indexes).toEqual(["gsi2"]);
    // The detail's other requests of the ASN: a Query on its byAsn partition.
    expect(big.adminDetail!.indexes).toContain("gsi2");
    expect(big.list!.indexes).toEqual([undefined, "gsi2"]);
    expect(fullPageRequesters).toBe(100);
  });
});
