import { describe, expect, it } from "vitest";
import {
  checkTransition,
  isFinal,
  type RequestStatus,
  requestStatuses,
  type TransitionAction,
} from "../src/status.ts";

// The lifecycle as ARCHITECTURE.md states it, written out here so the code is checked
// against the specification rather than against its own table.
const lifecycle: Record<TransitionAction, { from: RequestStatus[]; to: RequestStatus }> = {
  approve: { from: ["pending"], to: "approved" },
  reject: { from: ["pending"], to: "rejected" },
  cancel: { from: ["pending"], to: "cancelled" },
  start: { from: ["approved"], to: "provisioning" },
  complete: { from: ["provisioning"], to: "active" },
  fail: { from: ["approved", "provisioning"], to: "failed" },
  retry: { from: ["failed"], to: "approved" },
  leave: { from: ["active"], to: "deprovisioning" },
  remove: { from: ["active"], to: "deprovisioning" },
  finish_removal: { from: ["deprovisioning"], to: "removed" },
  replace: { from: ["active"], to: "removed" },
};
const actions = Object.keys(lifecycle) as TransitionAction[];

describe("request status machine", () => {
  it.each(actions)("allows %s exactly from its documented statuses, to its documented status", (action) => {
    const { from, to } = lifecycle[action];
    for (const status of requestStatuses) {
      const check = checkTransition(status, action);
      if (from.includes(status)) expect(check).toEqual({ ok: true, to });
      else expect(check.ok).toBe(false);
    }
  });

  it.each(actions)("explains a refused %s by naming the statuses it is allowed from", (action) => {
    const allowed = lifecycle[action].from;
    const refusedFrom = requestStatuses.filter((s) => !allowed.includes(s));
    for (const status of refusedFrom) {
      expect(checkTransition(status, action)).toEqual({
        ok: false,
        reason: `cannot ${action} a request that is ${status}; only from ${allowed.join(" or ")}`,
      });
    }
  });

  it("treats rejected, cancelled and removed as final, and nothing else (an active membership has a way out)", () => {
    expect(requestStatuses.filter(isFinal).sort()).toEqual(["cancelled", "rejected", "removed"]);
  });

  it("refuses every action on a final status", () => {
    for (const status of requestStatuses.filter(isFinal)) {
      for (const action of actions) expect(checkTransition(status, action).ok).toBe(false);
    }
  });

  it("lets every status that is not final move on, so no request can get stuck", () => {
    for (const status of requestStatuses.filter((s) => !isFinal(s))) {
      expect(actions.filter((a) => checkTransition(status, a).ok)).not.toEqual([]);
    }
  });

  it("reaches every status from pending", () => {
    const reached = new Set<RequestStatus>(["pending"]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const status of [...reached]) {
        for (const action of actions) {
          const check = checkTransition(status, action);
          if (check.ok && !reached.has(check.to)) {
            reached.add(check.to);
            grew = true;
          }
        }
      }
    }
    expect([...reached].sort()).toEqual([...requestStatuses].sort());
  });
});
