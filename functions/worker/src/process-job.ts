import { emitMetric, isAppError, type ProvisioningJob, withLogContext } from "@ztix/core";
import { getRequest, type JoinRequestItem, transitionRequest } from "@ztix/data";
import { checkGate, type LifecycleDeps } from "@ztix/zerotier";
import { MAX_RECEIVE_COUNT, type WorkerDeps } from "./deps.ts";
import { describeFailure, isTransient } from "./errors.ts";
import { defaultRetryPolicy, withRetry } from "./retry.ts";
import { addressesStep } from "./steps/addresses.ts";
import { saveMembershipStep, upsertMemberStep } from "./steps/member.ts";
import { routeServersStep } from "./steps/route-servers.ts";

/** What to do with the message: delete it, or leave it for SQS to deliver again. */
export type JobOutcome =
  | { action: "ack"; result: "active" | "failed" | "skipped"; reason?: string }
  | { action: "retry"; reason: string };

export interface DeliveryInfo {
  /** SQS ApproximateReceiveCount of this delivery (1 on the first). */
  receiveCount: number;
}

const live = new Set(["approved", "provisioning"]);

/**
 * Runs one provisioning job to a decision. Idempotent: every step converges when rerun, so
 * a duplicate or redelivered job ends in the same state. A closed controller gate or a
 * transient failure leaves the message for redelivery — except on the last delivery SQS
 * will make, where the request is failed instead, so nothing reaches the DLQ unresolved.
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
  const policy = { ...defaultRetryPolicy, ...deps.retry };
  const retrying = <T>(what: string, fn: () => Promise<T>) =>
    withRetry(fn, isTransient, policy, (e, attempt, delayMs) =>
      log.warn(`${what} failed; retrying`, { attempt, delayMs, err: e }),
    );

  let current: JoinRequestItem = request;
  try {
    const lifecycle: LifecycleDeps = {
      config: deps.config,
      data: deps.data,
      provider: deps.provider(),
      log,
      now: deps.now,
    };
    const gate = await checkGate(lifecycle);
    await deps.afterStep?.("gate");
    if (!gate.open) {
      if (lastDelivery) {
        return await fail(
          deps,
          current,
          "controller_gate_closed",
          `the controller gate stayed closed (${gate.code}: ${gate.message}); retry the request once it is open`,
        );
      }
      log.warn("controller gate closed: job left for redelivery", { code: gate.code });
      return { action: "retry", reason: `gate_closed:${gate.code}` };
    }
    current = await start(deps, current);
    await deps.afterStep?.("started");
    const addresses = await retrying("address allocation", () =>
      addressesStep(deps, current, gate.controllerAddress),
    );
    await deps.afterStep?.("addresses");
    const member = await retrying("member upsert", () => upsertMemberStep(deps, current, addresses));
    await deps.afterStep?.("member_upserted");
    await retrying("membership record", () => saveMembershipStep(deps, current, addresses, member));
    await deps.afterStep?.("membership_saved");
    await retrying("route servers", () => routeServersStep(deps, current, addresses));
    await deps.afterStep?.("route_servers");
    return await complete(deps, current, addresses);
  } catch (e) {
    const failure = describeFailure(e);
    if (isTransient(e) && !lastDelivery) {
      log.warn("transient failure: job left for redelivery", { code: failure.code, err: e });
      return { action: "retry", reason: failure.code };
    }
    if (isAppError(e) && e.code === "invalid_transition") {
      log.info("request changed under the job: acknowledged", { details: e.details });
      return { action: "ack", result: "skipped", reason: "invalid_transition" };
    }
    const message =
      lastDelivery && isTransient(e)
        ? `gave up after ${delivery.receiveCount} deliveries: ${failure.message}`
        : failure.message;
    log.error("provisioning failed", { code: failure.code, err: e });
    return await fail(deps, current, failure.code, message);
  }
}

/** approved → provisioning; a job that finds it already provisioning (a rerun) carries on. */
async function start(deps: WorkerDeps, request: JoinRequestItem): Promise<JoinRequestItem> {
  if (request.status === "provisioning") return request;
  return transitionRequest(deps.data, request, "start", {
    audit: { actorType: "system", message: "provisioning started" },
    now: deps.now(),
  });
}

async function complete(
  deps: WorkerDeps,
  request: JoinRequestItem,
  addresses: { ipv4: string; ipv6?: string },
): Promise<JobOutcome> {
  const now = deps.now();
  await transitionRequest(deps.data, request, "complete", {
    set: { activeAt: now.toISOString() },
    audit: {
      actorType: "system",
      visibility: "operator",
      message: `active with ${[addresses.ipv4, addresses.ipv6].filter(Boolean).join(" and ")}`,
      metadata: addresses,
    },
    now,
  });
  const approvedAt = Date.parse(request.approvedAt ?? request.decidedAt ?? request.updatedAt);
  if (Number.isFinite(approvedAt)) {
    emitMetric(
      "ProvisioningLatency",
      now.getTime() - approvedAt,
      "Milliseconds",
      {},
      {
        properties: { requestId: request.requestId, correlationId: request.correlationId },
        sink: deps.metricSink,
      },
    );
  }
  deps.log.info("request active", { ...addresses });
  return { action: "ack", result: "active" };
}

/** Fails the request with an actionable code and message (re-reading it: the status may have moved). */
export async function fail(
  deps: WorkerDeps,
  request: JoinRequestItem,
  code: string,
  message: string,
): Promise<JobOutcome> {
  const current = (await getRequest(deps.data, request.requestId)) ?? request;
  if (!live.has(current.status))
    return { action: "ack", result: "skipped", reason: `status_${current.status}` };
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
    });
  } catch (e) {
    if (isAppError(e) && e.code === "invalid_transition")
      return { action: "ack", result: "skipped", reason: "invalid_transition" };
    throw e;
  }
  return { action: "ack", result: "failed", reason: code };
}
