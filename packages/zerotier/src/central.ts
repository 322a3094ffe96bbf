import { z } from "zod";
import { compareMember, compareNetwork } from "./compare.ts";
import { ControllerError, errorForStatus } from "./errors.ts";
import type { HttpClient } from "./http.ts";
import { parse } from "./self-hosted.ts";
import {
  type ControllerProvider,
  ipPoolSchema,
  type NetworkSettings,
  routeSchema,
  type ZtNetwork,
} from "./types.ts";

const centralNetworkSchema = z.object({
  id: z.string(),
  config: z.object({
    name: z.string().default(""),
    private: z.boolean().default(true),
    mtu: z.number().default(2800),
    ipAssignmentPools: z.array(ipPoolSchema).nullish(),
    routes: z.array(routeSchema).nullish(),
    v4AssignMode: z.object({ zt: z.boolean().default(false) }).nullish(),
    v6AssignMode: z
      .object({
        zt: z.boolean().default(false),
        rfc4193: z.boolean().default(false),
        "6plane": z.boolean().default(false),
      })
      .nullish(),
  }),
  revision: z.number().optional(),
});
const centralMemberSchema = z.object({
  networkId: z.string(),
  nodeId: z.string(),
  name: z.string().nullish(),
  config: z.object({
    authorized: z.boolean().default(false),
    ipAssignments: z.array(z.string()).nullish(),
    revision: z.number().optional(),
  }),
});
const centralStatusSchema = z.object({
  online: z.boolean().default(true),
  version: z.string().default("central"),
});

export interface CentralOptions {
  http: HttpClient;
  token: () => Promise<string>;
  /** Central hosts networks on its own controllers: the 10-hex prefix of the IX networks. */
  controllerAddress: string;
}

/**
 * ZeroTier Central (`central`), kept only for migrating existing deployments. Central
 * cannot create a network with a chosen id, so a missing network is a permanent error here.
 */
export function centralProvider(options: CentralOptions): ControllerProvider {
  async function call(method: string, path: string, body?: unknown) {
    const token = await options.token();
    return options.http.send({
      method,
      path,
      headers: { Authorization: `token ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
  async function get<T>(schema: z.ZodType<T>, path: string): Promise<T | null> {
    const res = await call("GET", path);
    if (res.status === 404) return null;
    const err = errorForStatus(res.status, `GET ${path}`);
    if (err) throw err;
    return parse(schema, res.text, `GET ${path}`);
  }
  const networkOf = (n: z.infer<typeof centralNetworkSchema>): ZtNetwork => ({
    id: n.id,
    name: n.config.name,
    private: n.config.private,
    mtu: n.config.mtu,
    revision: n.revision ?? 0,
    ipAssignmentPools: n.config.ipAssignmentPools ?? [],
    routes: (n.config.routes ?? []).map((r) => ({ target: r.target, via: r.via })),
    v4AssignMode: n.config.v4AssignMode ?? { zt: false },
    v6AssignMode: n.config.v6AssignMode ?? { zt: false, rfc4193: false, "6plane": false },
  });
  const memberPath = (nwid: string, id: string) =>
    `/network/${nwid.toLowerCase()}/member/${id.toLowerCase()}`;

  const provider: ControllerProvider = {
    kind: "central",
    async status() {
      const s = await get(centralStatusSchema, "/status");
      return {
        address: options.controllerAddress,
        version: s?.version ?? "central",
        online: s?.online ?? false,
      };
    },
    async controllerInfo() {
      const s = await get(centralStatusSchema, "/status");
      return { controller: true, apiVersion: 1, databaseReady: s?.online ?? false };
    },
    async listNetworks() {
      const list = (await get(z.array(centralNetworkSchema), "/network")) ?? [];
      return list.map((n) => n.id);
    },
    async getNetwork(networkId) {
      const n = await get(centralNetworkSchema, `/network/${networkId.toLowerCase()}`);
      return n ? networkOf(n) : null;
    },
    async upsertNetwork(networkId, settings: NetworkSettings) {
      if (!(await provider.getNetwork(networkId))) {
        throw new ControllerError(
          "controller_network_not_found",
          `network ${networkId} does not exist on Central, which cannot create a network with a chosen id`,
        );
      }
      const res = await call("POST", `/network/${networkId.toLowerCase()}`, { config: settings });
      const err = errorForStatus(res.status, `POST /network/${networkId}`);
      if (err) throw err;
      const reread = await provider.getNetwork(networkId);
      if (!reread) throw new ControllerError("controller_network_not_found", `network ${networkId} vanished`);
      const diff = compareNetwork(reread, settings);
      if (diff.length)
        throw new ControllerError("controller_write_mismatch", `network did not keep: ${diff.join(", ")}`);
      return reread;
    },
    async getMember(networkId, memberId) {
      const m = await get(centralMemberSchema, memberPath(networkId, memberId));
      if (!m) return null;
      return {
        id: m.nodeId.toLowerCase(),
        networkId: m.networkId,
        authorized: m.config.authorized,
        ipAssignments: m.config.ipAssignments ?? [],
        name: m.name ?? "",
        revision: m.config.revision ?? 0,
      };
    },
    async upsertMember(networkId, memberId, update) {
      const path = memberPath(networkId, memberId);
      const res = await call("POST", path, {
        name: update.name,
        config: { authorized: update.authorized, ipAssignments: update.ipAssignments },
      });
      const err = errorForStatus(res.status, `POST ${path}`);
      if (err) throw err;
      const reread = await provider.getMember(networkId, memberId);
      if (!reread)
        throw new ControllerError("controller_write_mismatch", `member ${memberId} missing after the write`);
      const diff = compareMember(reread, update);
      if (diff.length)
        throw new ControllerError("controller_write_mismatch", `member did not keep: ${diff.join(", ")}`);
      return reread;
    },
    async deleteMember(networkId, memberId) {
      const path = memberPath(networkId, memberId);
      const res = await call("DELETE", path);
      if (res.status === 404) return false;
      const err = errorForStatus(res.status, `DELETE ${path}`);
      if (err) throw err;
      return true;
    },
    async close() {
      options.http.close();
    },
  };
  return provider;
}
