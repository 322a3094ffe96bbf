import type { MemberAddresses } from "@ztix/addresses";
import type { JoinRequestItem } from "@ztix/data";
import type { ZtMember } from "@ztix/zerotier";
import type { WorkerDeps } from "../deps.ts";

export const memberName = (asn: number) => `AS${asn}`;

/** Step 3a: authorize the member on the controller with its addresses (re-read and compared). */
export function upsertMemberStep(
  deps: WorkerDeps,
  request: JoinRequestItem,
  addresses: MemberAddresses,
): Promise<ZtMember> {
  const ipAssignments = [addresses.ipv4, ...(addresses.ipv6 ? [addresses.ipv6] : [])];
  return deps.provider().upsertMember(request.networkId, request.nodeId.toLowerCase(), {
    authorized: true,
    ipAssignments,
    name: memberName(request.asn),
  });
}

/** Step 3b: record what the controller now holds for this request (an upsert, so reruns converge). */
export async function saveMembershipStep(
  deps: WorkerDeps,
  request: JoinRequestItem,
  addresses: MemberAddresses,
  member: ZtMember,
): Promise<void> {
  const at = deps.now().toISOString();
  const existing = await deps.data.entities.membership.get({ requestId: request.requestId }).go();
  await deps.data.entities.membership
    .put({
      requestId: request.requestId,
      networkId: request.networkId,
      nodeId: request.nodeId.toLowerCase(),
      asn: request.asn,
      memberName: member.name,
      ipv4: addresses.ipv4,
      ipv6: addresses.ipv6,
      authorized: member.authorized,
      controllerRevision: member.revision,
      createdAt: existing.data?.createdAt ?? at,
      updatedAt: at,
    })
    .go();
}
