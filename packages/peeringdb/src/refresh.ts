/**
 * When to ask PeeringDB again about one network. Pure: the caller keeps a RefreshState per
 * network, updates it with `afterSuccess` / `afterFailure`, and asks `nextRefreshAt`.
 * PeeringDB records change rarely and its API is rate-limited, so a healthy record is read
 * once a day; failures back off exponentially so an outage or a throttle is not made worse.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface RefreshPolicy {
  /** How often a good record is read again. Default 24 h. */
  intervalMs: number;
  /** Wait after the first failure; doubles with each further one. Default 5 min. */
  backoffMinMs: number;
  /** The most the backoff grows to (and the wait after a failure that will not pass by itself). Default 6 h. */
  backoffMaxMs: number;
}

export const defaultRefreshPolicy: RefreshPolicy = {
  intervalMs: 24 * HOUR,
  backoffMinMs: 5 * MINUTE,
  backoffMaxMs: 6 * HOUR,
};

export interface RefreshState {
  /** When PeeringDB last answered (a record, or "not in PeeringDB"); null if never. */
  lastSuccessAt: Date | null;
  /** Failures in a row since then. */
  failures: number;
  lastFailureAt: Date | null;
  /** Whether the last failure may pass by itself (the error's `transient`). */
  lastFailureTransient: boolean;
  /** From the last failure when it was a 429 with Retry-After. */
  retryAfterSeconds: number | null;
}

export const neverRefreshed: RefreshState = {
  lastSuccessAt: null,
  failures: 0,
  lastFailureAt: null,
  lastFailureTransient: true,
  retryAfterSeconds: null,
};

export function afterSuccess(at: Date): RefreshState {
  return { ...neverRefreshed, lastSuccessAt: at };
}

export function afterFailure(
  state: RefreshState,
  at: Date,
  error: { transient: boolean; retryAfterSeconds?: number | undefined },
): RefreshState {
  return {
    lastSuccessAt: state.lastSuccessAt,
    failures: state.failures + 1,
    lastFailureAt: at,
    lastFailureTransient: error.transient,
    retryAfterSeconds: error.retryAfterSeconds ?? null,
  };
}

/** The wait after `failures` failures in a row: min, 2·min, 4·min, … capped at max. */
export function backoffMs(failures: number, policy: RefreshPolicy = defaultRefreshPolicy): number {
  if (failures <= 0) return 0;
  // Past ~40 doublings the number stops being exact; the cap is reached long before.
  const exponent = Math.min(failures - 1, 40);
  return Math.min(policy.backoffMaxMs, policy.backoffMinMs * 2 ** exponent);
}

/**
 * When to try next:
 * - never read: at once (the epoch, so it is due whatever the clock says);
 * - no failure since the last success: one interval after it;
 * - after a failure: its backoff (the ceiling at once when it will not pass by itself, e.g. a
 *   refused key), and never before a 429's Retry-After (PeeringDB's wish beats our schedule,
 *   even above the ceiling);
 * - a failure never brings the next try before the regular refresh of a record that is still
 *   current (a failed early refresh does not make a good record stale).
 */
export function nextRefreshAt(state: RefreshState, policy: RefreshPolicy = defaultRefreshPolicy): Date {
  const regular = state.lastSuccessAt ? state.lastSuccessAt.getTime() + policy.intervalMs : null;
  if (state.failures <= 0 || !state.lastFailureAt) return new Date(regular ?? 0);
  const failedAt = state.lastFailureAt.getTime();
  const wait = state.lastFailureTransient ? backoffMs(state.failures, policy) : policy.backoffMaxMs;
  let at = failedAt + wait;
  if (state.retryAfterSeconds !== null) at = Math.max(at, failedAt + state.retryAfterSeconds * 1000);
  if (regular !== null) at = Math.max(at, regular);
  return new Date(at);
}

export function isRefreshDue(
  state: RefreshState,
  now: Date,
  policy: RefreshPolicy = defaultRefreshPolicy,
): boolean {
  return nextRefreshAt(state, policy).getTime() <= now.getTime();
}

/** How old the last good answer is at `now`, or null if there never was one. */
export function recordAgeMs(state: RefreshState, now: Date): number | null {
  return state.lastSuccessAt ? Math.max(0, now.getTime() - state.lastSuccessAt.getTime()) : null;
}

export interface MaxPrefixOptions {
  /** Added on top of the stated count, in percent (e.g. 20 for +20 %). */
  headroomPercent: number;
  /** The limit when the count is unknown, and the least limit ever given. */
  floor: number;
}

/**
 * A BGP max-prefix limit from the count a network states in PeeringDB: the count plus
 * headroom, rounded up (networks grow, and a session torn down at exactly the stated count
 * would punish honesty); the floor when the count is unknown (null or 0) or the result is
 * below it (small counts are often stale, and a tiny limit drops a session over one new route).
 */
export function maxPrefixFromPeeringDb(count: number | null | undefined, options: MaxPrefixOptions): number {
  const { headroomPercent, floor } = options;
  if (!Number.isInteger(floor) || floor < 1)
    throw new RangeError(`floor must be a positive integer, got ${floor}`);
  if (!Number.isFinite(headroomPercent) || headroomPercent < 0) {
    throw new RangeError(`headroomPercent must be 0 or more, got ${headroomPercent}`);
  }
  if (count === null || count === undefined || !Number.isFinite(count) || count <= 0) return floor;
  // Multiply before dividing so whole-number inputs stay exact (100 × 110 / 100, not 100 × 1.1),
  // and drop float dust before rounding up, so 1000 at +0.1 % is 1001, not 1002.
  const exact = (Math.ceil(count) * (100 + headroomPercent)) / 100;
  const limit = Math.ceil(Math.round(exact * 1e6) / 1e6);
  return Math.max(floor, limit);
}
