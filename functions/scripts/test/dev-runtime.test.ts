import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { documentClient, dynamoClient } from "@ztix/aws";
import { createService } from "@ztix/data";
import { freePort } from "@ztix/local-stack";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalRuntime } from "../src/dev/runtime.ts";

// The launcher mutates process.env (endpoints, SST_RESOURCE_*): restore it for other suites.
const savedEnv = { ...process.env };
afterAll(() => {
  process.env = savedEnv;
});

describe("npm run dev (the local runtime)", () => {
  it("comes up healthy on a fresh directory and keeps its data across restarts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ztix-dev-"));
    const ports = { api: await freePort(), controller: await freePort(), oidc: await freePort() };
    const first = await startLocalRuntime({ dir, ports, spa: false });
    try {
      const health = await fetch(`${first.url}/api/v1/health`);
      expect(health.status).toBe(200);
      const data = createService({ client: documentClient(dynamoClient()), table: "ztix" });
      await data.entities.ixNetwork
        .create({
          networkId: "8056c2e21c0000aa",
          suffix: "0000aa",
          name: "persisted",
          active: true,
          createdAt: "t",
          updatedAt: "t",
        })
        .go();
    } finally {
      await first.stop();
    }
    const second = await startLocalRuntime({ dir, ports, spa: false });
    try {
      const data = createService({ client: documentClient(dynamoClient()), table: "ztix" });
      const kept = await data.entities.ixNetwork.query.all({}).go();
      expect(kept.data.map((n) => n.name)).toContain("persisted");
    } finally {
      await second.stop();
    }
  }, 120_000);
});
