import { z } from "zod";

/** What `/status` says about the controller node. */
export interface ControllerStatus {
  address: string;
  version: string;
  online: boolean;
}

/** What `/controller` says about the controller database. */
export interface ControllerInfo {
  controller: boolean;
  apiVersion: number;
  databaseReady: boolean;
}

export const ipPoolSchema = z.object({ ipRangeStart: z.string(), ipRangeEnd: z.string() });
export const routeSchema = z.object({ target: z.string(), via: z.string().nullable().default(null) });

/** The network fields ZT-IX owns and reconciles; the rest of the controller's object is left alone. */
export const networkSettingsSchema = z.object({
  name: z.string(),
  private: z.boolean(),
  mtu: z.number(),
  ipAssignmentPools: z.array(ipPoolSchema),
  routes: z.array(routeSchema),
  v4AssignMode: z.object({ zt: z.boolean() }),
  v6AssignMode: z.object({ zt: z.boolean(), rfc4193: z.boolean(), "6plane": z.boolean() }),
});
export type NetworkSettings = z.infer<typeof networkSettingsSchema>;

export type ZtNetwork = NetworkSettings & { id: string; revision: number };

export interface ZtMember {
  id: string;
  networkId: string;
  authorized: boolean;
  ipAssignments: string[];
  name: string;
  revision: number;
}

/** The member fields a provisioning job sets. */
export interface MemberUpdate {
  authorized: boolean;
  ipAssignments: string[];
  name: string;
}

/**
 * A ZeroTier controller as ZT-IX uses it. Ids are lower-case; every write is an idempotent
 * upsert, re-read and compared, because the controller drops invalid fields silently.
 * Failures are ControllerErrors (transient or permanent, with stable codes).
 */
export interface ControllerProvider {
  readonly kind: "self_hosted_controller" | "central";
  status(): Promise<ControllerStatus>;
  controllerInfo(): Promise<ControllerInfo>;
  listNetworks(): Promise<string[]>;
  getNetwork(networkId: string): Promise<ZtNetwork | null>;
  upsertNetwork(networkId: string, settings: NetworkSettings): Promise<ZtNetwork>;
  getMember(networkId: string, memberId: string): Promise<ZtMember | null>;
  upsertMember(networkId: string, memberId: string, update: MemberUpdate): Promise<ZtMember>;
  /** True when a member was deleted, false when there was none. */
  deleteMember(networkId: string, memberId: string): Promise<boolean>;
  close(): Promise<void>;
}
