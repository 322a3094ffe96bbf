import { resumeWaitingOnController } from "@ztix/workflow";
import { checkGate, type GateDecision, type LifecycleDeps } from "@ztix/zerotier";
import type { WorkerDeps } from "./deps.ts";

/**
 * The controller gate as a job sees it. When this check is the one that reopened it, every
 * request that waited on the controller is sent again now, instead of at its next backoff.
 */
export async function openGate(deps: WorkerDeps, lifecycle: LifecycleDeps): Promise<GateDecision> {
  const gate = await checkGate(lifecycle);
  if (gate.open && gate.reopened) {
    await resumeWaitingOnController({
      config: deps.config,
      data: deps.data,
      sqs: deps.sqs,
      queueUrl: deps.queueUrl,
      log: deps.log,
      now: deps.now,
    }).catch((e: unknown) =>
      deps.log.warn("could not resume the requests waiting on the controller", { err: e }),
    );
  }
  return gate;
}
