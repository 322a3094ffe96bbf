import { randomUUID } from "node:crypto";
import { AppError, checkTransition, type RequestStatus, type TransitionAction } from "@ztix/core";
import { type AuditInput, auditItem } from "./audit.ts";
import { assertCommitted, asTransientCancellation, isConditionFailure } from "./conditions.ts";
import type { JoinRequestItem } from "./entities/join-request.ts";
import type { DataService } from "./service.ts";

export interface NewRequest {
  userId: string;
  asn: number;
  asnName?: string;
  networkId: string;
  nodeId: string;
  notes?: string;
  correlationId?: string;
  /** For a node replacement: the active request whose membership (and addresses) it takes over. */
  replacesRequestId?: string;
  /** For a node replacement: the node naming the membership's BGP sessions. */
  memberNodeId?: string;
}

/** Approves the request in the same transaction that creates it (policy_auto). */
export interface ApprovedAtCreation {
  actorType: "system" | "admin";
  actorId: string;
  message?: string;
  metadata?: Record<string, unknown>;
}

export type RequestAudit = Omit<
  AuditInput,
  "subject" | "requestId" | "fromStatus" | "toStatus" | "action"
> & {
  action?: string;
};

/**
 * Creates a pending request, its slot and its audit event in one transaction. A second live
 * request for the same (network, node) fails the slot's condition, so duplicates are
 * refused by DynamoDB, not by a read that could race. With `approve`, the request is created
 * already approved (attempt 1) with both audit events, in the same transaction: no crash can
 * leave a policy-approved request pending.
 */
export async function createRequest(
  data: DataService,
  input: NewRequest,
  audit: RequestAudit,
  now = new Date(),
  approve?: ApprovedAtCreation,
): Promise<JoinRequestItem> {
  const at = now.toISOString();
  const request: JoinRequestItem = {
    requestId: randomUUID(),
    userId: input.userId,
    asn: input.asn,
    asnName: input.asnName,
    networkId: input.networkId,
    nodeId: input.nodeId,
    notes: input.notes,
    ...(input.replacesRequestId ? { replacesRequestId: input.replacesRequestId } : {}),
    ...(input.memberNodeId ? { memberNodeId: input.memberNodeId } : {}),
    status: approve ? "approved" : "pending",
    createdAt: at,
    updatedAt: at,
    attempt: approve ? 1 : 0,
    correlationId: input.correlationId ?? randomUUID(),
    ...(approve
      ? { approvedAt: at, decidedAt: at, decidedBy: `${approve.actorType}:${approve.actorId}` }
      : {}),
  };
  const event = auditItem({
    ...audit,
    action: audit.action ?? "request.created",
    subject: `request#${request.requestId}`,
    requestId: request.requestId,
    toStatus: "pending",
    correlationId: request.correlationId,
    visibility: audit.visibility ?? "operator",
    at: now,
  });
  const approval = approve
    ? auditItem({
        subject: `request#${request.requestId}`,
        requestId: request.requestId,
        action: "request.approve",
        actorType: approve.actorType,
        actorId: approve.actorId,
        fromStatus: "pending",
        toStatus: "approved",
        visibility: "operator",
        correlationId: request.correlationId,
        ...(approve.message ? { message: approve.message } : {}),
        ...(approve.metadata ? { metadata: approve.metadata } : {}),
        // A millisecond later, so the timeline lists creation first.
        at: new Date(now.getTime() + 1),
      })
    : undefined;
  try {
    const result = await data.transaction
      .write(({ joinRequest, requestSlot, auditEvent }) => [
        requestSlot
          .create({
            asn: input.asn,
            networkId: input.networkId,
            nodeId: input.nodeId,
            requestId: request.requestId,
            createdAt: at,
          })
          .commit({ response: "all_old" }),
        joinRequest.create(request).commit(),
        auditEvent.create(event).commit(),
        ...(approval ? [auditEvent.create(approval).commit()] : []),
      ])
      .go();
    assertCommitted(result);
  } catch (e) {
    if (!isConditionFailure(e)) throw asTransientCancellation(e);
    const slot = await data.entities.requestSlot
      .get({ networkId: input.networkId, nodeId: input.nodeId })
      .go({ consistent: true });
    if (slot.data && slot.data.asn !== input.asn) {
      // Another member's node: say it is taken, never which request holds it.
      throw new AppError(
        "node_in_use",
        "this ZeroTier node already belongs to another member of this network",
        {
          node_id: input.nodeId,
        },
      );
    }
    throw new AppError(
      "duplicate_active_request",
      "a live request for this ASN, network and node already exists",
      {
        existing_request_id: slot.data?.requestId,
      },
    );
  }
  return request;
}

/** The entities as a transaction callback receives them. */
export type TransactionEntities = Parameters<Parameters<DataService["transaction"]["write"]>[0]>[0];

export interface TransitionOptions {
  /** Extra attributes to set with the status (reason, error, attempt, timestamps). */
  set?: Partial<Omit<JoinRequestItem, "requestId" | "status" | "createdAt" | "networkId">>;
  audit: RequestAudit;
  now?: Date;
  /**
   * More writes that must commit with the status change or not at all (desired route-server
   * state, for one). Each is a `.commit()` of a transaction entity.
   */
  // biome-ignore lint/suspicious/noExplicitAny: ElectroDB types each committed item per entity.
  also?: (tx: TransactionEntities) => any[];
  /** Attributes to remove with the status change (a wait that is over). */
  clear?: ("waitingOn" | "waitingReason" | "waitingSince" | "lastErrorCode" | "lastErrorMessage")[];
}

/**
 * Moves a request from its current status to the one `action` leads to. The write is
 * conditional on the status still being `request.status`, and the audit event commits in the
 * same transaction: of two concurrent conflicting changes exactly one wins; the loser gets
 * `invalid_transition` with the status it found.
 */
export async function transitionRequest(
  data: DataService,
  request: JoinRequestItem,
  action: TransitionAction,
  options: TransitionOptions,
): Promise<JoinRequestItem> {
  const check = checkTransition(request.status, action);
  if (!check.ok) {
    throw new AppError("invalid_transition", check.reason, { status: request.status, action });
  }
  const now = options.now ?? new Date();
  const to: RequestStatus = check.to;
  // A final status frees the (network, node) slot, so the node (or the ASN) can join again.
  const releasesSlot = to === "rejected" || to === "cancelled" || to === "removed";
  const set = { ...options.set, status: to, updatedAt: now.toISOString() };
  const event = auditItem({
    ...options.audit,
    action: options.audit.action ?? `request.${action}`,
    subject: `request#${request.requestId}`,
    requestId: request.requestId,
    fromStatus: request.status,
    toStatus: to,
    correlationId: request.correlationId,
    at: now,
  });
  try {
    const result = await data.transaction
      .write((tx) => [
        (options.clear?.length
          ? tx.joinRequest
              .patch({ requestId: request.requestId })
              .set({ ...set, createdAt: request.createdAt, networkId: request.networkId })
              .remove(options.clear)
          : tx.joinRequest
              .patch({ requestId: request.requestId })
              .set({ ...set, createdAt: request.createdAt, networkId: request.networkId })
        )
          .where(({ status }, { eq }) => eq(status, request.status))
          .commit(),
        tx.auditEvent.create(event).commit(),
        ...(releasesSlot
          ? [
              tx.requestSlot
                .delete({ networkId: request.networkId, nodeId: request.nodeId })
                .where(({ requestId }, { eq }) => eq(requestId, request.requestId))
                .commit(),
            ]
          : []),
        ...(options.also?.(tx) ?? []),
      ])
      .go();
    assertCommitted(result);
  } catch (e) {
    if (!isConditionFailure(e)) throw asTransientCancellation(e);
    const current = await getRequest(data, request.requestId);
    throw new AppError(
      "invalid_transition",
      `the request is ${current?.status ?? "gone"}, not ${request.status}`,
      {
        status: current?.status,
        expected: request.status,
        action,
      },
    );
  }
  const next = { ...request, ...set } as JoinRequestItem;
  for (const key of options.clear ?? []) delete next[key];
  return next;
}

/**
 * The key of a request's desired route-server record. Its node is the one the membership
 * joined with: a node replacement keeps it, so the member's BGP sessions keep their names and
 * no route server is touched when the addresses stay the same.
 */
export function routeServerMemberKey(
  request: Pick<JoinRequestItem, "networkId" | "asn" | "nodeId" | "memberNodeId">,
) {
  return {
    network: request.networkId.slice(10),
    asn: request.asn,
    nodeId: (request.memberNodeId ?? request.nodeId).toLowerCase(),
  };
}

/** Request by id (strongly consistent). */
export async function getRequest(data: DataService, requestId: string): Promise<JoinRequestItem | null> {
  const out = await data.entities.joinRequest.get({ requestId }).go({ consistent: true });
  return out.data;
}
