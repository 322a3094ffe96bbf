import { randomUUID } from "node:crypto";
import type { DataService } from "@ztix/data";

export interface ActiveMemberInput {
  asn: number;
  nodeId: string;
  /** The 16-hex network id; its last six are the suffix the route servers know. */
  networkId: string;
  ipv4?: string;
  ipv6?: string;
  /** Route servers whose record says the member's file is applied (`in_sync`). */
  inSyncOn?: string[];
  status?: "active" | "provisioning" | "pending" | "removed";
  userId?: string;
}

/**
 * Writes a membership as the worker leaves it once active, without running it: the request
 * (active), the route servers' desired-state record and, per route server named, its
 * `in_sync` record. For tests that read what the route servers carry.
 */
export async function seedActiveMember(data: DataService, input: ActiveMemberInput): Promise<string> {
  const requestId = randomUUID();
  const now = new Date().toISOString();
  const status = input.status ?? "active";
  await data.entities.joinRequest
    .create({
      requestId,
      userId: input.userId ?? "seeded-user",
      asn: input.asn,
      networkId: input.networkId,
      nodeId: input.nodeId,
      status,
      createdAt: now,
      updatedAt: now,
      attempt: 1,
      correlationId: randomUUID(),
      ...(status === "active" ? { activeAt: now } : {}),
    })
    .go();
  const network = input.networkId.slice(10);
  if (status === "active" || status === "provisioning") {
    await data.entities.routeServerMember
      .put({
        network,
        asn: input.asn,
        nodeId: input.nodeId,
        networkId: input.networkId,
        requestId,
        ...(input.ipv4 ? { ipv4: input.ipv4 } : {}),
        ...(input.ipv6 ? { ipv6: input.ipv6 } : {}),
        activation: status === "active" ? "active" : "pending",
        updatedAt: now,
      })
      .go();
  }
  for (const routeServerId of input.inSyncOn ?? []) {
    await data.entities.routeServerSync
      .put({
        routeServerId,
        requestId,
        fileName: `AS${input.asn}_${network}_${input.nodeId}.conf`,
        appliedHash: "0".repeat(64),
        state: "in_sync",
        observedAt: now,
        updatedAt: now,
      })
      .go();
  }
  return requestId;
}
