import type { RequestStatus } from "./api/types.ts";

/**
 * What the request page says about addresses, route-server sessions and the next step, for
 * each status. Every sentence must be true of the status it is shown for: a rejected request
 * never "gets addresses once provisioned", an active one on a network without route servers
 * never waits for sessions. web/test/notices.test.ts goes through every status.
 */
export interface NoticeFacts {
  status: RequestStatus;
  /** The 16-hex network id (named in the join command). */
  networkId: string;
  /** Route servers serving the request's network; 0 means members peer directly. */
  routeServers: number;
  /** The membership record holds an IPv4 or IPv6 address. */
  hasAddresses: boolean;
  /** The addresses were given back to the pool (set once the worker released them). */
  addressesReleased: boolean;
  /** The membership moved to another node (a node replacement went live). */
  replaced: boolean;
}

export interface SectionNotice {
  /** Whether the section lists its items (addresses, route servers) at all. */
  show: boolean;
  /** The sentence under the heading (null: the list says it all). */
  note: string | null;
}

/** The addresses section: whether to list the membership's addresses, and what to say. */
export function addressesNotice(f: NoticeFacts): SectionNotice {
  switch (f.status) {
    case "pending":
      return { show: false, note: "Addresses are assigned once the request is approved and provisioned." };
    case "approved":
      return {
        show: false,
        note: "Addresses are assigned when provisioning starts; they appear here by themselves.",
      };
    case "provisioning":
      return f.hasAddresses
        ? { show: true, note: null }
        : { show: false, note: "Addresses are being assigned; they appear here by themselves." };
    case "active":
      return f.hasAddresses
        ? { show: true, note: null }
        : {
            show: false,
            note: "No address is recorded for this membership; the exchange team can check why.",
          };
    case "failed":
      if (f.addressesReleased)
        return {
          show: false,
          note: "The addresses held for this request were released after it stayed failed; a retry assigns new ones.",
        };
      return f.hasAddresses
        ? { show: true, note: "These stay reserved for this request while it waits for a retry." }
        : {
            show: false,
            note: "No addresses were assigned before provisioning stopped; a retry assigns them.",
          };
    case "rejected":
      return { show: false, note: "No addresses were assigned: the request was rejected." };
    case "cancelled":
      return { show: false, note: "No addresses were assigned: the request was cancelled." };
    case "deprovisioning":
      return f.hasAddresses
        ? { show: true, note: "These go back to the exchange once the membership has ended." }
        : { show: false, note: "The membership is ending; its addresses go back to the exchange." };
    case "removed":
      return {
        show: false,
        note: f.replaced
          ? "The addresses moved to the new node together with the membership."
          : "The addresses went back to the exchange when the membership ended.",
      };
  }
}

/** The route-server section: whether to list the route servers, and what to say. */
export function routeServersNotice(f: NoticeFacts): SectionNotice {
  if (f.status === "rejected") return { show: false, note: "No BGP sessions: the request was rejected." };
  if (f.status === "cancelled") return { show: false, note: "No BGP sessions: the request was cancelled." };
  if (f.routeServers === 0) {
    switch (f.status) {
      case "active":
        return {
          show: false,
          note: "No route servers are configured for this network: peer with other members directly. Sessions appear here when the exchange adds a route server.",
        };
      case "deprovisioning":
      case "removed":
        return {
          show: false,
          note: "This network has no route servers, so there were no BGP sessions to end.",
        };
      default:
        return {
          show: false,
          note: "No route servers are configured for this network: once active, peer with other members directly. Sessions appear here if the exchange adds a route server.",
        };
    }
  }
  switch (f.status) {
    case "active":
      return {
        show: true,
        note: "Configure one BGP session per route server and address family on your router.",
      };
    case "pending":
    case "approved":
    case "provisioning":
      return {
        show: true,
        note: "The exchange configures these route servers for you during provisioning; once active, set up one BGP session per route server and address family on your router.",
      };
    case "failed":
      return {
        show: true,
        note: "Provisioning stopped before the sessions were in place; the route servers are configured again when it is retried.",
      };
    case "deprovisioning":
      return { show: true, note: "The route servers are taking these sessions off as the membership ends." };
    case "removed":
      return {
        show: false,
        note: f.replaced
          ? "The BGP sessions moved to the new node together with the membership."
          : "The BGP sessions ended with the membership.",
      };
  }
}

/** What the page says to do or expect next, by status. */
export function nextStepNotice(f: NoticeFacts): string | null {
  const rs = f.routeServers > 0;
  switch (f.status) {
    case "pending":
      return "An exchange administrator reviews new requests. This page updates by itself.";
    case "approved":
    case "provisioning":
      return rs
        ? "Your node is being authorised and the route servers configured. This page updates by itself."
        : "Your node is being authorised on the network. This page updates by itself.";
    case "failed":
      return "Provisioning stopped on an error. The exchange team sees it too and can retry once the cause is fixed.";
    case "active":
      return rs
        ? `Join the network on your router (zerotier-cli join ${f.networkId}), then configure the addresses and BGP sessions below.`
        : `Join the network on your router (zerotier-cli join ${f.networkId}), then configure the addresses below and peer with other members directly.`;
    case "deprovisioning":
      return rs
        ? "The membership is ending: the route servers and the controller are letting the node go. This page updates by itself."
        : "The membership is ending: the controller is letting the node go. This page updates by itself.";
    case "removed":
      return f.replaced
        ? "This membership moved to a new node; the request that continues it is linked below."
        : "This membership has ended; its addresses went back to the exchange.";
    case "cancelled":
      return "This request was cancelled. You can submit a new one at any time.";
    case "rejected":
      return null;
  }
}

/** A route server's state for this request, in words that fit the request's status. */
export function sessionStateLabel(state: string, status: RequestStatus): string {
  switch (state) {
    case "in_sync":
      return "Configured";
    case "failed":
      return "Refused";
    case "removed":
      return "Removed";
    case "pending":
      return status === "failed" || status === "deprovisioning" ? "Not configured" : "Not configured yet";
    default:
      return state.replaceAll("_", " ");
  }
}
