import {
  AppError,
  isAppError,
  routeServerAddressesOn,
  routeServersOfNetwork,
  splitNetworkId,
} from "@ztix/core";
import { getRequest, type JoinRequestItem } from "@ztix/data";
import { renderSnippets, type Snippets } from "@ztix/snippets";
import type { WorkflowDeps } from "./deps.ts";
import { userAsns } from "./eligibility.ts";
import { memberPolicyData } from "./member-policy.ts";

/**
 * What a member configures on its own router for its route-server sessions: the snippets
 * (@ztix/snippets, one text per platform) filled from the membership's addresses, the
 * route servers of its network and the limits they apply.
 */

/** Statuses whose member is (being) put on the route servers: the only ones with sessions to configure. */
const withSessions = new Set<JoinRequestItem["status"]>(["provisioning", "active"]);

function notFound(requestId: string): AppError {
  return new AppError("not_found", "no such request", { request_id: requestId });
}

/**
 * The network's name as a snippet may print it (inside comments): printable ASCII without
 * quote or backslash, at most 64 characters; anything else becomes `-`.
 */
export function snippetNetworkName(name: string | undefined, suffix: string): string {
  const plain = (name ?? "")
    .replace(/[^ !#-[\]-~]/g, "-")
    .trim()
    .slice(0, 64)
    .trim();
  return plain || `network ${suffix}`;
}

function prefixLength(prefix: string): number {
  return Number(prefix.slice(prefix.indexOf("/") + 1));
}

/** The snippets of one request the caller may see (the caller checked who may). */
async function requestSnippets(deps: WorkflowDeps, request: JoinRequestItem) {
  if (!withSessions.has(request.status)) {
    throw new AppError(
      "invalid_transition",
      `router snippets exist for a membership being provisioned or active; this request is ${request.status}`,
      { status: request.status },
    );
  }
  const { config } = deps;
  const suffix = splitNetworkId(request.networkId).suffix;
  const network = config.networks.find((n) => n.suffix === suffix);
  const servers = routeServersOfNetwork(config.route_servers, config.networks, suffix);
  if (!network || servers.length === 0) {
    throw new AppError("conflict", "no route servers serve this network: peer with other members directly", {
      reason: "no_route_servers",
    });
  }
  const [membership, policy] = await Promise.all([
    deps.data.entities.membership
      .get({ requestId: request.requestId })
      .go()
      .then((r) => r.data),
    memberPolicyData(deps, request),
  ]);
  const own = {
    ipv4: membership?.ipv4 ? `${membership.ipv4}/${prefixLength(network.ipv4.prefix)}` : undefined,
    ipv6:
      membership?.ipv6 && network.ipv6
        ? `${membership.ipv6}/${prefixLength(network.ipv6.prefix)}`
        : undefined,
  };
  if (!own.ipv4 && !own.ipv6) {
    throw new AppError("conflict", "this membership has no peering address yet", { reason: "no_addresses" });
  }
  const routeServers = servers.map((rs) => ({
    id: rs.id,
    asn: rs.asn,
    ...routeServerAddressesOn(rs, network),
  }));
  // A family peers only where the member and at least one route server have an address in it.
  const member = {
    ipv4: routeServers.some((rs) => rs.ipv4) ? own.ipv4 : undefined,
    ipv6: routeServers.some((rs) => rs.ipv6) ? own.ipv6 : undefined,
  };
  const peers = routeServers.filter((rs) => (member.ipv4 && rs.ipv4) || (member.ipv6 && rs.ipv6));
  if (peers.length === 0) {
    throw new AppError("conflict", "no route server has an address in a family this membership peers in", {
      reason: "no_sessions",
    });
  }
  const limits = {
    ipv4: member.ipv4 ? policy.limits.ipv4 : null,
    ipv6: member.ipv6 ? policy.limits.ipv6 : null,
  };
  const name = snippetNetworkName(network.name, suffix);
  let snippets: Snippets;
  try {
    snippets = renderSnippets({
      network: { id: request.networkId, name },
      member: {
        asn: request.asn,
        ...(member.ipv4 ? { ipv4: member.ipv4 } : {}),
        ...(member.ipv6 ? { ipv6: member.ipv6 } : {}),
      },
      limits: {
        ...(limits.ipv4 ? { ipv4: limits.ipv4.limit } : {}),
        ...(limits.ipv6 ? { ipv6: limits.ipv6.limit } : {}),
      },
      routeServers: peers.map((rs) => ({
        name: rs.id,
        asn: rs.asn,
        ...(member.ipv4 && rs.ipv4 ? { ipv4: rs.ipv4 } : {}),
        ...(member.ipv6 && rs.ipv6 ? { ipv6: rs.ipv6 } : {}),
      })),
    });
  } catch (e) {
    // The input comes from the config and the membership, not from the caller: a fault in it
    // is the exchange's to fix (a route server on the member's own ASN, a shared address).
    if (isAppError(e) && e.code === "validation_failed") {
      throw new AppError(
        "conflict",
        "the exchange's configuration gives no valid snippet for this membership",
        {
          reason: "invalid_configuration",
          problems: e.details.problems ?? [],
        },
      );
    }
    throw e;
  }
  return {
    request_id: request.requestId,
    network: { zt_network_id: request.networkId, name: network.name, mtu: network.mtu },
    member: { asn: request.asn, ipv4: member.ipv4 ?? null, ipv6: member.ipv6 ?? null },
    limits,
    route_servers: peers.map((rs) => ({
      route_server_id: rs.id,
      asn: rs.asn,
      ipv4: (member.ipv4 && rs.ipv4) || null,
      ipv6: (member.ipv6 && rs.ipv6) || null,
    })),
    snippets,
  };
}

export type RequestSnippets = Awaited<ReturnType<typeof requestSnippets>>;

/** The snippets of a request the operator holds (404 for any other: no probing). */
export async function operatorRequestSnippets(deps: WorkflowDeps, userId: string, requestId: string) {
  const [asns, request] = await Promise.all([userAsns(deps.data, userId), getRequest(deps.data, requestId)]);
  if (!request || !asns.some((a) => a.asn === request.asn)) throw notFound(requestId);
  return requestSnippets(deps, request);
}

export async function adminRequestSnippets(deps: WorkflowDeps, requestId: string) {
  const request = await getRequest(deps.data, requestId);
  if (!request) throw notFound(requestId);
  return requestSnippets(deps, request);
}
