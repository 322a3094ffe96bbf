import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RuntimeConfigInput } from "@ztix/core";
import { type SshdInstance, startSshd } from "@ztix/local-stack";
import { runPreflight } from "@ztix/zerotier";
import { protocolStates, startBird } from "../../../../packages/route-servers/test/support/bird.ts";
import {
  type RouteServerHost,
  startRouteServerHost,
} from "../../../../packages/route-servers/test/support/route-server-host.ts";
import { type ApiClient, testApp } from "../../../../test/support/api.ts";
import { seedUser, signIn } from "../../../../test/support/users.ts";
import { type Poller, startPoller } from "../../src/poller.ts";
import { type Harness, workerHarness } from "./harness.ts";

/**
 * The whole product on real components, for end-to-end worker tests: the API app, the real
 * worker polling the fauxqs FIFO queue (several loops, as Lambda runs message groups side by
 * side), the controller emulator, and two real BIRD route servers behind a real sshd with a
 * pinned host key. An operator holding `asns` and an admin are signed in.
 */
export interface RouteServerWorld {
  h: Harness;
  hosts: RouteServerHost[];
  operator: ApiClient;
  admin: ApiClient;
  rs(id: string): RouteServerHost;
  /** Operator submits, admin approves; the request id. */
  submitAndApprove(asn: number, nodeId: string): Promise<string>;
  protocols(id: string): Promise<Map<string, { state: string; info: string }>>;
  restartBird(id: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startRouteServerWorld(
  options: { asns?: number[]; config?: Partial<RuntimeConfigInput> } = {},
): Promise<RouteServerWorld> {
  const dir = mkdtempSync(join(tmpdir(), "ztix-rs-world-"));
  mkdirSync(join(dir, "ssh"));
  const sshd: SshdInstance = await startSshd(join(dir, "ssh"));
  const hosts: RouteServerHost[] = [];
  for (const id of ["rs-a", "rs-b"]) {
    const host = await startRouteServerHost({ baseDir: dir, id, ssh: sshd });
    host.config = { ...host.config, peering_ipv4: ["192.0.2.1"], peering_ipv6: ["2001:db8:100::1"] };
    hosts.push(host);
  }
  const h = await workerHarness({
    route_servers: hosts.map((x) => x.config),
    route_server_policy: {
      allow_documentation_resources: true,
      configure_timeout_seconds: 10,
      command_timeout_seconds: 20,
    },
    ...options.config,
  });
  // The route servers' SSH key sits in the same secret store as the controller token.
  const secrets = JSON.parse(readFileSync(h.stack.secretsPath, "utf8")) as Record<string, string>;
  writeFileSync(h.stack.secretsPath, JSON.stringify({ ...secrets, "rs-key": sshd.userPrivateKey }));
  const preflight = await runPreflight({ config: h.config, data: h.stack.data, provider: h.deps.provider() });
  if (!preflight.ok) throw new Error(`preflight failed: ${preflight.error?.message}`);

  const api = testApp(h.stack, { config: h.config });
  const asns = (options.asns ?? [64501, 64502, 64503]).map((asn) => ({ asn, name: `AS${asn} net` }));
  const op = await seedUser(h.stack.data, { asns, networks: [h.networkId] });
  const operator = await signIn(api.client(), h.stack.data, h.config, op);
  const adm = await seedUser(h.stack.data, { isAdmin: true, username: `admin-${Date.now() % 100000}` });
  const admin = await signIn(api.client(), h.stack.data, h.config, adm);
  const poller: Poller = startPoller({
    deps: h.deps,
    sqs: h.stack.sqs,
    queueUrl: h.stack.queueUrl,
    waitTimeSeconds: 1,
    loops: 4,
    retryVisibilitySeconds: 1,
    maxRetryVisibilitySeconds: 3,
  });
  const rs = (id: string) => hosts.find((x) => x.config.id === id)!;
  return {
    h,
    hosts,
    operator,
    admin,
    rs,
    async submitAndApprove(asn, nodeId) {
      const created = await operator.post("/api/v1/requests", {
        asn,
        zt_network_id: h.networkId,
        node_id: nodeId,
      });
      if (created.status !== 201)
        throw new Error(`submit answered ${created.status}: ${JSON.stringify(created.body)}`);
      const id = created.body.request.request_id as string;
      const approved = await admin.post(`/api/v1/admin/requests/${id}/approve`);
      if (approved.status !== 200)
        throw new Error(`approve answered ${approved.status}: ${JSON.stringify(approved.body)}`);
      return id;
    },
    protocols: (id) => protocolStates(rs(id).bird.socket),
    async restartBird(id) {
      const host = rs(id);
      host.bird = await startBird({ config: host.config.paths.main_config, dir: host.dir, name: "bird" });
    },
    async stop() {
      await poller.stop();
      await h.stop();
      await Promise.allSettled(hosts.map((x) => x.bird.stop()));
      await sshd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
