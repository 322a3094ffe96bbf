import { AppError, routeServersOfNetwork, splitNetworkId } from "@ztix/core";
import {
  assertCommitted,
  asTransientCancellation,
  getRequest,
  isConditionFailure,
  type JoinRequestItem,
  routeServerMemberKey,
  transitionRequest,
  writeAudit,
} from "@ztix/data";
import { requestReconcile } from "@ztix/workflow";
import type { WorkerDeps } from "../deps.ts";
import { memberName } from "./member.ts";

type Holder = { networkId: string; asn: number; nodeId: string };

/**
 * Moves the addresses an (asn, node) holds on a network to another node of the same ASN:
 * per family, the old claim goes, the new one comes and the allocation names its new holder,
 * in one transaction (never an address held by both, or by none). Rerun after it happened,
 * it finds the new claim and returns it.
 */
async function transferAddresses(deps: WorkerDeps, from: Holder, to: Holder, requestId: string) {
  const out: { ipv4?: string; ipv6?: string } = {};
  for (const family of ["ipv4", "ipv6"] as const) {
    const [had, has] = await Promise.all([
      deps.data.entities.addressClaim.get({ ...from, family }).go({ consistent: true }),
      deps.data.entities.addressClaim.get({ ...to, family }).go({ consistent: true }),
    ]);
    if (has.data) {
      out[family] = has.data.ip;
      continue;
    }
    if (!had.data) continue;
    const ip = had.data.ip;
    const at = deps.now().toISOString();
    try {
      const result = await deps.data.transaction
        .write(({ addressClaim, addressAllocation }) => [
          addressClaim
            .delete({ ...from, family })
            .where(({ ip: held }, { eq }) => eq(held, ip))
            .commit(),
          addressClaim.create({ ...to, family, ip, requestId, createdAt: at }).commit(),
          addressAllocation
            .patch({ networkId: from.networkId, family, ip })
            .set({ nodeId: to.nodeId, requestId })
            .commit(),
        ])
        .go();
      assertCommitted(result);
    } catch (e) {
      if (!isConditionFailure(e)) throw asTransientCancellation(e);
      // A concurrent rerun moved it first: read what it left.
      const again = await deps.data.entities.addressClaim.get({ ...to, family }).go({ consistent: true });
      if (!again.data)
        throw new Error(`the ${family} address of ${from.nodeId} moved elsewhere during the replacement`);
    }
    out[family] = ip;
  }
  return out;
}

/**
 * A node replacement: the new node takes over the membership's addresses, is authorized on
 * the controller with them, the old node is deauthorized and deleted, and the membership's
 * desired route-server record now names the new request — with the same BGP names and
 * addresses, so no route server changes. The old request ends `removed` and the new one goes
 * `active` in one transaction. Every step converges when rerun.
 */
export async function replaceNodeStep(
  deps: WorkerDeps,
  request: JoinRequestItem,
  _controllerAddress: string,
) {
  const old = await getRequest(deps.data, request.replacesRequestId!);
  const ownsIt = old?.status === "removed" && old.replacedByRequestId === request.requestId;
  if (!old || (old.status !== "active" && !ownsIt)) {
    throw new AppError(
      "replaced_membership_gone",
      `the membership this replacement was for is ${old?.status ?? "gone"}: request a new join instead`,
      { replaces: request.replacesRequestId },
      409,
    );
  }
  const nodeId = request.nodeId.toLowerCase();
  const oldNode = old.nodeId.toLowerCase();
  const addresses = await transferAddresses(
    deps,
    { networkId: old.networkId, asn: old.asn, nodeId: oldNode },
    { networkId: request.networkId, asn: request.asn, nodeId },
    request.requestId,
  );
  if (!addresses.ipv4 && !addresses.ipv6) {
    throw new AppError(
      "replaced_membership_gone",
      "the membership being replaced holds no addresses",
      {},
      409,
    );
  }
  const ipAssignments = [addresses.ipv4, addresses.ipv6].filter((a): a is string => Boolean(a));
  const provider = deps.provider();
  const member = await provider.upsertMember(request.networkId, nodeId, {
    authorized: true,
    ipAssignments,
    name: memberName(request.asn),
  });
  // The old router loses the LAN: deauthorized first (in case the delete is refused), then deleted.
  if (oldNode !== nodeId) {
    const existing = await provider.getMember(old.networkId, oldNode);
    if (existing) {
      await provider.upsertMember(old.networkId, oldNode, {
        authorized: false,
        ipAssignments: [],
        name: existing.name,
      });
      await provider.deleteMember(old.networkId, oldNode);
    }
  }
  const at = deps.now().toISOString();
  const oldMembership = (await deps.data.entities.membership.get({ requestId: old.requestId }).go()).data;
  await deps.data.entities.membership
    .put({
      requestId: request.requestId,
      networkId: request.networkId,
      nodeId,
      asn: request.asn,
      memberName: member.name,
      ...addresses,
      authorized: member.authorized,
      controllerRevision: member.revision,
      createdAt: at,
      updatedAt: at,
    })
    .go();
  if (oldMembership) {
    await deps.data.entities.membership
      .patch({ requestId: old.requestId })
      .set({ authorized: false, updatedAt: at })
      .go();
  }

  const suffix = splitNetworkId(request.networkId).suffix;
  const servers = routeServersOfNetwork(deps.config.route_servers, deps.config.networks, suffix);
  const key = routeServerMemberKey(request);
  const prior =
    servers.length > 0
      ? (await deps.data.entities.routeServerMember.get(key).go({ consistent: true })).data
      : null;
  if (old.status === "active") {
    await transitionRequest(deps.data, old, "replace", {
      set: {
        replacedByRequestId: request.requestId,
        removedAt: at,
        removalReason: `node ${oldNode} replaced by ${nodeId}`,
        addressesReleasedAt: at,
      },
      audit: {
        actorType: "system",
        visibility: "operator",
        message: `node ${oldNode} replaced by ${nodeId}; the addresses moved to the new node`,
        metadata: { replacedBy: request.requestId, nodeId, ...addresses },
      },
      now: deps.now(),
    });
  }
  await transitionRequest(deps.data, request, "complete", {
    set: { activeAt: at },
    audit: {
      actorType: "system",
      visibility: "operator",
      message: `active with ${ipAssignments.join(" and ")}, replacing node ${oldNode}`,
      metadata: { replaces: old.requestId, ...addresses },
    },
    now: deps.now(),
    clear: ["waitingOn", "waitingReason", "waitingSince"],
    // The BGP sessions are the membership's: their record now names this request.
    also: (tx) =>
      servers.length === 0
        ? []
        : [
            tx.routeServerMember
              .put({
                ...prior,
                ...key,
                networkId: request.networkId,
                requestId: request.requestId,
                ...addresses,
                activation: "active",
                updatedAt: at,
              })
              .commit(),
          ],
  });
  if (servers.length > 0) {
    // Nothing changes on the boxes; the reconciles move the records to the new request.
    await requestReconcile(
      deps,
      servers.map((s) => s.id),
      "member_change",
      { correlationId: request.correlationId },
    );
  }
  await writeAudit(deps.data, {
    subject: `request#${old.requestId}`,
    requestId: old.requestId,
    action: "membership.node_replaced",
    actorType: "system",
    visibility: "operator",
    message: `this membership continues as request ${request.requestId} on node ${nodeId}`,
  });
}
