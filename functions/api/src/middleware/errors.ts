import { AppError } from "@ztix/core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../env.ts";

/** Renders any thrown error as `{error: {code, message, details}}`; only real faults are 500s. */
export function handleError(err: Error, c: Context<AppEnv>) {
  if (err instanceof AppError) {
    if (err.status >= 500) c.get("log")?.error("request failed", { code: err.code, error: err });
    if (err.status === 503) c.header("Retry-After", "5");
    return c.json(err.toJSON(), err.status as ContentfulStatusCode);
  }
  if (err instanceof HTTPException) {
    const code =
      err.status === 413 ? "payload_too_large" : err.status === 401 ? "unauthenticated" : "bad_request";
    return c.json({ error: { code, message: err.message || code, details: {} } }, err.status);
  }
  if (isOverloaded(err) || isUnavailable(err)) {
    c.get("log")?.warn("backend overloaded", { error: err });
    c.header("Retry-After", "1");
    return c.json(
      { error: { code: "service_unavailable", message: "busy, try again shortly", details: {} } },
      503,
    );
  }
  c.get("log")?.error("unhandled error", { error: err, stack: err.stack });
  return c.json(
    {
      error: {
        code: "internal_error",
        message: "internal error",
        details: { request_id: c.get("requestId") },
      },
    },
    500,
  );
}

const overloadNames = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "TransactionConflictException",
  "ServiceUnavailable",
  "InternalServerError",
]);

/**
 * A dependency that did not answer (DynamoDB or SQS down, paused, unreachable: the AWS client
 * factory marks such errors transient) is not the caller's fault and not our bug: 503.
 */
function isUnavailable(err: Error): boolean {
  const e = err as { transient?: unknown; cause?: { transient?: unknown } };
  return (e.transient ?? e.cause?.transient) === true;
}

/** AWS throttling and transient server faults: the client should retry, so 503, not 500. */
function isOverloaded(err: Error): boolean {
  const e = err as Error & { cause?: { name?: string }; $retryable?: unknown };
  return overloadNames.has(e.name) || overloadNames.has(e.cause?.name ?? "");
}

export function notFound(c: Context<AppEnv>) {
  return c.json(
    { error: { code: "not_found", message: `no route for ${c.req.method} ${c.req.path}`, details: {} } },
    404,
  );
}
