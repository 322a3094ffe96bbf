import { AppError } from "@ztix/core";
import { createRequest, type JoinRequestItem, transitionRequest } from "@ztix/data";
import { assertAddressRoom } from "./address-room.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import type { WorkflowDeps } from "./deps.ts";
import { loadRequestBundle } from "./detail.ts";
import { type DispatchOutcome, dispatchJob } from "./dispatch.ts";
import { allowedNetworks, userAsns } from "./eligibility.ts";
import { inspectNewRequest } from "./inspect.ts";
import { mergePage, type RangeQuery, readPartition } from "./listing.ts";
import { autoApproval } from "./policy.ts";

/** Statuses an operator still waits on (shown as "open" during onboarding). */
export const openStatuses = new Set<JoinRequestItem["status"]>([
  "pending",
  "approved",
  "provisioning",
  "failed",
]);

// Operators see a request through its ASN: one they do not hold is answered like one that
// does not exist (404), so request ids of other networks cannot be probed.
function notFound(requestId: string): AppError {
  return new AppError("not_found", "no such request", { request_id: requestId });
}

function asnQuery(deps: WorkflowDeps, asn: number): RangeQuery {
  return deps.data.entities.joinRequest.query.byAsn({ asn }) as unknown as RangeQuery;
}

/** The ASNs, networks and open requests the onboarding screen starts from. */
export async function onboardingContext(deps: WorkflowDeps, userId: string) {
  const [asns, networks] = await Promise.all([
    userAsns(deps.data, userId),
    allowedNetworks(deps.data, userId),
  ]);
  const perAsn = await Promise.all(
    asns.map((a) =>
      deps.data.entities.joinRequest.query
        .byAsn({ asn: a.asn })
        .where(({ status }, { eq }) => [...openStatuses].map((s) => eq(status, s)).join(" OR "))
        .go({ pages: "all", order: "desc" }),
    ),
  );
  const open = perAsn.flatMap((o) => o.data).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  return { asns, networks, open };
}

export interface SubmitInput {
  asn: number;
  networkId: string;
  nodeId: string;
  notes?: string;
}

export interface Submitted {
  request: JoinRequestItem;
  dispatch?: DispatchOutcome;
  autoApproved: boolean;
}

/**
 * Creates a join request after the eligibility checks (the ASN is the user's; the network is
 * active and allowed for the user). In policy_auto mode those checks are the policy: the
 * system actor approves at once and the job is dispatched.
 */
export async function submitRequest(
  deps: WorkflowDeps,
  user: { userId: string },
  input: SubmitInput,
  correlationId?: string,
): Promise<Submitted> {
  const [asns, networks] = await Promise.all([
    userAsns(deps.data, user.userId),
    allowedNetworks(deps.data, user.userId),
  ]);
  const held = asns.find((a) => a.asn === input.asn);
  if (!held) {
    throw new AppError("asn_not_allowed", `you may not request for AS${input.asn}`, {
      fields: { asn: ["not one of your ASNs"] },
    });
  }
  if (!networks.some((n) => n.networkId === input.networkId)) {
    throw new AppError("network_not_allowed", `network ${input.networkId} is not open to you`, {
      fields: { zt_network_id: ["not an active network you may join"] },
    });
  }
  const policy = autoApproval(deps.config);
  if (policy.approve) {
    // Approved at creation: refused now if no address is left (nothing is written).
    await assertAddressRoom(deps, {
      requestId: "",
      networkId: input.networkId,
      asn: input.asn,
      nodeId: input.nodeId,
    } as JoinRequestItem);
  }
  const request = await createRequest(
    deps.data,
    {
      userId: user.userId,
      asn: input.asn,
      asnName: held.name,
      networkId: input.networkId,
      nodeId: input.nodeId,
      notes: input.notes,
      correlationId,
    },
    { actorType: "user", actorId: user.userId },
    deps.now(),
    policy.approve
      ? {
          actorType: "system",
          actorId: "policy",
          message: "approved by policy",
          metadata: { mode: policy.mode, rule: policy.rule },
        }
      : undefined,
  );
  // Has the node asked the controller to join yet? (and the ASN's PeeringDB record): for the
  // admin who reviews it, and for policy_auto with require_node_seen. Never fails the request.
  await inspectNewRequest(deps, request);
  if (!policy.approve) return { request, autoApproved: false };
  const dispatch = await dispatchJob(deps, request, "policy_auto");
  return { request, dispatch, autoApproved: true };
}

/** The request if the user holds its ASN, else 404; with the user's ASNs for reuse. */
async function ownedBundle(deps: WorkflowDeps, userId: string, requestId: string) {
  const [asns, bundle] = await Promise.all([
    userAsns(deps.data, userId),
    loadRequestBundle(
      deps.data,
      requestId,
      deps.config.route_servers.map((rs) => rs.id),
    ),
  ]);
  if (!bundle.request || !asns.some((a) => a.asn === bundle.request!.asn)) throw notFound(requestId);
  return { ...bundle, request: bundle.request };
}

/** One request with what an operator may see of its membership, route servers and audit. */
export async function operatorRequestDetail(deps: WorkflowDeps, userId: string, requestId: string) {
  const bundle = await ownedBundle(deps, userId, requestId);
  return { ...bundle, events: bundle.events.filter((e) => e.visibility === "operator") };
}

/** pending → cancelled by an operator holding the ASN; releases the slot. */
export async function cancelRequest(deps: WorkflowDeps, userId: string, requestId: string) {
  const [asns, request] = await Promise.all([
    userAsns(deps.data, userId),
    deps.data.entities.joinRequest.get({ requestId }).go({ consistent: true }),
  ]);
  const found = request.data;
  if (!found || !asns.some((a) => a.asn === found.asn)) throw notFound(requestId);
  return transitionRequest(deps.data, found, "cancel", {
    now: deps.now(),
    set: { decidedAt: deps.now().toISOString(), decidedBy: `user:${userId}` },
    audit: { actorType: "user", actorId: userId, visibility: "operator" },
  });
}

/** The requests of the user's ASNs, newest first: one Query per ASN, merged by position. */
export async function listOperatorRequests(
  deps: WorkflowDeps,
  userId: string,
  page: { limit: number; cursor?: string },
) {
  const spec = { order: "desc" as const, limit: page.limit, after: decodeCursor(page.cursor) };
  const asns = await userAsns(deps.data, userId);
  const lists = await Promise.all(asns.map((a) => readPartition(asnQuery(deps, a.asn), spec)));
  const { items, next } = mergePage(lists, spec);
  return { items, nextCursor: next && encodeCursor(next) };
}
