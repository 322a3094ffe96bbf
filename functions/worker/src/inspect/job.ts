import { enqueueInspectRequest } from "@ztix/aws";
import { type InspectRequestJob, withLogContext } from "@ztix/core";
import { getRequest, type JoinRequestItem } from "@ztix/data";
import { type NodeMemberState, recordNodeCheck, waitsForNode } from "@ztix/workflow";
import { MAX_RECEIVE_COUNT, type WorkerDeps } from "../deps.ts";
import type { DeliveryInfo, JobOutcome } from "../process-job.ts";

/** A watch checks again after 15 s, doubling to every 10 minutes… */
const WATCH_BASE_MS = 15_000;
const WATCH_MAX_MS = 10 * 60_000;
/** …for at most this long after the request was made; then an admin decides. */
export const WATCH_FOR_HOURS = 72;

export function watchDelayMs(checks: number): number {
  return Math.min(WATCH_MAX_MS, WATCH_BASE_MS * 2 ** Math.min(checks, 20));
}

/**
 * Asks the controller whether the request's node asked to join its network and records the
 * answer on the request (see recordNodeCheck in @ztix/workflow); when policy_auto requires a
 * seen node, the check that sees it approves the request. A controller that is down, slow or
 * refusing us records nothing new: the request is never failed or changed by a check. A
 * watching check (the request waits for its node) queues its next copy, with backoff.
 */
export function processInspect(
  deps: WorkerDeps,
  job: InspectRequestJob,
  delivery: DeliveryInfo = { receiveCount: 1 },
): Promise<JobOutcome> {
  return withLogContext({ requestId: job.requestId, correlationId: job.correlationId }, async () => {
    try {
      return await runInspect(deps, job, delivery);
    } catch (e) {
      // Our own storage or queue failed: SQS delivers the check again (the DLQ drops it).
      deps.log.warn("node check crashed: left for redelivery", { err: e });
      return { action: "retry", reason: "crashed" } as const;
    }
  });
}

async function runInspect(
  deps: WorkerDeps,
  job: InspectRequestJob,
  delivery: DeliveryInfo,
): Promise<JobOutcome> {
  const now = deps.now();
  const early = job.notBefore ? Date.parse(job.notBefore) - now.getTime() : 0;
  if (early > 0) {
    if (delivery.receiveCount < (deps.maxReceiveCount ?? MAX_RECEIVE_COUNT)) {
      return { action: "retry", reason: "not_before", retryAfterSeconds: Math.ceil(early / 1000) };
    }
    // Its receives are running out: a fresh copy keeps the same time.
    await enqueueInspectRequest(deps.sqs, deps.queueUrl, job);
    return { action: "ack", result: "waiting", reason: "not_before" };
  }
  const request = await getRequest(deps.data, job.requestId);
  if (!request) return { action: "ack", result: "skipped", reason: "unknown_request" };
  const watching = job.watch !== undefined;
  // Asked again while an earlier ask was still queued: that check already answered this one.
  if (!watching && request.nodeSeenCheckedAt && request.nodeSeenCheckedAt >= job.requestedAt) {
    return { action: "ack", result: "skipped", reason: "coalesced" };
  }
  if (watching && !waitsForNode(deps, request)) {
    return { action: "ack", result: "skipped", reason: "not_waiting" };
  }

  const state = await memberState(deps, request);
  let current = request;
  if (state) {
    const out = await recordNodeCheck(deps, request, state);
    current = out.request;
    if (out.newlySeen) deps.log.info("the node asked the controller to join", { approved: out.approved });
  }
  if (watching) await watchAgain(deps, job, current);
  return state
    ? { action: "ack", result: "refreshed", reason: state }
    : { action: "ack", result: "skipped", reason: "controller_unavailable" };
}

/** The controller's member record of the node, as a state; null when the controller did not answer. */
async function memberState(deps: WorkerDeps, request: JoinRequestItem): Promise<NodeMemberState | null> {
  try {
    const member = await deps.provider().getMember(request.networkId, request.nodeId.toLowerCase());
    if (!member) return "absent";
    return member.authorized ? "authorized" : "unauthorized";
  } catch (e) {
    deps.log.warn("node check: the controller did not answer; nothing recorded", { err: e });
    return null;
  }
}

/** The next check of a watch, while the request still waits for its node and not for too long. */
async function watchAgain(deps: WorkerDeps, job: InspectRequestJob, request: JoinRequestItem) {
  if (!waitsForNode(deps, request)) return;
  const now = deps.now();
  const checks = (job.watch ?? 0) + 1;
  if (now.getTime() - Date.parse(request.createdAt) > WATCH_FOR_HOURS * 3_600_000 || checks > 10_000) {
    deps.log.info("node check: stopped watching; the request waits for an admin", { checks });
    return;
  }
  try {
    await enqueueInspectRequest(deps.sqs, deps.queueUrl, {
      kind: "inspect_request",
      requestId: job.requestId,
      requestedAt: job.requestedAt,
      watch: checks,
      notBefore: new Date(now.getTime() + watchDelayMs(checks - 1)).toISOString(),
      ...(job.correlationId ? { correlationId: job.correlationId } : {}),
    });
  } catch (e) {
    // The admin page asks again whenever it is opened; the request itself is unharmed.
    deps.log.warn("node check: could not queue the next check", { err: e });
  }
}
