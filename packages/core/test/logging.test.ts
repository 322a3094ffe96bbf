import { describe, expect, it } from "vitest";
import { createLogger, withLogContext } from "../src/logger.ts";
import { emitMetric } from "../src/metrics.ts";

describe("JSON logger", () => {
  it("writes one JSON object per line with the request and correlation ids in scope", async () => {
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(l), base: { service: "api" } });
    await withLogContext({ requestId: "req-1", correlationId: "corr-1" }, async () => {
      await Promise.resolve();
      log.info("hello", { n: 1 });
    });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: "info",
      msg: "hello",
      service: "api",
      requestId: "req-1",
      correlationId: "corr-1",
      n: 1,
    });
  });

  it("never writes secrets, however deep", () => {
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(l) });
    log.info("login", {
      password: "hunter2",
      nested: { client_secret: "s3cr3t", token: "t", ok: "visible" },
    });
    expect(lines[0]).not.toMatch(/hunter2|s3cr3t|"t"/);
    expect(lines[0]).toContain("visible");
  });

  it("drops lines below the configured level", () => {
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(l), level: "warn" });
    log.info("quiet");
    log.error("loud");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["loud"]);
  });
});

describe("EMF metrics", () => {
  it("writes a CloudWatch Embedded Metric Format line", () => {
    const lines: string[] = [];
    emitMetric(
      "AuthAttempts",
      1,
      "Count",
      { method: "local", outcome: "success" },
      { sink: (l) => lines.push(l) },
    );
    const line = JSON.parse(lines[0]!);
    expect(line._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: "ZTIX",
      Dimensions: [["method", "outcome"]],
      Metrics: [{ Name: "AuthAttempts", Unit: "Count" }],
    });
    expect(line).toMatchObject({ method: "local", outcome: "success", AuthAttempts: 1 });
  });
});
