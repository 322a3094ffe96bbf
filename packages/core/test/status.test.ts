import { describe, expect, it } from "vitest";
import { checkTransition, requestStatuses, transitions } from "../src/status.ts";

describe("request status machine", () => {
  it("allows the documented lifecycle", () => {
    expect(checkTransition("pending", "approve")).toEqual({ ok: true, to: "approved" });
    expect(checkTransition("approved", "start")).toEqual({ ok: true, to: "provisioning" });
    expect(checkTransition("provisioning", "complete")).toEqual({ ok: true, to: "active" });
    expect(checkTransition("provisioning", "fail")).toEqual({ ok: true, to: "failed" });
    expect(checkTransition("failed", "retry")).toEqual({ ok: true, to: "approved" });
    expect(checkTransition("pending", "reject")).toEqual({ ok: true, to: "rejected" });
    expect(checkTransition("pending", "cancel")).toEqual({ ok: true, to: "cancelled" });
  });

  it("says why a transition is refused", () => {
    const check = checkTransition("active", "retry");
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toBe("cannot retry a request that is active; only from failed");
  });

  it("never leaves a final status", () => {
    for (const from of ["rejected", "cancelled", "active"] as const) {
      expect(transitions.filter((t) => t.from === from)).toEqual([]);
    }
  });

  it("only names known statuses", () => {
    for (const t of transitions) {
      expect(requestStatuses).toContain(t.from);
      expect(requestStatuses).toContain(t.to);
    }
  });
});
