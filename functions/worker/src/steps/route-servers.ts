import { AppError } from "@ztix/core";
import { type JoinRequestItem, writeAudit } from "@ztix/data";
import { syncMemberToRouteServers } from "@ztix/route-servers";
import type { MemberAddresses } from "@ztix/zerotier";
import type { WorkerDeps } from "../deps.ts";

/**
 * Step 4: the member's BGP sessions on every route server (the route-servers package does
 * the work, one server at a time under its lease). With no route servers configured this is
 * a no-op that says so in the request's audit trail.
 */
export async function routeServersStep(
  deps: WorkerDeps,
  request: JoinRequestItem,
  addresses: MemberAddresses,
): Promise<void> {
  if (deps.config.route_servers.length === 0) {
    await writeAudit(deps.data, {
      subject: `request#${request.requestId}`,
      requestId: request.requestId,
      action: "route_servers.none_configured",
      actorType: "system",
      visibility: "operator",
      message: "no route servers are configured: BGP sessions step skipped",
    });
    return;
  }
  const outcome = await syncMemberToRouteServers(
    { config: deps.config, data: deps.data, secrets: deps.secrets, log: deps.log },
    {
      requestId: request.requestId,
      asn: request.asn,
      nodeId: request.nodeId.toLowerCase(),
      networkId: request.networkId,
      ipv4: addresses.ipv4,
      ipv6: addresses.ipv6,
    },
  );
  if (!outcome.ok) {
    const failed = outcome.results.filter((r) => r.state !== "in_sync");
    const summary = failed.map(
      (r) => `${r.routeServerId}: ${r.stage ?? "failed"}${r.error ? ` (${r.error})` : ""}`,
    );
    throw new AppError(
      "route_server_sync_failed",
      `route servers not in sync: ${summary.join("; ")}. Fix the server, then retry the request`,
      { results: outcome.results },
      502,
    );
  }
}
