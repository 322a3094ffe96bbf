import { AppError, servedNetworkSuffixes } from "@ztix/core";
import { auditItem, type RouteServerStateItem, routeServerStates } from "@ztix/data";
import { type Actor, actorFields, type WorkflowDeps } from "./deps.ts";
import { requestReconcile } from "./reconcile-request.ts";

/** Every configured route server with what its reconciles recorded: one BatchGet. */
export async function listRouteServers(deps: WorkflowDeps) {
  const ids = deps.config.route_servers.map((rs) => rs.id);
  const states = new Map((await routeServerStates(deps.data, ids)).map((s) => [s.routeServerId, s]));
  return deps.config.route_servers.map((rs) =>
    routeServerView(
      { id: rs.id, asn: rs.asn, networks: servedNetworkSuffixes(rs, deps.config.networks), rs },
      states.get(rs.id),
      deps.now(),
    ),
  );
}

function routeServerView(
  c: { id: string; asn: number; networks: string[]; rs: WorkflowDeps["config"]["route_servers"][number] },
  s: RouteServerStateItem | undefined,
  now: Date,
) {
  const inDoubt = s?.applyTxn !== undefined && (s.applyUntil ?? 0) > now.getTime();
  return {
    route_server_id: c.id,
    asn: c.asn,
    networks: c.networks,
    peering_ipv4: c.rs.peering_ipv4 ?? [],
    peering_ipv6: c.rs.peering_ipv6 ?? [],
    condition: s?.condition ?? "unknown",
    revision: s?.revision ?? 0,
    member_count: s?.memberCount ?? null,
    last_reconcile_at: s?.lastReconcileAt ?? null,
    // A change asked for a reconcile that has not read the desired state yet.
    reconcile_pending:
      s?.requestedAt !== undefined && (s.observedAt === undefined || s.requestedAt > s.observedAt),
    last_change: s?.lastChange ?? null,
    last_error: s?.lastError ?? null,
    last_error_code: s?.lastErrorCode ?? null,
    last_error_stage: s?.lastErrorStage ?? null,
    last_error_at: s?.lastErrorAt ?? null,
    rollback_error: s?.rollbackError ?? null,
    rollback_error_at: s?.rollbackErrorAt ?? null,
    in_doubt_reason: s?.inDoubtReason ?? null,
    // No apply starts there before this instant (BIRD's undo window of an apply in doubt).
    in_doubt_until: inDoubt ? new Date(s!.applyUntil!).toISOString() : null,
  };
}

export type RouteServerView = ReturnType<typeof routeServerView>;

/** An admin (or the CLI) asks for a reconcile of one route server; audited. */
export async function reconcileRouteServerNow(deps: WorkflowDeps, actor: Actor, routeServerId: string) {
  const rs = deps.config.route_servers.find((r) => r.id === routeServerId);
  if (!rs) throw new AppError("not_found", "no such route server", { route_server_id: routeServerId });
  await requestReconcile(deps, [rs.id], actor.type === "admin" ? "admin" : "cli");
  const event = auditItem({
    subject: `route-server#${rs.id}`,
    action: "route_server.reconcile_requested",
    ...actorFields(actor),
    message: `reconcile of ${rs.id} requested`,
    metadata: { route_server_id: rs.id },
    at: deps.now(),
  });
  await deps.data.entities.auditEvent.create(event).go();
  return { route_server_id: rs.id, requested_at: deps.now().toISOString() };
}
