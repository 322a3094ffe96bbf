import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { RuntimeConfig } from "@ztix/core";
import type { DataService } from "@ztix/data";
import { type ApiClient, testApp } from "../../../../test/support/api.ts";
import { TEST_NETWORK_ID, testConfig } from "../../../../test/support/config.ts";
import type { TestStack } from "../../../../test/support/stack.ts";
import { seedUser, signIn } from "../../../../test/support/users.ts";

export { TEST_NETWORK_ID };
/** A second IX network for access-restriction tests. */
export const OTHER_NETWORK_ID = "8056c2e21c000002";
/** A network that exists but is switched off. */
export const INACTIVE_NETWORK_ID = "8056c2e21c000003";

/** Writes the IX networks the tests use (two active, one inactive). */
export async function seedNetworks(data: DataService) {
  const now = new Date().toISOString();
  const rows = [
    { networkId: TEST_NETWORK_ID, suffix: "000001", name: "ZT-IX LAN", active: true },
    { networkId: OTHER_NETWORK_ID, suffix: "000002", name: "ZT-IX Lab", active: true },
    { networkId: INACTIVE_NETWORK_ID, suffix: "000003", name: "Retired LAN", active: false },
  ];
  for (const r of rows) await data.entities.ixNetwork.create({ ...r, createdAt: now, updatedAt: now }).go();
}

let nodeCounter = 0x10_0000_0000;
/** A fresh, valid ZeroTier node id per call. */
export function nextNodeId(): string {
  nodeCounter += 1;
  return nodeCounter.toString(16).padStart(10, "0");
}

let asnCounter = 64496;
/** A fresh documentation/private ASN per call (valid under the test ASN policy). */
export function nextAsn(): number {
  asnCounter += 1;
  if (asnCounter === 64512) asnCounter = 4_200_000_000; // skip into the 32-bit private range
  return asnCounter;
}

export interface Actors {
  stack: TestStack;
  config: RuntimeConfig;
  app: ReturnType<typeof testApp>;
  /** A signed-in operator holding the given ASNs. */
  operator(input?: {
    asns?: number[];
    networks?: string[];
  }): Promise<{ client: ApiClient; asns: number[]; userId: string }>;
  /** A signed-in admin. */
  admin(): Promise<ApiClient>;
}

/** The app plus helpers to sign people in, for one config. */
export function actors(
  stack: TestStack,
  options: { config?: RuntimeConfig; queueUrl?: string; now?: () => Date } = {},
): Actors {
  const config = options.config ?? testConfig();
  const deps = {
    ...(options.queueUrl ? { queueUrl: options.queueUrl } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
  const app = testApp(stack, { config, deps });
  return {
    stack,
    config,
    app,
    async operator(input = {}) {
      const asns = input.asns ?? [nextAsn()];
      const user = await seedUser(stack.data, {
        asns: asns.map((asn) => ({ asn, name: `Net ${asn}` })),
        networks: input.networks,
      });
      const client = await signIn(app.client(), stack.data, config, user);
      return { client, asns, userId: user.userId };
    },
    async admin() {
      const user = await seedUser(stack.data, { isAdmin: true, username: `admin-${nextAsn()}` });
      return signIn(app.client(), stack.data, config, user);
    },
  };
}

/** How many messages the queue holds (visible + in flight). */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const a = out.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/**
 * Receives (and deletes) every visible message, with its FIFO attributes and message attributes.
 * Returned: all but the node checks (`inspect_request`) every new request queues, unless
 * `nodeChecks` (admin-context.test.ts and the worker's inspect.test.ts test those).
 */
export async function drainQueue(
  sqs: SQSClient,
  queueUrl: string,
  options: { nodeChecks?: boolean } = {},
): Promise<Message[]> {
  const all = await drainAll(sqs, queueUrl);
  return options.nodeChecks ? all : all.filter((m) => !m.Body?.includes('"kind":"inspect_request"'));
}

async function drainAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    const batch = out.Messages ?? [];
    if (batch.length === 0) return all;
    for (const m of batch) {
      all.push(m);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
}

/** A request body for the given ASN on the test network, with a fresh node id. */
export function newRequestBody(asn: number, overrides: Record<string, unknown> = {}) {
  return { asn, zt_network_id: TEST_NETWORK_ID, node_id: nextNodeId(), ...overrides };
}
