import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { CORRELATION_ATTRIBUTE } from "@ztix/core";
import { consumeMessage } from "./consume.ts";
import type { WorkerDeps } from "./deps.ts";
import { handleDeadLetter } from "./dlq.ts";
import type { QueueMessage } from "./messages.ts";
import type { JobOutcome } from "./process-job.ts";

export interface PollerOptions {
  deps: WorkerDeps;
  sqs: SQSClient;
  queueUrl: string;
  /** Also drain the DLQ (what the DLQ Lambda does in AWS). */
  dlqUrl?: string;
  /** Long-poll wait (seconds, ≤ 20). */
  waitTimeSeconds?: number;
  /** Parallel receive loops (each takes up to 10 messages, one per group, at a time). */
  loops?: number;
  /**
   * How soon a job left for redelivery comes back. AWS waits the queue's visibility timeout;
   * locally a shorter wait keeps `npm run dev` responsive after a controller hiccup.
   */
  retryVisibilitySeconds?: number;
  /** Caps a job's own retry delay (tests keep waits short). */
  maxRetryVisibilitySeconds?: number;
  onOutcome?: (message: QueueMessage, outcome: JobOutcome) => void;
}

export interface Poller {
  stop(): Promise<void>;
}

function toQueueMessage(m: Message): QueueMessage {
  return {
    messageId: m.MessageId ?? "",
    body: m.Body ?? "",
    receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? "1"),
    groupId: m.Attributes?.MessageGroupId,
    correlationId: m.MessageAttributes?.[CORRELATION_ATTRIBUTE]?.StringValue,
  };
}

/**
 * The local stand-in for the SQS → Lambda integration: long-polls the queue, runs each job,
 * deletes it when acknowledged and otherwise hands it back for redelivery. `npm run dev`
 * starts one; tests and the bench start their own.
 */
export function startPoller(options: PollerOptions): Poller {
  const { deps, sqs } = options;
  const abort = new AbortController();
  let running = true;

  async function receive(queueUrl: string, wait: number): Promise<{ msg: Message; qm: QueueMessage }[]> {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: wait,
        MessageSystemAttributeNames: ["ApproximateReceiveCount", "MessageGroupId"],
        MessageAttributeNames: ["All"],
      }),
      { abortSignal: abort.signal },
    );
    return (out.Messages ?? []).map((msg) => ({ msg, qm: toQueueMessage(msg) }));
  }

  async function settle(queueUrl: string, msg: Message, outcome: JobOutcome) {
    if (outcome.action === "ack") {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: msg.ReceiptHandle }));
      return;
    }
    // A job's own wait (a reconcile waiting out BIRD's undo window) wins over the local default.
    const delay = outcome.retryAfterSeconds ?? options.retryVisibilitySeconds;
    if (delay === undefined) return;
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: msg.ReceiptHandle,
        VisibilityTimeout: Math.min(delay, options.maxRetryVisibilitySeconds ?? 43_200),
      }),
    );
  }

  async function loop(index: number) {
    while (running) {
      try {
        if (options.dlqUrl && index === 0) {
          for (const { msg, qm } of await receive(options.dlqUrl, 0)) {
            const outcome = await handleDeadLetter(deps, qm);
            options.onOutcome?.(qm, outcome);
            await settle(options.dlqUrl, msg, { action: "ack", result: "skipped" });
          }
        }
        const batch = await receive(options.queueUrl, options.waitTimeSeconds ?? 10);
        const groups = new Map<string, typeof batch>();
        for (const item of batch) {
          const key = item.qm.groupId ?? item.qm.messageId;
          groups.set(key, [...(groups.get(key) ?? []), item]);
        }
        await Promise.all(
          [...groups.values()].map(async (group) => {
            let retryRest = false;
            for (const { msg, qm } of group) {
              const outcome: JobOutcome = retryRest
                ? { action: "retry", reason: "group_blocked" }
                : await consumeMessage(deps, qm);
              if (outcome.action === "retry") retryRest = true;
              options.onOutcome?.(qm, outcome);
              await settle(options.queueUrl, msg, outcome);
            }
          }),
        );
      } catch (e) {
        if (!running) break;
        deps.log.error("poller receive failed; backing off", { err: e });
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  const loops = Array.from({ length: Math.max(1, options.loops ?? 1) }, (_, i) => loop(i));
  return {
    async stop() {
      running = false;
      // Let the open long-polls end on their own: a receive aborted client-side can still
      // take a message server-side, which then sits invisible for the whole visibility
      // timeout. Abort only if they overrun.
      const settled = Promise.allSettled(loops);
      const grace = new Promise((r) => setTimeout(r, ((options.waitTimeSeconds ?? 10) + 5) * 1000).unref());
      await Promise.race([settled, grace]);
      abort.abort();
      await settled;
    },
  };
}
