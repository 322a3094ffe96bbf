import { z } from "zod";
import { compareMember, compareNetwork } from "./compare.ts";
import { ControllerError, errorForStatus } from "./errors.ts";
import type { HttpClient, HttpResult } from "./http.ts";
import {
  type ControllerInfo,
  type ControllerProvider,
  type ControllerStatus,
  ipPoolSchema,
  type MemberUpdate,
  type NetworkSettings,
  routeSchema,
  type ZtMember,
  type ZtNetwork,
} from "./types.ts";

const statusSchema = z.object({
  address: z.string().regex(/^[0-9a-f]{10}$/),
  version: z.string(),
  online: z.boolean(),
});
const infoSchema = z.object({ controller: z.boolean(), apiVersion: z.number(), databaseReady: z.boolean() });
const networkSchema = z.object({
  id: z.string(),
  name: z.string(),
  private: z.boolean(),
  mtu: z.number(),
  revision: z.number(),
  ipAssignmentPools: z.array(ipPoolSchema),
  routes: z.array(routeSchema),
  v4AssignMode: z.object({ zt: z.boolean().default(false) }),
  v6AssignMode: z.object({
    zt: z.boolean().default(false),
    rfc4193: z.boolean().default(false),
    "6plane": z.boolean().default(false),
  }),
});
const memberSchema = z.object({
  id: z.string(),
  nwid: z.string(),
  authorized: z.boolean(),
  ipAssignments: z.array(z.string()),
  name: z.string().default(""),
  revision: z.number(),
});

export interface SelfHostedOptions {
  http: HttpClient;
  token: () => Promise<string>;
  /** Extra attempts after a connection-level failure (a dropped SSH channel); writes are idempotent. */
  transportRetries?: number;
  onClose?: () => Promise<void>;
  /** The controller refused our token: forget the cached one, so a rotated secret is read next time. */
  onUnauthorized?: () => void;
}

/** The zerotier-one controller API (`self_hosted_controller`), over a direct URL or an SSH channel. */
export function selfHostedProvider(options: SelfHostedOptions): ControllerProvider {
  const retries = options.transportRetries ?? 1;

  async function call(method: string, path: string, body?: unknown): Promise<HttpResult> {
    const token = await options.token();
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await options.http.send({
          method,
          path,
          headers: { "X-ZT1-Auth": token },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        if (res.status === 401) options.onUnauthorized?.();
        return res;
      } catch (e) {
        const retryable = e instanceof ControllerError && e.code === "controller_unreachable";
        if (!retryable || attempt >= retries) throw e;
      }
    }
  }

  async function json<T>(
    schema: z.ZodType<T>,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T | null> {
    const res = await call(method, path, body);
    if (res.status === 404) return null;
    const err = errorForStatus(res.status, `${method} ${path}`);
    if (err) throw err;
    return parse(schema, res.text, `${method} ${path}`);
  }

  const networkOf = (n: z.infer<typeof networkSchema>): ZtNetwork => ({
    id: n.id,
    name: n.name,
    private: n.private,
    mtu: n.mtu,
    revision: n.revision,
    ipAssignmentPools: n.ipAssignmentPools.map((p) => ({
      ipRangeStart: p.ipRangeStart,
      ipRangeEnd: p.ipRangeEnd,
    })),
    routes: n.routes.map((r) => ({ target: r.target, via: r.via })),
    v4AssignMode: n.v4AssignMode,
    v6AssignMode: n.v6AssignMode,
  });
  const memberOf = (m: z.infer<typeof memberSchema>): ZtMember => ({
    id: m.id.toLowerCase(),
    networkId: m.nwid,
    authorized: m.authorized,
    ipAssignments: m.ipAssignments,
    name: m.name,
    revision: m.revision,
  });

  const provider: ControllerProvider = {
    kind: "self_hosted_controller",
    async status(): Promise<ControllerStatus> {
      const s = await json(statusSchema, "GET", "/status");
      if (!s) throw new ControllerError("controller_bad_response", "GET /status: 404");
      return { address: s.address, version: s.version, online: s.online };
    },
    async controllerInfo(): Promise<ControllerInfo> {
      const c = await json(infoSchema, "GET", "/controller");
      if (!c)
        throw new ControllerError(
          "controller_bad_response",
          "GET /controller: 404 (is this node a controller?)",
        );
      return c;
    },
    async listNetworks() {
      return (await json(z.array(z.string()), "GET", "/controller/network")) ?? [];
    },
    async getNetwork(networkId) {
      const n = await json(networkSchema, "GET", `/controller/network/${lower(networkId)}`);
      return n ? networkOf(n) : null;
    },
    async upsertNetwork(networkId, settings: NetworkSettings) {
      const path = `/controller/network/${lower(networkId)}`;
      const written = await json(networkSchema, "POST", path, settings);
      if (!written) throw new ControllerError("controller_network_not_found", `POST ${path}: 404`);
      const reread = await provider.getNetwork(networkId);
      if (!reread)
        throw new ControllerError("controller_network_not_found", `${path} vanished after the write`);
      const diff = compareNetwork(reread, settings);
      if (diff.length) {
        throw new ControllerError(
          "controller_write_mismatch",
          `network ${networkId} did not keep: ${diff.join(", ")}`,
          {
            fields: diff,
          },
        );
      }
      return reread;
    },
    async getMember(networkId, memberId) {
      const path = `/controller/network/${lower(networkId)}/member/${lower(memberId)}`;
      const res = await call("GET", path);
      if (res.status === 404) return null;
      const err = errorForStatus(res.status, `GET ${path}`);
      if (err) throw err;
      return memberOf(parse(memberSchema, res.text, `GET ${path}`));
    },
    async upsertMember(networkId, memberId, update: MemberUpdate) {
      const path = `/controller/network/${lower(networkId)}/member/${lower(memberId)}`;
      const res = await call("POST", path, update);
      // 404 on a member write means the *network* is missing (the controller's documented quirk).
      const err = errorForStatus(res.status, `POST ${path}`);
      if (err) throw err;
      const reread = await provider.getMember(networkId, memberId);
      if (!reread)
        throw new ControllerError("controller_write_mismatch", `member ${memberId} missing after the write`);
      const diff = compareMember(reread, update);
      if (diff.length) {
        throw new ControllerError(
          "controller_write_mismatch",
          `member ${memberId} did not keep: ${diff.join(", ")}`,
          {
            fields: diff,
          },
        );
      }
      return reread;
    },
    async deleteMember(networkId, memberId) {
      const path = `/controller/network/${lower(networkId)}/member/${lower(memberId)}`;
      const res = await call("DELETE", path);
      if (res.status === 404) {
        // Tell "no such member" from "no such network": only the first is a success.
        if (!(await provider.getNetwork(networkId))) {
          throw new ControllerError("controller_network_not_found", `network ${networkId} does not exist`);
        }
        return false;
      }
      const err = errorForStatus(res.status, `DELETE ${path}`);
      if (err) throw err;
      return true;
    },
    async close() {
      options.http.close();
      await options.onClose?.();
    },
  };
  return provider;
}

const lower = (id: string) => id.toLowerCase();

export function parse<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ControllerError("controller_bad_response", `${what}: body is not JSON`);
  }
  const out = schema.safeParse(raw);
  if (!out.success) {
    throw new ControllerError(
      "controller_bad_response",
      `${what}: unexpected shape: ${out.error.issues[0]?.message}`,
    );
  }
  return out.data;
}
