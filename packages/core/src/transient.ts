/**
 * Whether a failure may pass by itself (a dependency down, busy or slow) or is the request's
 * own problem. The adapter that raises an error decides, by setting `transient` on it (the
 * controller, SSH, IRR and PeeringDB adapters do; the AWS client factory marks SDK errors);
 * wrappers keep it on their `cause`. An error nobody classified is a bug or an unknown
 * failure, never the request's fault: it counts as transient, so work waits instead of failing.
 */
export function isTransientFailure(e: unknown): boolean {
  for (
    let cur = e as { transient?: unknown; cause?: unknown } | undefined, depth = 0;
    cur && depth < 5;
    depth++
  ) {
    if (typeof cur.transient === "boolean") return cur.transient;
    cur = cur.cause as typeof cur;
  }
  // An AppError (code + status) without a verdict is a decision of ours: not transient.
  const app = e as { code?: unknown; status?: unknown } | undefined;
  if (typeof app?.code === "string" && typeof app?.status === "number")
    return app.status >= 500 && app.status !== 500;
  return true;
}
