/**
 * API benchmark (`npm run bench -- api`): its own DynamoDB Local + fauxqs, 10,000 requests
 * across 500 ASNs seeded by BatchWrite, then p50/p99 latency and DynamoDB calls per request
 * for the admin queue (first and tenth page), a request detail and request creation, all
 * through the real app (`app.request`, no HTTP server). Prints nothing; returns figures.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSession } from "@ztix/auth";
import {
  type AwsEndpoints,
  documentClient,
  dynamoClient,
  fileSecretStore,
  s3Client,
  sqsClient,
} from "@ztix/aws";
import { createLogger, type RuntimeConfig, requestStatuses, runtimeConfigSchema } from "@ztix/core";
import {
  type AuditEventItem,
  auditItem,
  countDynamoCalls,
  createService,
  type JoinRequestItem,
} from "@ztix/data";
import { bootstrapResources, startDynamoDbLocal, startFauxqsServer } from "@ztix/local-stack";
import { createApp } from "../../../api/src/app.ts";
import { percentile } from "./_stats.ts";

const REQUESTS = 10_000;
const ASNS = 500;
const FIRST_ASN = 4_200_000_000; // private-use range: the bench config allows it
const NETWORK_ID = "8056c2e21c000001";
const ITERATIONS = 100;
const ORIGIN = "http://localhost:8787";

function benchConfig(): RuntimeConfig {
  return runtimeConfigSchema.parse({
    // No lookups of the real PeeringDB from tests and benches (a test that wants them points at the stand-in).
    peeringdb_api: { enabled: false },
    public_url: ORIGIN,
    asn_policy: { allow_documentation: true, allow_private: true },
    networks: [
      {
        suffix: "000001",
        name: "Bench LAN",
        ipv4: { prefix: "192.0.2.0/24", pool_start: "192.0.2.10", pool_end: "192.0.2.250" },
        ipv6: { prefix: "2001:db8:100::/64", scheme: "asn_embedded" },
      },
    ],
  });
}

/** Runs `n` times in sequence; latency percentiles and the DynamoDB calls each run made. */
async function measure(
  counter: ReturnType<typeof countDynamoCalls>,
  n: number,
  run: (i: number) => Response | Promise<Response>,
  expectStatus = 200,
) {
  const times: number[] = [];
  const calls = new Set<number>();
  let scans = 0;
  for (let i = 0; i < n; i++) {
    counter.reset();
    const started = performance.now();
    const res = await run(i);
    await res.arrayBuffer();
    times.push(performance.now() - started);
    if (res.status !== expectStatus)
      throw new Error(`run ${i}: status ${res.status}, expected ${expectStatus}`);
    calls.add(counter.count.total);
    scans += counter.count.byCommand.ScanCommand ?? 0;
  }
  times.sort((a, b) => a - b);
  return {
    p50_ms: Math.round(percentile(times, 50) * 100) / 100,
    p99_ms: Math.round(percentile(times, 99) * 100) / 100,
    dynamodb_calls: [...calls].sort((a, b) => a - b).join(" or "),
    scans,
  };
}

/** 10,000 requests over 500 ASNs and every status, a month of creation times, a few audit events each. */
async function seed(data: ReturnType<typeof createService>) {
  const start = Date.now() - 30 * 24 * 3600_000;
  const requests: JoinRequestItem[] = [];
  const events: AuditEventItem[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const at = new Date(start + i * 250_000);
    const requestId = randomUUID();
    requests.push({
      requestId,
      userId: `bench-user-${i % ASNS}`,
      asn: FIRST_ASN + (i % ASNS),
      networkId: NETWORK_ID,
      nodeId: (0x2000000000 + i).toString(16),
      status: requestStatuses[i % requestStatuses.length]!,
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
      attempt: 0,
      correlationId: randomUUID(),
    });
    events.push(
      auditItem({
        subject: `request#${requestId}`,
        requestId,
        action: "request.created",
        actorType: "user",
        toStatus: "pending",
        visibility: "operator",
        at,
      }),
    );
  }
  const started = performance.now();
  for (const [entity, items] of [
    [data.entities.joinRequest, requests],
    [data.entities.auditEvent, events],
  ] as const) {
    const out = await (entity as typeof data.entities.joinRequest)
      .put(items as JoinRequestItem[])
      .go({ concurrent: 8 });
    if (out.unprocessed.length) throw new Error(`${out.unprocessed.length} items unprocessed while seeding`);
  }
  return { requests, seconds: Math.round((performance.now() - started) / 100) / 10 };
}

export async function run(): Promise<Record<string, unknown>> {
  const [dynamoLocal, fauxqs] = await Promise.all([startDynamoDbLocal(), startFauxqsServer()]);
  const dir = mkdtempSync(join(tmpdir(), "ztix-bench-api-"));
  try {
    const endpoints: AwsEndpoints = {
      mode: "local",
      region: "us-east-1",
      dynamodb: dynamoLocal.endpoint,
      sqs: fauxqs.endpoint,
      s3: fauxqs.endpoint,
    };
    const dynamo = dynamoClient(endpoints);
    const sqs = sqsClient(endpoints);
    const names = {
      tableName: "ztix-bench",
      queueName: "ztix-bench.fifo",
      dlqName: "ztix-bench-dlq.fifo",
      bucketName: "ztix-bench",
    };
    const created = await bootstrapResources({ dynamo, sqs, s3: s3Client(endpoints) }, names);
    const data = createService({ client: documentClient(dynamo), table: names.tableName });
    const seeded = await seed(data);

    const config = benchConfig();
    const secretsPath = join(dir, "secrets.json");
    writeFileSync(secretsPath, "{}", { mode: 0o600 });
    const counter = countDynamoCalls(dynamo);
    const app = createApp({
      config,
      data,
      tableName: names.tableName,
      dynamo,
      sqs,
      queueUrl: created.queueUrl,
      secrets: fileSecretStore(secretsPath),
      log: createLogger({ level: "error" }),
      now: () => new Date(),
    });

    const now = new Date().toISOString();
    const signIn = async (isAdmin: boolean, asn?: number) => {
      const userId = randomUUID();
      await data.entities.user
        .create({
          userId,
          displayName: "bench",
          source: "local",
          isAdmin,
          disabled: false,
          createdAt: now,
          updatedAt: now,
        })
        .go();
      if (asn) await data.entities.userAsn.create({ userId, asn, source: "local", createdAt: now }).go();
      const s = await createSession(data, { userId, authMethod: "local" }, config);
      return {
        cookie: `${config.session.cookie_name}=${s.token}; ztix_csrf=${s.csrfToken}`,
        csrf: s.csrfToken,
      };
    };
    await data.entities.ixNetwork
      .create({
        networkId: NETWORK_ID,
        suffix: "000001",
        name: "Bench LAN",
        active: true,
        createdAt: now,
        updatedAt: now,
      })
      .go();
    const admin = await signIn(true);
    const operatorAsn = FIRST_ASN + 7;
    const operator = await signIn(false, operatorAsn);
    const get = (path: string, who = admin) =>
      app.request(`${ORIGIN}${path}`, { headers: { cookie: who.cookie } });

    // The tenth page's cursor, found by walking nine pages of the pending queue.
    const queuePath = "/api/v1/admin/requests?status=pending";
    let cursor = "";
    for (let page = 1; page < 10; page++) {
      const res = await get(`${queuePath}${cursor ? `&cursor=${cursor}` : ""}`);
      const body = (await res.json()) as { next_cursor: string | null };
      if (!body.next_cursor) throw new Error(`the pending queue ran out at page ${page}`);
      cursor = body.next_cursor;
    }
    const allPath = "/api/v1/admin/requests";
    let allCursor = "";
    for (let page = 1; page < 10; page++) {
      const res = await get(`${allPath}${allCursor ? `?cursor=${allCursor}` : ""}`);
      allCursor = ((await res.json()) as { next_cursor: string }).next_cursor;
    }
    const detailId = seeded.requests.find((r) => r.asn === operatorAsn)!.requestId;
    let node = 0x3000000000;

    const routes = {
      "admin queue, pending, page 1 (50 items)": await measure(counter, ITERATIONS, () => get(queuePath)),
      "admin queue, pending, page 10": await measure(counter, ITERATIONS, () =>
        get(`${queuePath}&cursor=${cursor}`),
      ),
      "admin queue, all statuses, page 1": await measure(counter, ITERATIONS, () => get(allPath)),
      "admin queue, all statuses, page 10": await measure(counter, ITERATIONS, () =>
        get(`${allPath}?cursor=${allCursor}`),
      ),
      "admin queue, one ASN": await measure(counter, ITERATIONS, () => get(`${allPath}?asn=${operatorAsn}`)),
      "admin request detail": await measure(counter, ITERATIONS, () =>
        get(`/api/v1/admin/requests/${detailId}`),
      ),
      "operator request detail": await measure(counter, ITERATIONS, () =>
        get(`/api/v1/requests/${detailId}`, operator),
      ),
      "request creation": await measure(
        counter,
        ITERATIONS,
        () =>
          app.request(`${ORIGIN}/api/v1/requests`, {
            method: "POST",
            headers: {
              cookie: operator.cookie,
              origin: ORIGIN,
              "x-csrf-token": operator.csrf,
              "content-type": "application/json",
            },
            body: JSON.stringify({
              asn: operatorAsn,
              zt_network_id: NETWORK_ID,
              node_id: (node++).toString(16),
            }),
          }),
        201,
      ),
    };
    dynamo.destroy();
    sqs.destroy();
    return {
      seeded: { requests: REQUESTS, asns: ASNS, batch_write_seconds: seeded.seconds },
      iterations_per_route: ITERATIONS,
      note: "latency through app.request on DynamoDB Local (in-process, 2 shared cores); calls include 2 session GetItem",
      routes,
    };
  } finally {
    await Promise.all([dynamoLocal.stop(), fauxqs.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
