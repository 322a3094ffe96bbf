/**
 * DynamoDB going away under traffic, for real: a DynamoDB Local of this file's own, frozen
 * (SIGSTOP, a database that hangs) and killed (SIGKILL, one that refuses connections). The API
 * answers 503 with Retry-After within its time limits instead of hanging or answering 500,
 * health still answers, and the requests in flight complete once the database is back.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRequest } from "@ztix/data";
import { freePort, type RunningDynamoDb, startDynamoDbLocal, waitFor } from "@ztix/local-stack";
import { runPreflight } from "@ztix/zerotier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, testApp } from "../../../test/support/api.ts";
import { seedUser, signIn } from "../../../test/support/users.ts";
import { type Poller, startPoller } from "../src/poller.ts";
import { type Harness, nextNodeId, waitForStatus, workerHarness } from "./support/harness.ts";

let dir: string;
let db: RunningDynamoDb;
let port: number;
let h: Harness;
let poller: Poller;
let operator: ApiClient;
let admin: ApiClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ztix-ddb-outage-"));
  port = await freePort();
  db = await startDynamoDbLocal({ dataDir: join(dir, "db"), port });
  h = await workerHarness({}, { dynamodbEndpoint: db.endpoint });
  // Lists the IX network in DynamoDB and opens the gate, as a deploy does.
  expect((await runPreflight({ config: h.config, data: h.stack.data, provider: h.deps.provider() })).ok).toBe(
    true,
  );
  const api = testApp(h.stack, { config: h.config });
  const op = await seedUser(h.stack.data, {
    asns: [
      { asn: 64520, name: "A" },
      { asn: 64521, name: "B" },
    ],
    networks: [h.networkId],
  });
  operator = await signIn(api.client(), h.stack.data, h.config, op);
  const adm = await seedUser(h.stack.data, { isAdmin: true, username: "outage-admin" });
  admin = await signIn(api.client(), h.stack.data, h.config, adm);
  poller = startPoller({
    deps: h.deps,
    sqs: h.stack.sqs,
    queueUrl: h.stack.queueUrl,
    waitTimeSeconds: 1,
    loops: 2,
    retryVisibilitySeconds: 1,
    maxRetryVisibilitySeconds: 2,
    // Every job's outcome joins the worker's log, for a failure to show what happened.
    onOutcome: (m, o) => h.recentLogs.push(`outcome ${m.messageId} #${m.receiveCount} ${JSON.stringify(o)}`),
  });
}, 90_000);

afterAll(async () => {
  await poller?.stop();
  await h?.stop();
  await db?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function submitAndApprove(asn: number) {
  const created = await operator.post("/api/v1/requests", {
    asn,
    zt_network_id: h.networkId,
    node_id: nextNodeId(),
  });
  expect(created.status).toBe(201);
  const id = created.body.request.request_id as string;
  expect((await admin.post(`/api/v1/admin/requests/${id}/approve`)).status).toBe(200);
  return id;
}

/** Each call answers 503 service_unavailable (never 500), within `withinMs`. */
async function expectUnavailable(
  call: () => Promise<{ status: number; body: { error?: { code?: string } }; headers: Headers }>,
  withinMs: number,
) {
  const started = performance.now();
  const res = await call();
  const took = performance.now() - started;
  expect({ status: res.status, code: res.body.error?.code }).toEqual({
    status: 503,
    code: "service_unavailable",
  });
  expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
  expect(took).toBeLessThan(withinMs);
}

describe("DynamoDB unavailable under traffic", () => {
  it("answers 503 while it hangs, never hangs past the client timeouts, and loses nothing", async () => {
    const id = await submitAndApprove(64520);
    db.pause();
    try {
      // Time limits: 3 s per attempt, three attempts; far below the API's own 25 s.
      await expectUnavailable(() => operator.get("/api/v1/requests"), 20_000);
      await expectUnavailable(
        () =>
          operator.post("/api/v1/requests", {
            asn: 64521,
            zt_network_id: h.networkId,
            node_id: nextNodeId(),
          }),
        20_000,
      );
      const health = await operator.get("/api/v1/health");
      expect(health.status).toBe(503);
      expect(health.body.backends.dynamodb.ok).toBe(false);
    } finally {
      db.resume();
    }
    expect((await waitForStatus(h, id, ["active", "failed"], 60_000)).status).toBe("active");
  }, 120_000);

  it("answers 503 at once while it is down, and the request approved before completes once it is back", async () => {
    // Killed between two of the job's writes (its addresses taken, the controller not yet
    // told): SIGKILL in the middle of one DynamoDB Local transaction would test DynamoDB Local's
    // own crash safety, which the real service does not share.
    let killed: Promise<void> | undefined;
    h.deps.afterStep = async (step) => {
      if (step !== "addresses" || killed) return;
      killed = db.kill();
      await killed;
    };
    const id = await submitAndApprove(64521);
    try {
      await waitFor(async () => killed !== undefined, 30_000, "the job at its addresses step");
      await killed;
      await expectUnavailable(() => operator.get(`/api/v1/requests/${id}`), 15_000);
      await expectUnavailable(() => admin.get("/api/v1/admin/requests"), 15_000);
      // Longer than the deliveries SQS gives a message: the job must wait, not end.
      await new Promise((r) => setTimeout(r, 8_000));
    } finally {
      if (killed) db = await startDynamoDbLocal({ dataDir: join(dir, "db"), port });
      delete h.deps.afterStep;
    }
    const done = await waitForStatus(h, id, ["active", "failed"], 90_000);
    expect(done.status).toBe("active");
    expect((await getRequest(h.stack.data, id))?.lastErrorCode).toBeUndefined();
  }, 150_000);
});
