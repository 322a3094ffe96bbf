import {
  afterFailure,
  afterSuccess,
  nextRefreshAt,
  type RefreshPolicy,
  type RefreshState,
} from "@ztix/peeringdb";

/** The refresh fields every refreshed record carries (see @ztix/data policy-data entities). */
export interface StoredRefresh {
  lastSuccessAt?: string | undefined;
  failures?: number | undefined;
  lastFailureAt?: string | undefined;
  lastFailureTransient?: boolean | undefined;
  retryAfterSeconds?: number | undefined;
}

const HOUR = 3_600_000;

/** The schedule for a source refreshed every `hours` (backoff from 5 minutes up to 6 hours). */
export function refreshPolicy(hours: number): RefreshPolicy {
  return {
    intervalMs: hours * HOUR,
    backoffMinMs: 5 * 60_000,
    backoffMaxMs: Math.min(6 * HOUR, hours * HOUR),
  };
}

export function toState(stored: StoredRefresh | null | undefined): RefreshState {
  return {
    lastSuccessAt: stored?.lastSuccessAt ? new Date(stored.lastSuccessAt) : null,
    failures: stored?.failures ?? 0,
    lastFailureAt: stored?.lastFailureAt ? new Date(stored.lastFailureAt) : null,
    lastFailureTransient: stored?.lastFailureTransient ?? true,
    retryAfterSeconds: stored?.retryAfterSeconds ?? null,
  };
}

/** Attributes to write after a good answer: the failure fields are cleared. */
export function successFields(at: Date, policy: RefreshPolicy) {
  const state = afterSuccess(at);
  return {
    set: {
      lastSuccessAt: at.toISOString(),
      failures: 0,
      nextRefreshAt: nextRefreshAt(state, policy).toISOString(),
      updatedAt: at.toISOString(),
    },
    remove: [
      "lastFailureAt",
      "lastFailureTransient",
      "retryAfterSeconds",
      "lastErrorCode",
      "lastError",
    ] as const,
  };
}

/** Attributes to write after a failure: the last good data and its age are left as they are. */
export function failureFields(
  stored: StoredRefresh | null | undefined,
  at: Date,
  error: { code: string; message: string; transient: boolean; retryAfterSeconds?: number | undefined },
  policy: RefreshPolicy,
) {
  const state = afterFailure(toState(stored), at, error);
  return {
    failures: state.failures,
    lastFailureAt: at.toISOString(),
    lastFailureTransient: error.transient,
    ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
    lastErrorCode: error.code,
    lastError: error.message.slice(0, 500),
    nextRefreshAt: nextRefreshAt(state, policy).toISOString(),
    updatedAt: at.toISOString(),
  };
}

export function isDue(stored: { nextRefreshAt?: string } | null | undefined, now: Date): boolean {
  return !stored?.nextRefreshAt || Date.parse(stored.nextRefreshAt) <= now.getTime();
}
