import { emitMetric, type Logger, type LogSink } from "@ztix/core";
import { type DataService, writeAudit } from "@ztix/data";

export type AuthMethod = "local" | "peeringdb";

export interface AuthAttempt {
  method: AuthMethod;
  outcome: "success" | "failure";
  /** `ok` on success; otherwise the refusal's reason (stable snake_case). */
  reason: string;
  userId?: string;
  address?: string;
  username?: string;
  requestId?: string;
  metadata?: Record<string, unknown>;
  now: Date;
}

/**
 * Records one sign-in attempt three ways: an audit event (subject `auth`), an EMF metric
 * `AuthAttempts` by method/outcome/reason, and a log line (carrying the request id).
 * A failed audit write never hides the original refusal: failures are logged and dropped.
 */
export async function recordAuthAttempt(
  data: DataService,
  log: Logger,
  attempt: AuthAttempt,
  options: { metricSink?: LogSink } = {},
): Promise<void> {
  const fields = {
    method: attempt.method,
    outcome: attempt.outcome,
    reason: attempt.reason,
    user_id: attempt.userId,
    username: attempt.username,
    address: attempt.address,
    request_id: attempt.requestId,
  };
  if (attempt.outcome === "success") log.info("auth.attempt", fields);
  else log.warn("auth.attempt", fields);
  emitMetric(
    "AuthAttempts",
    1,
    "Count",
    { Method: attempt.method, Outcome: attempt.outcome, Reason: attempt.reason },
    { sink: options.metricSink, properties: { requestId: attempt.requestId } },
  );
  const audit = writeAudit(data, {
    subject: "auth",
    action: attempt.outcome === "success" ? "auth.login" : "auth.login_failed",
    actorType: attempt.userId ? "user" : "anonymous",
    actorId: attempt.userId,
    requestId: attempt.requestId,
    message: `${attempt.method} sign-in ${attempt.outcome === "success" ? "succeeded" : `refused: ${attempt.reason}`}`,
    metadata: {
      method: attempt.method,
      reason: attempt.reason,
      address: attempt.address,
      username: attempt.username,
      ...attempt.metadata,
    },
    at: attempt.now,
  });
  if (attempt.outcome === "success") {
    await audit;
    return;
  }
  await audit.catch((e) => log.error("auth.audit_failed", { error: e }));
}
