/** Request lifecycle as data: which status may follow which, and who may cause it. */
export const requestStatuses = [
  "pending",
  "approved",
  "rejected",
  "cancelled",
  "provisioning",
  "active",
  "failed",
  "deprovisioning",
  "removed",
] as const;

export type RequestStatus = (typeof requestStatuses)[number];

export type TransitionAction =
  | "approve"
  | "reject"
  | "cancel"
  | "start"
  | "complete"
  | "fail"
  | "retry"
  | "leave"
  | "remove"
  | "finish_removal"
  | "replace";

interface Transition {
  from: RequestStatus;
  to: RequestStatus;
  action: TransitionAction;
}

export const transitions: readonly Transition[] = [
  { from: "pending", to: "approved", action: "approve" },
  { from: "pending", to: "rejected", action: "reject" },
  { from: "pending", to: "cancelled", action: "cancel" },
  { from: "approved", to: "provisioning", action: "start" },
  { from: "approved", to: "failed", action: "fail" },
  { from: "provisioning", to: "active", action: "complete" },
  { from: "provisioning", to: "failed", action: "fail" },
  { from: "failed", to: "approved", action: "retry" },
  // The way out: the operator leaves or an admin removes; the worker takes the member off
  // the route servers and the controller, frees its addresses, and ends it.
  { from: "active", to: "deprovisioning", action: "leave" },
  { from: "active", to: "deprovisioning", action: "remove" },
  { from: "deprovisioning", to: "removed", action: "finish_removal" },
  // A node replacement that went live ends the membership it replaced (its addresses move on).
  { from: "active", to: "removed", action: "replace" },
];

/** Statuses a request never leaves. */
export const finalStatuses: ReadonlySet<RequestStatus> = new Set(["rejected", "cancelled", "removed"]);

/** Statuses that hold the (asn, network, node) slot: a new request for the same slot is a duplicate. */
export const slotHoldingStatuses: ReadonlySet<RequestStatus> = new Set([
  "pending",
  "approved",
  "provisioning",
  "active",
  "failed",
  "deprovisioning",
]);

export type TransitionCheck = { ok: true; to: RequestStatus } | { ok: false; reason: string };

/** Says whether `action` may be taken on a request in `from`, and why not when it may not. */
export function checkTransition(from: RequestStatus, action: TransitionAction): TransitionCheck {
  const match = transitions.find((t) => t.from === from && t.action === action);
  if (match) return { ok: true, to: match.to };
  const allowedFrom = transitions.filter((t) => t.action === action).map((t) => t.from);
  return {
    ok: false,
    reason: `cannot ${action} a request that is ${from}; only from ${allowedFrom.join(" or ")}`,
  };
}

export function isFinal(status: RequestStatus): boolean {
  return finalStatuses.has(status);
}
