import { requestStatuses as domainStatuses } from "@ztix/core";
import { describe, expect, it } from "vitest";
import { requestStatuses } from "../src/lib/api/types.ts";
import {
  addressesNotice,
  type NoticeFacts,
  nextStepNotice,
  routeServersNotice,
  sessionStateLabel,
} from "../src/lib/notices.ts";

const NETWORK = "8056c2e21c000001";
const facts = (status: NoticeFacts["status"], more: Partial<NoticeFacts> = {}): NoticeFacts => ({
  status,
  networkId: NETWORK,
  routeServers: 2,
  hasAddresses: false,
  addressesReleased: false,
  replaced: false,
  ...more,
});

/** What each status says, with route servers on the network and without, before any address. */
const expected = {
  pending: {
    addresses: /assigned once the request is approved and provisioned/,
    withRs: /configures these route servers for you during provisioning/,
    withoutRs:
      /No route servers are configured for this network: once active, peer with other members directly/,
  },
  approved: {
    addresses: /assigned when provisioning starts/,
    withRs: /configures these route servers for you during provisioning/,
    withoutRs: /No route servers are configured for this network/,
  },
  provisioning: {
    addresses: /being assigned/,
    withRs: /configures these route servers for you during provisioning/,
    withoutRs: /No route servers are configured for this network/,
  },
  active: {
    addresses: /No address is recorded/,
    withRs: /one BGP session per route server and address family/,
    withoutRs:
      /No route servers are configured for this network: peer with other members directly\. Sessions appear here when the exchange adds a route server/,
  },
  failed: {
    addresses: /No addresses were assigned before provisioning stopped/,
    withRs: /configured again when it is retried/,
    withoutRs: /No route servers are configured for this network/,
  },
  rejected: {
    addresses: /^No addresses were assigned: the request was rejected\.$/,
    withRs: /^No BGP sessions: the request was rejected\.$/,
    withoutRs: /^No BGP sessions: the request was rejected\.$/,
  },
  cancelled: {
    addresses: /^No addresses were assigned: the request was cancelled\.$/,
    withRs: /^No BGP sessions: the request was cancelled\.$/,
    withoutRs: /^No BGP sessions: the request was cancelled\.$/,
  },
  deprovisioning: {
    addresses: /membership is ending; its addresses go back/,
    withRs: /taking these sessions off/,
    withoutRs: /no route servers, so there were no BGP sessions to end/,
  },
  removed: {
    addresses: /went back to the exchange when the membership ended/,
    withRs: /^The BGP sessions ended with the membership\.$/,
    withoutRs: /no route servers, so there were no BGP sessions to end/,
  },
} satisfies Record<NoticeFacts["status"], { addresses: RegExp; withRs: RegExp; withoutRs: RegExp }>;

describe("the request page's notices", () => {
  it("cover exactly the statuses of the domain's status machine", () => {
    expect([...requestStatuses].sort()).toEqual([...domainStatuses].sort());
    expect(Object.keys(expected).sort()).toEqual([...domainStatuses].sort());
  });

  describe.each(domainStatuses)("for a %s request", (status) => {
    const want = expected[status];

    it("say what is true of its addresses", () => {
      expect(addressesNotice(facts(status)).note).toMatch(want.addresses);
    });

    it("say what is true of its route-server sessions, with route servers on the network", () => {
      expect(routeServersNotice(facts(status)).note).toMatch(want.withRs);
    });

    it("never promise route servers on a network that has none", () => {
      const notice = routeServersNotice(facts(status, { routeServers: 0 }));
      expect(notice.show).toBe(false);
      expect(notice.note).toMatch(want.withoutRs);
      expect(notice.note).not.toMatch(/once the request is provisioned/);
      const next = nextStepNotice(facts(status, { routeServers: 0 })) ?? "";
      expect(next).not.toMatch(/route servers configured|BGP sessions below/);
    });

    it("never say addresses appear later once nothing more will happen", () => {
      if (["rejected", "cancelled", "removed", "active"].includes(status)) {
        expect(addressesNotice(facts(status)).note).not.toMatch(/appear here|once provisioned/);
      }
    });
  });

  it("list the addresses only while they are the member's", () => {
    const shown = domainStatuses.filter((s) => addressesNotice(facts(s, { hasAddresses: true })).show);
    expect(shown.sort()).toEqual(["active", "deprovisioning", "failed", "provisioning"]);
    expect(addressesNotice(facts("active", { hasAddresses: true })).note).toBeNull();
    expect(addressesNotice(facts("failed", { hasAddresses: true, addressesReleased: true }))).toEqual({
      show: false,
      note: "The addresses held for this request were released after it stayed failed; a retry assigns new ones.",
    });
  });

  it("list the route servers only where the member has or will have sessions on them", () => {
    const shown = domainStatuses.filter((s) => routeServersNotice(facts(s)).show);
    expect(shown.sort()).toEqual([
      "active",
      "approved",
      "deprovisioning",
      "failed",
      "pending",
      "provisioning",
    ]);
  });

  it("say where a replaced membership's addresses and sessions went", () => {
    const moved = facts("removed", { replaced: true });
    expect(addressesNotice(moved).note).toMatch(/moved to the new node/);
    expect(routeServersNotice(moved).note).toMatch(/moved to the new node/);
    expect(nextStepNotice(moved)).toMatch(/moved to a new node/);
  });

  it("name the join command with the real network id once active", () => {
    expect(nextStepNotice(facts("active"))).toContain(`zerotier-cli join ${NETWORK}`);
    expect(nextStepNotice(facts("active", { routeServers: 0 }))).toMatch(/peer with other members directly/);
  });

  it("label a route server not configured yet by what will happen", () => {
    expect(sessionStateLabel("pending", "provisioning")).toBe("Not configured yet");
    expect(sessionStateLabel("pending", "failed")).toBe("Not configured");
    expect(sessionStateLabel("in_sync", "active")).toBe("Configured");
    expect(sessionStateLabel("failed", "failed")).toBe("Refused");
  });
});
