import { beforeAll, describe, expect, it } from "vitest";
import { testApp } from "../../../test/support/api.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";

describe("GET /api/v1/health", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await testStack();
  });

  it("reports each backend as up on the local stack", async () => {
    const { client } = testApp(stack);
    const res = await client().get("/api/v1/health");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "ok",
      backends: { dynamodb: { ok: true }, queue: { ok: true } },
    });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("answers 503 and names the backend that is down", async () => {
    const { client } = testApp(stack, { deps: { queueUrl: `${stack.queueUrl}-missing` } });
    const res = await client().get("/api/v1/health");
    expect(res.status).toBe(503);
    expect(res.body.backends.queue.ok).toBe(false);
    expect(res.body.backends.dynamodb.ok).toBe(true);
  });

  it("answers unknown routes with a JSON 404", async () => {
    const { client } = testApp(stack);
    const res = await client().get("/api/v1/nope");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });
});

describe("backend faults", () => {
  it("answer 503 with Retry-After when DynamoDB throttles, never a 500", async () => {
    const stack = await testStack();
    const { app } = testApp(stack);
    // DynamoDB Local never throttles: a route that throws the SDK's throttling error stands in.
    app.get("/throttled", () => {
      throw Object.assign(new Error("Rate exceeded"), { name: "ProvisionedThroughputExceededException" });
    });
    const res = await app.request("/throttled");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("service_unavailable");
  });
});
