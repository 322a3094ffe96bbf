import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileSecretStore } from "@ztix/aws";
import { createLogger, type RouteServerConfig, type RuntimeConfig, runtimeConfigSchema } from "@ztix/core";
import type { RouteServerMemberItem } from "@ztix/data";
import { type ExecOptions, SshConnection, SshError } from "@ztix/ssh";
import { type TestStack, testStack } from "../../../../test/support/stack.ts";
import {
  type ReconcileDeps,
  type ReconcileOptions,
  RouteServerConnections,
  reconcileRouteServer,
} from "../../src/index.ts";
import { protocolStates } from "./bird.ts";
import { type RouteServerHost, startRouteServerHost } from "./route-server-host.ts";
import { type SshdInstance, startSshd } from "./sshd.ts";

/** Two lab networks on different LANs: 000001 (192.0.2.0/24) and 000002 (198.51.100.0/24). */
export const NET_A = { suffix: "000001", v4: "192.0.2", v6: "2001:db8:a::" };
export const NET_B = { suffix: "000002", v4: "198.51.100", v6: "2001:db8:b::" };

export interface ReconcileLab {
  dir: string;
  sshd: SshdInstance;
  stack: TestStack;
  hosts: Map<string, RouteServerHost>;
  config: RuntimeConfig;
  /** Rebuilds the runtime config (route servers added, policy changed) for later reconciles. */
  setConfig(change: { routeServers?: RouteServerConfig[]; policy?: Record<string, unknown> }): void;
  addHost(id: string, overrides?: Partial<RouteServerConfig>): Promise<RouteServerHost>;
  deps(overrides?: Partial<ReconcileDeps>): ReconcileDeps;
  reconcile(id: string, options?: ReconcileOptions): ReturnType<typeof reconcileRouteServer>;
  putMember(
    m: Partial<RouteServerMemberItem> & { asn: number; nodeId: string; host: number },
  ): Promise<RouteServerMemberItem>;
  deleteMember(m: Pick<RouteServerMemberItem, "network" | "asn" | "nodeId">): Promise<void>;
  protocols(id: string): Promise<Map<string, { state: string; info: string }>>;
  stop(): Promise<void>;
}

function config(routeServers: RouteServerConfig[], policy: Record<string, unknown>): RuntimeConfig {
  return runtimeConfigSchema.parse({
    networks: [NET_A, NET_B].map((n) => ({
      suffix: n.suffix,
      name: `lab ${n.suffix}`,
      ipv4: { prefix: `${n.v4}.0/24`, pool_start: `${n.v4}.10`, pool_end: `${n.v4}.250` },
      ipv6: { prefix: `${n.v6}/64` },
    })),
    route_servers: routeServers,
    route_server_policy: {
      allow_documentation_resources: true,
      configure_timeout_seconds: 3,
      command_timeout_seconds: 5,
      ...policy,
    },
  });
}

/**
 * Route servers for reconcile tests: real BIRD daemons (one directory tree and control socket
 * each) behind one real sshd with a pinned host key, desired state in DynamoDB Local, and the
 * reconciler itself as the worker would run it.
 */
export async function startReconcileLab(
  ids: string[],
  options: { policy?: Record<string, unknown>; rs?: Record<string, Partial<RouteServerConfig>> } = {},
): Promise<ReconcileLab> {
  const dir = mkdtempSync(join(tmpdir(), "ztix-reconcile-"));
  mkdirSync(join(dir, "ssh"));
  const sshd = await startSshd(join(dir, "ssh"));
  const stack = await testStack({ secrets: { "rs-key": sshd.userPrivateKey } });
  const secrets = fileSecretStore(stack.secretsPath);
  const connections = new RouteServerConnections(secrets);
  const hosts = new Map<string, RouteServerHost>();
  let policy = options.policy ?? {};
  let routeServers: RouteServerConfig[] = [];

  const lab: ReconcileLab = {
    dir,
    sshd,
    stack,
    hosts,
    config: config([], policy),
    setConfig(change) {
      if (change.routeServers) routeServers = change.routeServers;
      if (change.policy) policy = { ...policy, ...change.policy };
      lab.config = config(routeServers, policy);
    },
    async addHost(id, overrides = {}) {
      const host = await startRouteServerHost({ baseDir: dir, id, ssh: sshd });
      host.config = {
        ...host.config,
        peering_ipv4: [`${NET_A.v4}.1`, `${NET_B.v4}.1`],
        peering_ipv6: [`${NET_A.v6}1`, `${NET_B.v6}1`],
        ...overrides,
      };
      hosts.set(id, host);
      lab.setConfig({ routeServers: [...routeServers.filter((r) => r.id !== id), host.config] });
      return host;
    },
    deps: (overrides = {}) => ({
      config: lab.config,
      data: stack.data,
      secrets,
      connections,
      log: createLogger({ level: "error", sink: () => undefined }),
      now: () => new Date(),
      ...overrides,
    }),
    reconcile: (id, opts) => reconcileRouteServer(lab.deps(), id, opts),
    async putMember(m) {
      const net = m.network === NET_B.suffix ? NET_B : NET_A;
      const item: RouteServerMemberItem = {
        network: net.suffix,
        networkId: `8056c2e21c${net.suffix}`,
        requestId: `req-${net.suffix}-${m.asn}-${m.nodeId}`,
        ipv4: `${net.v4}.${m.host}`,
        ipv6: `${net.v6}${m.host.toString(16)}`,
        activation: "pending",
        updatedAt: new Date().toISOString(),
        ...m,
      } as RouteServerMemberItem;
      const { host: _host, ...clean } = item as RouteServerMemberItem & { host?: number };
      await stack.data.entities.routeServerMember.put(clean).go();
      return clean;
    },
    async deleteMember(m) {
      await stack.data.entities.routeServerMember
        .delete({ network: m.network, asn: m.asn, nodeId: m.nodeId })
        .go();
    },
    protocols: (id) => protocolStates(hosts.get(id)!.bird.socket),
    async stop() {
      await connections.closeAll();
      await Promise.allSettled([...hosts.values()].map((h) => h.bird.stop()));
      await sshd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const id of ids) await lab.addHost(id, options.rs?.[id]);
  return lab;
}

/**
 * Connections that can lose their network for good, as a partition would: the SSH connection
 * is really closed, and every later command (or reconnect) fails like an unreachable host.
 */
export class PartitionableConnections extends RouteServerConnections {
  private cut = false;
  private readonly made: SshConnection[] = [];

  override get(rs: RouteServerConfig): SshConnection {
    const parent = this;
    const connection = new (class extends SshConnection {
      override exec(command: string, options?: ExecOptions) {
        if (parent.cut)
          return Promise.reject(new SshError("ssh_disconnected", "network partition (test)", true));
        return super.exec(command, options);
      }
    })(rs.ssh, () => this.secretsFor(rs));
    this.made.push(connection);
    return connection;
  }

  constructor(private readonly store: { get(name: string): Promise<string> }) {
    super(store as never);
  }

  private secretsFor(rs: RouteServerConfig) {
    return this.store.get(rs.ssh.private_key.secret);
  }

  /** Cuts the network: open connections close, nothing reconnects. */
  async partition(): Promise<void> {
    this.cut = true;
    await Promise.all(this.made.map((c) => c.close()));
  }

  override async closeAll(): Promise<void> {
    await Promise.all(this.made.map((c) => c.close()));
  }
}
