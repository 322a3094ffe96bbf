import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { Hono } from "hono";
import type { AppDeps, AppEnv, BackendHealth } from "../env.ts";

async function probe(fn: () => Promise<unknown>): Promise<BackendHealth> {
  const started = performance.now();
  try {
    await fn();
    return { ok: true, latency_ms: Math.round(performance.now() - started) };
  } catch (e) {
    return {
      ok: false,
      detail: (e as Error).name || "error",
      latency_ms: Math.round(performance.now() - started),
    };
  }
}

/** Each backend's state; 200 when all are up, 503 otherwise. Reveals no names or secrets. */
export async function checkHealth(
  deps: AppDeps,
): Promise<{ ok: boolean; backends: Record<string, BackendHealth> }> {
  const probes: Record<string, () => Promise<BackendHealth>> = {
    dynamodb: () => probe(() => deps.dynamo.send(new DescribeTableCommand({ TableName: deps.tableName }))),
    queue: () =>
      probe(() =>
        deps.sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: deps.queueUrl, AttributeNames: ["QueueArn"] }),
        ),
      ),
    ...deps.healthProbes,
  };
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, run]) => [name, await run()] as const),
  );
  const backends = Object.fromEntries(entries);
  return { ok: entries.every(([, h]) => h.ok), backends };
}

export const healthRoutes = new Hono<AppEnv>().get("/health", async (c) => {
  const result = await checkHealth(c.get("deps"));
  return c.json({ status: result.ok ? "ok" : "degraded", backends: result.backends }, result.ok ? 200 : 503);
});
