import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileSecretStore } from "@ztix/aws";
import { createLogger, type RuntimeConfig, type RuntimeConfigInput } from "@ztix/core";
import { type SshdInstance, startSshd } from "@ztix/local-stack";
import { RouteServerConnections } from "@ztix/route-servers";
import { createControllerProvider, runPreflight } from "@ztix/zerotier";
import { type ControllerEmulator, startControllerEmulator } from "@ztix/zerotier-emulator";
import { sharedProvider, startPoller, type WorkerDeps } from "../../../functions/worker/src/index.ts";
import { startBird } from "../../../packages/route-servers/test/support/bird.ts";
import {
  type RouteServerHost,
  startRouteServerHost,
} from "../../../packages/route-servers/test/support/route-server-host.ts";
import type { TestStack } from "../../../test/support/stack.ts";
import { hasCommand } from "../../../test/support/system.ts";

/** Secret names the config below refers to (the test stack's secrets file holds them). */
const CONTROLLER_TOKEN_SECRET = "controller_token";
const ROUTE_SERVER_KEY_SECRET = "rs-key";

/** The IX networks the controller emulator hosts: the LAN members join, and a second one. */
export const NETWORKS = {
  lan: {
    suffix: "000001",
    name: "ZT-IX LAN",
    ipv4: { prefix: "192.0.2.0/24", pool_start: "192.0.2.10", pool_end: "192.0.2.250" },
    ipv6: { prefix: "2001:db8:100::/64", scheme: "asn_embedded" as const },
  },
  lab: {
    suffix: "000002",
    name: "ZT-IX Lab",
    ipv4: { prefix: "198.51.100.0/24", pool_start: "198.51.100.10", pool_end: "198.51.100.250" },
    ipv6: { prefix: "2001:db8:200::/64", scheme: "asn_embedded" as const },
  },
};

/** The route servers' ASN; members use other documentation ASNs (an eBGP session each). */
export const ROUTE_SERVER_ASN = 64499;

/** Route servers, BIRD and sshd: all present, or the browser suite cannot provision for real. */
export const routeServerToolsPresent = () =>
  hasCommand("bird") && hasCommand("birdc") && existsSync("/usr/sbin/sshd") && hasCommand("ssh-keygen");

/** This machine allows no traffic beyond loopback: a route server reached elsewhere is a bug here. */
function assertLoopback(host: string) {
  if (!(host.startsWith("127.") || host === "::1")) {
    throw new Error(`route server SSH host ${host} is not loopback: refusing to configure it`);
  }
}

/**
 * What provisioning runs against in the browser suite, all real: the controller emulator,
 * and two BIRD route servers (rs1, rs2) reached through a real sshd on loopback with a
 * pinned host key. Started before the test stack, whose secrets file must hold `secrets`.
 */
export interface ProvisioningBackends {
  emulator: ControllerEmulator;
  routeServers: RouteServerHost[];
  /** Secrets for the test stack's file: the controller token and the route servers' SSH key. */
  secrets: Record<string, string>;
  /** The runtime config parts pointing the API and the worker at these components. */
  config: Partial<RuntimeConfigInput>;
  /** A member as the controller itself reports it (its documented HTTP API), or null. */
  controllerMember(networkId: string, nodeId: string): Promise<Record<string, unknown> | null>;
  /** Stops a route server's BIRD (its sessions can then not be applied: a real failure). */
  stopRouteServer(id: string): Promise<void>;
  /** Starts that BIRD again on its own config and control socket. */
  restartRouteServer(id: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startProvisioningBackends(): Promise<ProvisioningBackends> {
  const dir = mkdtempSync(join(tmpdir(), "ztix-web-provisioning-"));
  const started: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const emulator = await startControllerEmulator({ homeDir: join(dir, "controller") });
    started.push(emulator.stop);
    mkdirSync(join(dir, "ssh"));
    const sshd: SshdInstance = await startSshd(join(dir, "ssh"));
    started.push(sshd.stop);
    const routeServers: RouteServerHost[] = [];
    started.push(() => Promise.allSettled(routeServers.map((h) => h.bird.stop())).then(() => undefined));
    for (const n of [1, 2]) {
      const host = await startRouteServerHost({
        baseDir: dir,
        id: `rs${n}`,
        ssh: sshd,
        asn: ROUTE_SERVER_ASN,
      });
      assertLoopback(host.config.ssh.host);
      // Distinct peering addresses on the LAN, so the page shows one session set per server.
      host.config = { ...host.config, peering_ipv4: [`192.0.2.${n}`], peering_ipv6: [`2001:db8:100::${n}`] };
      routeServers.push(host);
    }
    const host = (id: string) => {
      const found = routeServers.find((h) => h.config.id === id);
      if (!found) throw new Error(`no route server ${id}`);
      return found;
    };
    return {
      emulator,
      routeServers,
      secrets: {
        [CONTROLLER_TOKEN_SECRET]: emulator.token,
        [ROUTE_SERVER_KEY_SECRET]: sshd.userPrivateKey,
      },
      config: {
        networks: [NETWORKS.lan, NETWORKS.lab],
        controller: {
          transport: { kind: "direct", url: emulator.url },
          token: { secret: CONTROLLER_TOKEN_SECRET },
          home_dir: emulator.homeDir,
          restart_command: "true",
          request_timeout_ms: 2000,
        },
        route_servers: routeServers.map((h) => h.config),
        route_server_policy: { allow_documentation_resources: true },
      },
      async controllerMember(networkId, nodeId) {
        const res = await fetch(`${emulator.url}/controller/network/${networkId}/member/${nodeId}`, {
          headers: { "X-ZT1-Auth": emulator.token },
        });
        if (res.status === 404) return null;
        if (!res.ok) throw new Error(`controller answered HTTP ${res.status} for member ${nodeId}`);
        return (await res.json()) as Record<string, unknown>;
      },
      stopRouteServer: (id) => host(id).bird.stop(),
      async restartRouteServer(id) {
        const h = host(id);
        const bird = await startBird({ config: h.config.paths.main_config, dir: h.dir, name: "bird" });
        if (bird.socket !== h.config.paths.control_socket) {
          await bird.stop();
          throw new Error(`${id} restarted on ${bird.socket}, not ${h.config.paths.control_socket}`);
        }
        h.bird = bird;
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

export interface RunningWorker {
  /** Network id by config suffix: the emulator's address + the suffix, as preflight made them. */
  networkIds: Record<string, string>;
  /** The worker's log lines (JSON), for a failing test to show what happened. */
  log: string[];
  stop(): Promise<void>;
}

/**
 * Runs the real preflight (creates the IX networks on the controller, lists them in
 * DynamoDB, opens the gate), then the real worker polling the stack's FIFO queue: what the
 * SQS → Lambda integration does in AWS and `npm run dev` does locally.
 */
export async function startWorker(stack: TestStack, config: RuntimeConfig): Promise<RunningWorker> {
  const secrets = fileSecretStore(stack.secretsPath);
  const provider = sharedProvider(() => createControllerProvider(config.controller, secrets));
  const log: string[] = [];
  const deps: WorkerDeps = {
    config,
    data: stack.data,
    secrets,
    provider,
    sqs: stack.sqs,
    queueUrl: stack.queueUrl,
    connections: new RouteServerConnections(secrets),
    log: createLogger({
      level: (process.env.TEST_LOG_LEVEL as "debug") ?? "info",
      sink: (line) => {
        log.push(line);
        if (process.env.TEST_LOG_LEVEL) console.log(line);
      },
    }),
    now: () => new Date(),
    // Quick in-job retries: the suite's failures are permanent ones, met at once.
    retry: { attempts: 3, baseDelayMs: 2, maxDelayMs: 10 },
    // Reconciles that wait come back quickly: a route server brought back is seen within seconds.
    waitBackoff: { baseMs: 300, maxMs: 2000 },
    metricSink: () => undefined,
  };
  const report = await runPreflight({
    config,
    data: stack.data,
    provider: provider(),
    actor: { actorType: "system", actorId: "web-test" },
  });
  if (!report.ok) {
    await provider().close();
    throw new Error(`preflight failed: ${report.error?.code}: ${report.error?.message}`);
  }
  // Several loops, as Lambda runs message groups side by side: provisioning jobs and each
  // route server's reconciles. Retries come back quickly (a route server brought back).
  const poller = startPoller({
    deps,
    sqs: stack.sqs,
    queueUrl: stack.queueUrl,
    waitTimeSeconds: 1,
    loops: 3,
    retryVisibilitySeconds: 1,
    maxRetryVisibilitySeconds: 3,
  });
  return {
    networkIds: Object.fromEntries(report.networks.map((n) => [n.suffix, n.networkId])),
    log,
    async stop() {
      await poller.stop();
      await provider().close();
      await deps.connections.closeAll();
    },
  };
}
