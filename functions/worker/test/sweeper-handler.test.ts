import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { getRequest, transitionRequest } from "@ztix/data";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { drainQueue } from "../../api/test/helpers/workflow.ts";

let stack: TestStack;

beforeAll(async () => {
  stack = await testStack();
  // The handler builds its deps from the environment, as in Lambda: endpoints, links, config.
  process.env.ZTIX_MODE = "local";
  process.env.ZTIX_DYNAMODB_ENDPOINT = inject("dynamoEndpoint");
  process.env.ZTIX_SQS_ENDPOINT = inject("fauxqsEndpoint");
  const configPath = join(stack.dir, "runtime-config.yaml");
  const config = testConfig({ workflow: { approval_mode: "manual_admin", stuck_after_minutes: 1 } });
  // JSON is YAML: the parsed test config written back is a valid runtime-config file.
  writeFileSync(configPath, JSON.stringify(config));
  process.env.ZTIX_RUNTIME_CONFIG = configPath;
  process.env.LOG_LEVEL = "error";
});

describe("the sweeper Lambda handler", () => {
  it("re-enqueues an approved request older than the threshold from its own environment", async () => {
    const at = new Date(Date.now() - 5 * 60_000);
    const requestId = crypto.randomUUID();
    await stack.data.entities.joinRequest
      .create({
        requestId,
        userId: "u",
        asn: 64500,
        networkId: "8056c2e21c000001",
        nodeId: "1234567890",
        status: "pending",
        createdAt: at.toISOString(),
        updatedAt: at.toISOString(),
        attempt: 0,
        correlationId: "corr-sweeper",
      })
      .go();
    const pending = (await getRequest(stack.data, requestId))!;
    await transitionRequest(stack.data, pending, "approve", {
      set: { attempt: 1 },
      now: at,
      audit: { actorType: "admin", actorId: "test" },
    });

    const { handler } = await import("../src/sweeper-handler.ts");
    const report = await handler();
    expect(report.requeued).toEqual([requestId]);
    const messages = await drainQueue(stack.sqs, stack.queueUrl);
    expect(messages.map((m) => m.Attributes?.MessageDeduplicationId)).toEqual([
      expect.stringMatching(new RegExp(`^${requestId}-1-w1-`)),
    ]);
    expect(messages[0]!.MessageAttributes?.correlationId?.StringValue).toBe("corr-sweeper");
  });
});
