import { randomUUID } from "node:crypto";
import { AppError, checkTransition, type RequestStatus, type TransitionAction } from "@ztix/core";
import { type AuditInput, auditItem } from "./audit.ts";
import { isConditionFailure } from "./conditions.ts";
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
 * refused by DynamoDB, not by a read that could race.
 */
export async function createRequest(
  data: DataService,
  input: NewRequest,
  audit: RequestAudit,
  now = new Date(),
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
    status: "pending",
    createdAt: at,
    updatedAt: at,
    attempt: 0,
    correlationId: input.correlationId ?? randomUUID(),
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
      ])
      .go();
    if (result.canceled)
      throw Object.assign(new Error("transaction canceled"), { name: "TransactionCanceledException" });
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
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

export interface TransitionOptions {
  /** Extra attributes to set with the status (reason, error, attempt, timestamps). */
  set?: Partial<Omit<JoinRequestItem, "requestId" | "status" | "createdAt" | "networkId">>;
  audit: RequestAudit;
  now?: Date;
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
  const releasesSlot = to === "rejected" || to === "cancelled";
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
      .write(({ joinRequest, requestSlot, auditEvent }) => [
        joinRequest
          .patch({ requestId: request.requestId })
          .set({ ...set, createdAt: request.createdAt, networkId: request.networkId })
          .where(({ status }, { eq }) => eq(status, request.status))
          .commit(),
        auditEvent.create(event).commit(),
        ...(releasesSlot
          ? [
              requestSlot
                .delete({ networkId: request.networkId, nodeId: request.nodeId })
                .where(({ requestId }, { eq }) => eq(requestId, request.requestId))
                .commit(),
            ]
          : []),
      ])
      .go();
    if (result.canceled)
      throw Object.assign(new Error("transaction canceled"), { name: "TransactionCanceledException" });
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
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
  return { ...request, ...set } as JoinRequestItem;
}

/** Request by id (strongly consistent). */
export async function getRequest(data: DataService, requestId: string): Promise<JoinRequestItem | null> {
  const out = await data.entities.joinRequest.get({ requestId }).go({ consistent: true });
  return out.data;
}
