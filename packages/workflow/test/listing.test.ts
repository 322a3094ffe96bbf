import { randomUUID } from "node:crypto";
import type { JoinRequestItem } from "@ztix/data";
import { describe, expect, it } from "vitest";
import { testConfig } from "../../../test/support/config.ts";
import { chooseIndex } from "../src/admin.ts";
import { decodeCursor, encodeCursor } from "../src/cursor.ts";
import { mergePage } from "../src/listing.ts";
import { AUTO_APPROVAL_RULE, autoApproval } from "../src/policy.ts";

const item = (minute: number, requestId = randomUUID()): JoinRequestItem => ({
  requestId,
  userId: "u",
  asn: 64500,
  networkId: "8056c2e21c000001",
  nodeId: "1234567890",
  status: "pending",
  createdAt: new Date(Date.UTC(2026, 10, 22, 0, minute)).toISOString(),
  updatedAt: new Date(Date.UTC(2026, 10, 22, 0, minute)).toISOString(),
  attempt: 0,
  correlationId: "c",
});

describe("cursors", () => {
  it("round-trip a position", () => {
    const p = { createdAt: "2026-11-22T00:00:00.000Z", requestId: randomUUID() };
    expect(decodeCursor(encodeCursor(p))).toEqual(p);
  });

  it("refuse anything they did not encode with validation_failed on the cursor field", () => {
    const forged = Buffer.from(JSON.stringify({ v: 1, c: "2026-11-22T00:00:00.000Z", r: "x#y" })).toString(
      "base64url",
    );
    for (const bad of ["", "abc", "%%%", forged, Buffer.from("[]").toString("base64url")]) {
      expect(() => decodeCursor(bad)).toThrowError(expect.objectContaining({ code: "validation_failed" }));
    }
  });
});

describe("mergePage", () => {
  it("merges sorted partitions into one page and says where the next one starts", () => {
    const a = [item(1), item(4), item(5)];
    const b = [item(2), item(3)];
    const page = mergePage([a, b], { order: "asc", limit: 3 });
    expect(page.items.map((r) => r.createdAt)).toEqual([a[0], b[0], b[1]].map((r) => r!.createdAt));
    expect(page.next).toEqual({ createdAt: b[1]!.createdAt, requestId: b[1]!.requestId });
  });

  it("has no next page when the union fits, and orders newest first on desc", () => {
    const page = mergePage([[item(3), item(1)], [item(2)]], { order: "desc", limit: 3 });
    expect(page.items.map((r) => r.createdAt.slice(14, 16))).toEqual(["03", "02", "01"]);
    expect(page.next).toBeUndefined();
  });

  it("breaks ties on the request id and keeps a request seen twice once", () => {
    const twin = item(1, "00000000-0000-4000-8000-000000000002");
    const first = item(1, "00000000-0000-4000-8000-000000000001");
    const page = mergePage([[first, twin], [twin]], { order: "asc", limit: 5 });
    expect(page.items.map((r) => r.requestId)).toEqual([first.requestId, twin.requestId]);
  });
});

describe("chooseIndex", () => {
  it("reads the ASN partition, else the network-status partitions, else the status partitions", () => {
    expect(chooseIndex({ asn: 64500, networkId: "8056c2e21c000001" })).toBe("byAsn");
    expect(chooseIndex({ networkId: "8056c2e21c000001" })).toBe("byNetworkStatus");
    expect(chooseIndex({})).toBe("byStatus");
  });
});

describe("autoApproval", () => {
  it("approves only in policy_auto mode, naming the rule", () => {
    expect(autoApproval(testConfig())).toEqual({ approve: false });
    expect(autoApproval(testConfig({ workflow: { approval_mode: "policy_auto" } }))).toEqual({
      approve: true,
      mode: "policy_auto",
      rule: AUTO_APPROVAL_RULE,
    });
  });
});
