import { releaseAddresses } from "@ztix/addresses";
import { type DeprovisionJob, routeServersOfNetwork, splitNetworkId, withLogContext } from "@ztix/core";
import { getRequest, type JoinRequestItem, syncsOfRequestOn, transitionRequest } from "@ztix/data";
import { requestReconcile } from "@ztix/workflow";
import { isControllerError, type LifecycleDeps } from "@ztix/zerotier";
import { MAX_RECEIVE_COUNT, type WorkerDeps } from "./deps.ts";
import { describeFailure } from "./errors.ts";
import { openGate } from "./gate.ts";
import type { DeliveryInfo, JobOutcome } from "./process-job.ts";
import { markWaiting, notYet, superseded, tooEarlyMs, waitAndRetry } from "./waiting.ts";

/**
 * Ends a membership, or gives back what a request that stayed failed holds: off every route
 * server of its network (their reconciles drop it; this job waits for them), deauthorized
 * and deleted on the controller, its addresses back in the pool, its slot free. Nothing here
 * can fail: a dependency that is down makes it wait and resume, so a removal is never lost.
 * Every step converges when rerun.
 */
export function processDeprovision(
  deps: WorkerDeps,
  job: DeprovisionJob,
  delivery: DeliveryInfo,
): Promise<JobOutcome> {
  return withLogContext(
    { requestId: job.requestId, correlationId: job.correlationId, purpose: job.purpose },
    () => run(deps, job, delivery),
  );
}

async function run(deps: WorkerDeps, job: DeprovisionJob, delivery: DeliveryInfo): Promise<JobOutcome> {
  const last = delivery.receiveCount >= (deps.maxReceiveCount ?? MAX_RECEIVE_COUNT);
  const early = tooEarlyMs(job, deps.now());
  if (early > 0) return notYet(deps, job, early, last);
  let request: JoinRequestItem | null = null;
  try {
    request = await getRequest(deps.data, job.requestId);
    const wanted = job.purpose === "removal" ? "deprovisioning" : "failed";
    if (!request || request.status !== wanted || (job.purpose === "release" && request.addressesReleasedAt)) {
      return { action: "ack", result: "skipped", reason: `status_${request?.status ?? "gone"}` };
    }
    if (superseded(job, request.waitToken)) return { action: "ack", result: "skipped", reason: "superseded" };

    // 1. Route servers: their reconciles take the member off; wait until all of them did.
    const servers = routeServersOfNetwork(
      deps.config.route_servers,
      deps.config.networks,
      splitNetworkId(request.networkId).suffix,
    ).map((s) => s.id);
    const syncs = await syncsOfRequestOn(deps.data, request.requestId, servers);
    const still = syncs.filter((s) => s.state !== "removed").map((s) => s.routeServerId);
    if (still.length > 0) {
      await requestReconcile(deps, still, "member_change", {
        correlationId: request.correlationId,
        dedupKey: `${request.requestId}-drop`,
      });
      await markWaiting(
        deps,
        request,
        `route_server:${still[0]}`,
        "the route servers are taking the member's sessions off",
      );
      // Their reconciles queue this job again once they dropped it; the wait is only a safety net.
      return await waitAndRetry(deps, job, `route_servers:${still.join(",")}`);
    }

    // 2. The controller: deauthorized, then deleted (a missing member is fine).
    const lifecycle: LifecycleDeps = {
      config: deps.config,
      data: deps.data,
      provider: deps.provider(),
      log: deps.log,
      now: deps.now,
    };
    const gate = await openGate(deps, lifecycle);
    if (!gate.open) {
      await markWaiting(deps, request, "controller", `${gate.code}: ${gate.message}`);
      return await waitAndRetry(deps, job, `gate_closed:${gate.code}`);
    }
    const provider = deps.provider();
    const nodeId = request.nodeId.toLowerCase();
    const member = await provider.getMember(request.networkId, nodeId);
    if (member) {
      if (member.authorized) {
        await provider.upsertMember(request.networkId, nodeId, {
          authorized: false,
          ipAssignments: [],
          name: member.name,
        });
      }
      await provider.deleteMember(request.networkId, nodeId);
    }
    const at = deps.now().toISOString();
    await deps.data.entities.membership
      .patch({ requestId: request.requestId })
      .set({ authorized: false, updatedAt: at })
      .go()
      .catch(() => undefined);

    // 3. Addresses back to the pool (each family in one transaction), then the request ends.
    const released = (
      await releaseAddresses(deps.data, {
        networkId: request.networkId,
        asn: request.asn,
        nodeId,
        requestId: request.requestId,
      })
    ).map((r) => r.ip);
    if (job.purpose === "removal") {
      await transitionRequest(deps.data, request, "finish_removal", {
        set: { removedAt: at, addressesReleasedAt: at },
        audit: {
          actorType: "system",
          visibility: "operator",
          message: `removed: off the route servers and the controller${released.length ? `; ${released.join(" and ")} released` : ""}`,
          metadata: { released },
        },
        now: deps.now(),
        clear: ["waitingOn", "waitingReason", "waitingSince"],
      });
      return { action: "ack", result: "removed" };
    }
    await deps.data.entities.joinRequest
      .patch({ requestId: request.requestId })
      .set({ addressesReleasedAt: at })
      .where(({ status }, { eq }) => eq(status, "failed"))
      .go();
    await deps.data.entities.auditEvent
      .create({
        subject: `request#${request.requestId}`,
        eventId: `${at}#release`,
        month: at.slice(0, 7),
        at,
        requestId: request.requestId,
        action: "addresses.released",
        actorType: "system",
        visibility: "operator",
        message: `the request stayed failed past the grace period: ${released.join(" and ") || "no address"} released; a retry gets new ones`,
        metadata: { released },
      })
      .go()
      .catch(() => undefined);
    return { action: "ack", result: "removed", reason: "addresses_released" };
  } catch (e) {
    const failure = describeFailure(e);
    deps.log.warn("deprovisioning waits", { code: failure.code, err: e });
    if (request) {
      await markWaiting(
        deps,
        request,
        isControllerError(e) ? "controller" : "service",
        `${failure.code}: ${failure.message}`,
      );
    }
    return waitAndRetry(deps, job, failure.code);
  }
}
