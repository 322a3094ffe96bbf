import {
  isAppError,
  type ProvisioningJob,
  routeServersOfNetwork,
  splitNetworkId,
  withLogContext,
} from "@ztix/core";
import { getRequest, type JoinRequestItem, routeServerMemberKey, transitionRequest } from "@ztix/data";
import { requestReconcile } from "@ztix/workflow";
import { closeGate, isControllerError, type LifecycleDeps } from "@ztix/zerotier";
import { completeRequest } from "./activation.ts";
import { MAX_RECEIVE_COUNT, type WorkerDeps } from "./deps.ts";
import { describeFailure, isRequestProblem, isTransient } from "./errors.ts";
import { openGate } from "./gate.ts";
import { defaultRetryPolicy, withRetry } from "./retry.ts";
import { addressesStep } from "./steps/addresses.ts";
import { saveMembershipStep, upsertMemberStep } from "./steps/member.ts";
import { replaceNodeStep } from "./steps/replace-node.ts";
import { routeServersStep } from "./steps/route-servers.ts";
import { markWaiting, notYet, superseded, tooEarlyMs, waitAndRetry } from "./waiting.ts";

/** What to do with the message: delete it, or leave it for SQS to deliver again. */
export type JobOutcome =
  | {
      action: "ack";
      result: "active" | "waiting" | "failed" | "skipped" | "reconciled" | "removed" | "refreshed";
      reason?: string;
    }
  | { action: "retry"; reason: string; retryAfterSeconds?: number };

export interface DeliveryInfo {
  /** SQS ApproximateReceiveCount of this delivery (1 on the first). */
  receiveCount: number;
}

const live = new Set(["approved", "provisioning"]);

/**
 * Runs one provisioning job to a decision. Idempotent: every step converges when rerun, so
 * a duplicate or redelivered job ends in the same state. Only a problem of the request itself
 * (no address left, a node the controller refuses) fails it; a dependency that is down or
 * misconfigured — the controller unreachable or refusing our token, DynamoDB unavailable —
 * makes it wait, with the reason on the request, and it resumes by itself.
 */
export function processJob(
  deps: WorkerDeps,
  job: ProvisioningJob,
  delivery: DeliveryInfo,
): Promise<JobOutcome> {
  return withLogContext(
    { requestId: job.requestId, correlationId: job.correlationId, attempt: job.attempt },
    () => runJob(deps, job, delivery),
  );
}

async function runJob(deps: WorkerDeps, job: ProvisioningJob, delivery: DeliveryInfo): Promise<JobOutcome> {
  const log = deps.log;
  const lastDelivery = delivery.receiveCount >= (deps.maxReceiveCount ?? MAX_RECEIVE_COUNT);
  const early = tooEarlyMs(job, deps.now());
  if (early > 0) return notYet(deps, job, early, lastDelivery);
  let current: JoinRequestItem | null = null;
  try {
    const request = await getRequest(deps.data, job.requestId);
    if (!request) {
      log.warn("job for an unknown request: dropped");
      return { action: "ack", result: "skipped", reason: "unknown_request" };
    }
    if (job.attempt < request.attempt) {
      log.info("job for an earlier attempt: dropped", { current: request.attempt });
      return { action: "ack", result: "skipped", reason: "stale_attempt" };
    }
    if (!live.has(request.status)) {
      log.info("request is not approved or provisioning: job acknowledged", { status: request.status });
      return { action: "ack", result: "skipped", reason: `status_${request.status}` };
    }
    if (superseded(job, request.waitToken)) {
      log.info("a newer copy of this waiting job is in the queue: this one ends", {
        chain: job.waitToken,
        currentChain: request.waitToken,
      });
      return { action: "ack", result: "skipped", reason: "superseded" };
    }
    current = request;
    const policy = { ...defaultRetryPolicy, ...deps.retry };
    const retrying = <T>(what: string, fn: () => Promise<T>) =>
      withRetry(fn, isTransient, policy, (e, attempt, delayMs) =>
        log.warn(`${what} failed; retrying`, { attempt, delayMs, err: e }),
      );

    const lifecycle: LifecycleDeps = {
      config: deps.config,
      data: deps.data,
      provider: deps.provider(),
      log,
      now: deps.now,
    };
    const gate = await openGate(deps, lifecycle);
    await deps.afterStep?.("gate");
    if (!gate.open) {
      log.warn("controller gate closed: the request waits", { code: gate.code });
      await markWaiting(deps, current, "controller", `${gate.code}: ${gate.message}`);
      return await waitAndRetry(deps, job, `gate_closed:${gate.code}`);
    }
    current = await start(deps, current);
    await deps.afterStep?.("started");

    if (current.replacesRequestId) {
      await retrying("node replacement", () => replaceNodeStep(deps, current!, gate.controllerAddress));
      return { action: "ack", result: "active", reason: "node_replaced" };
    }
    const req = current;
    const addresses = await retrying("address allocation", () =>
      addressesStep(deps, req, gate.controllerAddress),
    );
    await deps.afterStep?.("addresses");
    const member = await retrying("member upsert", () => upsertMemberStep(deps, req, addresses));
    await deps.afterStep?.("member_upserted");
    await retrying("membership record", () => saveMembershipStep(deps, req, addresses, member));
    await deps.afterStep?.("membership_saved");
    const next = await retrying("route servers", () => routeServersStep(deps, req, addresses));
    await deps.afterStep?.("route_servers");
    if (next === "waiting") {
      log.info("member is desired on the route servers; their reconciles make it active");
      if (req.waitingOn) await clearWaiting(deps, req);
      return { action: "ack", result: "waiting", reason: "route_servers" };
    }
    await completeRequest(deps, req, addresses);
    return { action: "ack", result: "active" };
  } catch (e) {
    if (isAppError(e) && e.code === "invalid_transition") {
      log.info("request changed under the job: acknowledged", { details: e.details });
      return { action: "ack", result: "skipped", reason: "invalid_transition" };
    }
    const failure = describeFailure(e);
    if (current && isRequestProblem(e)) {
      log.error("provisioning failed", { code: failure.code, err: e });
      return await fail(deps, current, failure.code, failure.message);
    }
    // The controller (or DynamoDB, or something unforeseen) is the problem, not the request.
    log.warn("dependency problem: the request waits", { code: failure.code, err: e });
    if (isControllerError(e) && !e.transient) {
      // A token that stopped working, a wrong host key, a missing network: the controller's
      // problem. The gate closes, so every job waits until a preflight passes again.
      await closeGate(
        { data: deps.data, log, now: deps.now, actor: { actorType: "system", actorId: "worker" } },
        e,
      ).catch((g: unknown) => log.warn("could not close the controller gate", { err: g }));
    }
    if (current) {
      const on = isControllerError(e) ? "controller" : "service";
      await markWaiting(deps, current, on, `${failure.code}: ${failure.message}`);
    }
    return await waitAndRetry(deps, job, failure.code);
  }
}

/** approved → provisioning; a job that finds it already provisioning (a rerun) carries on. */
async function start(deps: WorkerDeps, request: JoinRequestItem): Promise<JoinRequestItem> {
  if (request.status === "provisioning") {
    return request.waitingOn ? clearWaiting(deps, request) : request;
  }
  return transitionRequest(deps.data, request, "start", {
    audit: { actorType: "system", message: "provisioning started" },
    now: deps.now(),
    clear: ["waitingOn", "waitingReason", "waitingSince"],
  });
}

/** The wait is over: the reason goes from the request. */
async function clearWaiting(deps: WorkerDeps, request: JoinRequestItem): Promise<JoinRequestItem> {
  await deps.data.entities.joinRequest
    .patch({ requestId: request.requestId })
    .remove(["waitingOn", "waitingReason", "waitingSince"])
    .go()
    .catch((e: unknown) => deps.log.warn("could not clear the wait reason", { err: e }));
  const { waitingOn: _a, waitingReason: _b, waitingSince: _c, ...rest } = request;
  return rest as JoinRequestItem;
}

/**
 * Fails the request with an actionable code and message (re-reading it: the status may have
 * moved). Its member leaves the desired route-server state in the same transaction, and the
 * route servers of its network are asked to drop it if they had it.
 */
export async function fail(
  deps: WorkerDeps,
  request: JoinRequestItem,
  code: string,
  message: string,
  also?: Parameters<typeof transitionRequest>[3]["also"],
): Promise<JobOutcome> {
  const current = (await getRequest(deps.data, request.requestId)) ?? request;
  if (!live.has(current.status))
    return { action: "ack", result: "skipped", reason: `status_${current.status}` };
  const key = routeServerMemberKey(current);
  try {
    await transitionRequest(deps.data, current, "fail", {
      set: { lastErrorCode: code, lastErrorMessage: message.slice(0, 1000) },
      audit: {
        actorType: "system",
        visibility: "operator",
        message: `provisioning failed: ${code}`,
        metadata: { code, message },
      },
      now: deps.now(),
      clear: ["waitingOn", "waitingReason", "waitingSince"],
      also: (tx) => [
        ...(also?.(tx) ?? [
          // Only this request's own record: a replacement must not take its predecessor's.
          tx.routeServerMember
            .delete(key)
            .where(
              ({ requestId }, { eq, notExists }) =>
                `${notExists(requestId)} OR ${eq(requestId, current.requestId)}`,
            )
            .commit(),
        ]),
      ],
    });
  } catch (e) {
    if (isAppError(e) && e.code === "invalid_transition")
      return { action: "ack", result: "skipped", reason: "invalid_transition" };
    throw e;
  }
  const servers = routeServersOfNetwork(
    deps.config.route_servers,
    deps.config.networks,
    splitNetworkId(current.networkId).suffix,
  );
  if (servers.length > 0 && !current.replacesRequestId) {
    await requestReconcile(
      deps,
      servers.map((s) => s.id),
      "member_change",
      { correlationId: current.correlationId },
    ).catch((e: unknown) => deps.log.warn("could not ask the route servers to drop the member", { err: e }));
  }
  return { action: "ack", result: "failed", reason: code };
}
