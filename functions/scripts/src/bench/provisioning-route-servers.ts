/**
 * Approve → `active` latency with two route servers on loopback: the local stack (DynamoDB
 * Local + fauxqs), the controller emulator, and two BIRD daemons reached over a real sshd with
 * a pinned host key. Requests are approved through the workflow (which queues the job) and
 * run by the worker's local poller, one request at a time (the provisioning job, then each
 * route server's reconcile), so the figure is the pipeline, not queueing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "@ztix/core";
import { getRequest, syncsOfRequest } from "@ztix/data";
import { startSshd } from "@ztix/local-stack";
import { approveAndDispatch } from "@ztix/workflow";
// Dev tooling reuses the route-server package's loopback fixtures (sshd + BIRD launchers).
import { protocolStates } from "../../../../packages/route-servers/test/support/bird.ts";
import {
  type RouteServerHost,
  startRouteServerHost,
} from "../../../../packages/route-servers/test/support/route-server-host.ts";
import { startPoller } from "../../../worker/src/poller.ts";
import { startProvisioningStack } from "./_provisioning-stack.ts";
import { percentile } from "./_stats.ts";

const REQUESTS = 15;
const WARMUP = 1;
const ROUTE_SERVERS = ["rs-a", "rs-b"];
const REQUEST_TIMEOUT_MS = 60_000;

function missingTools(): string[] {
  const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
  return [
    ...["bird", "birdc", "ssh-keygen"].filter((c) => !has(c)),
    ...(existsSync("/usr/sbin/sshd") ? [] : ["/usr/sbin/sshd"]),
  ];
}

export async function run(): Promise<Record<string, unknown>> {
  const missing = missingTools();
  if (missing.length > 0) return { skipped: `needs ${missing.join(", ")} (not installed)` };

  const hosts: RouteServerHost[] = [];
  const stack = await startProvisioningStack({
    name: "prov-rs",
    extend: async ({ dir, defer }) => {
      mkdirSync(join(dir, "ssh"));
      const sshd = await startSshd(join(dir, "ssh"));
      defer(() => sshd.stop());
      defer(() => Promise.allSettled(hosts.map((h) => h.bird.stop())));
      for (const id of ROUTE_SERVERS) {
        const host = await startRouteServerHost({ baseDir: dir, id, ssh: sshd });
        host.config = { ...host.config, peering_ipv4: ["10.64.0.1"], peering_ipv6: ["2001:db8:64::1"] };
        hosts.push(host);
      }
      return {
        secrets: { "rs-key": sshd.userPrivateKey },
        config: {
          route_servers: hosts.map((h) => h.config),
          route_server_policy: { allow_documentation_resources: true },
        },
      };
    },
  });
  try {
    const { data, config, sqs, queueUrl } = stack;
    const workflow = {
      config,
      data,
      sqs,
      queueUrl,
      log: createLogger({ level: "error", sink: () => undefined }),
      now: () => new Date(),
    };
    const poller = startPoller({
      deps: stack.deps,
      sqs,
      queueUrl,
      waitTimeSeconds: 1,
      loops: 2,
      onOutcome: stack.onOutcome,
    });
    stack.defer(() => poller.stop());

    const approveAndWait = async () => {
      const pending = await stack.newPendingRequest();
      const at = performance.now();
      const { request, dispatch } = await approveAndDispatch(workflow, pending, {
        type: "admin",
        id: "bench",
      });
      if (!dispatch.enqueued) throw new Error(`the job was not queued: ${dispatch.error}`);
      const finished = await stack.waitActive([request.requestId], REQUEST_TIMEOUT_MS);
      const final = await getRequest(data, request.requestId);
      const syncs = await syncsOfRequest(data, request.requestId);
      if (syncs.length !== ROUTE_SERVERS.length || syncs.some((s) => s.state !== "in_sync"))
        throw new Error(`request ${request.requestId} active without every route server in sync`);
      return {
        wallMs: finished.get(request.requestId)! - at,
        recordedMs: Date.parse(final!.activeAt!) - Date.parse(final!.approvedAt!),
      };
    };

    // The first job opens both SSH paths and writes each server's policy; it is not counted.
    for (let i = 0; i < WARMUP; i++) await approveAndWait();
    const wall: number[] = [];
    const recorded: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const r = await approveAndWait();
      wall.push(r.wallMs);
      recorded.push(r.recordedMs);
    }
    wall.sort((a, b) => a - b);
    recorded.sort((a, b) => a - b);

    // Each BIRD must now run the sessions of every member provisioned here (two per member).
    const sessions: Record<string, number> = {};
    for (const h of hosts) {
      sessions[h.config.id] = [...(await protocolStates(h.bird.socket)).keys()].filter((n) =>
        n.startsWith("m_as"),
      ).length;
    }
    return {
      route_servers: ROUTE_SERVERS.length,
      transport: "ssh (OpenSSH on loopback, pinned host key) → birdc",
      approve_to_active_ms: {
        requests: REQUESTS,
        warmup_excluded: WARMUP,
        p50: Math.round(percentile(wall, 50)),
        p95: Math.round(percentile(wall, 95)),
        max: Math.round(wall[wall.length - 1]!),
        p50_recorded: percentile(recorded, 50),
        p95_recorded: percentile(recorded, 95),
      },
      member_sessions_per_route_server: sessions,
    };
  } finally {
    await stack.stop();
  }
}
