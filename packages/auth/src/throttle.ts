import type { RuntimeConfig } from "@ztix/core";
import type { DataService } from "@ztix/data";
import { tokenHash } from "./tokens.ts";

export type ThrottleConfig = RuntimeConfig["auth"]["local"]["throttle"];

/** What a throttle counter is about: a username (lower-cased) or a client address. */
export type ThrottleSubject = { kind: "username"; value: string } | { kind: "address"; value: string };

export interface ThrottleVerdict {
  blocked: boolean;
  /** Seconds until the current window ends (for `Retry-After`), when blocked. */
  retryAfterSeconds: number;
  /** Which counter blocked the attempt (`username`, `address`, `start_address`, `start_browser`). */
  reason?: string;
}

/** One fixed-window counter: its table key, the most it may reach, and what to call a block. */
interface Counter {
  key: string;
  limit: number;
  reason: string;
}

const keyOf = (s: ThrottleSubject) => `${s.kind}:${s.value}`;
const limitOf = (s: ThrottleSubject, cfg: ThrottleConfig) =>
  s.kind === "username" ? cfg.max_failures_per_username : cfg.max_failures_per_address;

/** Fixed windows: every counter of a window shares its start, so a key + start is one item. */
function windowOf(windowSeconds: number, now: Date) {
  const start = Math.floor(now.getTime() / 1000 / windowSeconds) * windowSeconds;
  return { start, end: start + windowSeconds };
}

/**
 * Adds one to every counter and says whether any went over its limit. Each ADD returns the
 * new count atomically, so N parallel calls see N distinct counts and at most `limit` of them
 * pass: reading first and counting after would let a burst through.
 */
async function countAgainst(
  data: DataService,
  counters: Counter[],
  windowSeconds: number,
  now: Date,
): Promise<ThrottleVerdict> {
  const { start, end } = windowOf(windowSeconds, now);
  const retryAfterSeconds = Math.max(1, end - Math.floor(now.getTime() / 1000));
  const counts = await Promise.all(
    counters.map(async (counter) => {
      const out = await data.entities.loginThrottle
        .update({ key: counter.key, windowStart: start })
        .add({ failures: 1 })
        .set({ ttl: end + 60 })
        .go({ response: "updated_new" });
      return { counter, count: out.data.failures ?? 0 };
    }),
  );
  const over = counts.find(({ counter, count }) => count > counter.limit);
  return over
    ? { blocked: true, retryAfterSeconds, reason: over.counter.reason }
    : { blocked: false, retryAfterSeconds: 0 };
}

/**
 * Counts this sign-in attempt against every subject BEFORE the password is checked, and says
 * whether it is over a limit, so a burst cannot outrun the count. A correct password then
 * takes back only its own reservation (`forgiveAttempt`).
 */
export function reserveAttempt(
  data: DataService,
  cfg: ThrottleConfig,
  subjects: ThrottleSubject[],
  now: Date,
): Promise<ThrottleVerdict> {
  const counters = subjects.map((s) => ({ key: keyOf(s), limit: limitOf(s, cfg), reason: s.kind }));
  return countAgainst(data, counters, cfg.window_seconds, now);
}

/**
 * A correct password. The address's counter loses exactly the one this attempt reserved and
 * nothing more: its earlier failures stay counted for the rest of the window, so owning one
 * valid account never buys an address more guesses at others (a success costs the address
 * nothing, a failure always costs one). The username's counter restarts: its failures were
 * guesses at this password, and the account's owner has just shown they know it.
 */
export async function forgiveAttempt(
  data: DataService,
  cfg: ThrottleConfig,
  subjects: ThrottleSubject[],
  now: Date,
): Promise<void> {
  const { start } = windowOf(cfg.window_seconds, now);
  await Promise.all(
    subjects.map((s) =>
      s.kind === "username"
        ? data.entities.loginThrottle.delete({ key: keyOf(s), windowStart: start }).go()
        : data.entities.loginThrottle
            .update({ key: keyOf(s), windowStart: start })
            .add({ failures: -1 })
            .go({ response: "none" }),
    ),
  );
}

/**
 * How often one client address, and one browser, may start a PeeringDB sign-in: each start
 * stores a pending state row, so unthrottled starts are a cheap way to fill the table.
 */
export const SIGN_IN_START_LIMITS = { perAddress: 30, perBrowser: 10, windowSeconds: 600 } as const;

/**
 * Counts one PeeringDB sign-in start against its client address and, when the browser sent
 * one, against a token that stays the same across its starts (the API passes the CSRF
 * cookie). The browser token is stored hashed. A script can drop the token, never the
 * address, so the per-address limit is the real bound; the lower per-browser one stops a
 * single browser (a page stuck in a loop, a user hammering the button) well before that.
 */
export function reserveSignInStart(
  data: DataService,
  input: { address: string; browser?: string },
  now: Date,
  limits: { perAddress: number; perBrowser: number; windowSeconds: number } = SIGN_IN_START_LIMITS,
): Promise<ThrottleVerdict> {
  const counters: Counter[] = [
    { key: `oidc_start_address:${input.address}`, limit: limits.perAddress, reason: "start_address" },
  ];
  if (input.browser) {
    counters.push({
      key: `oidc_start_browser:${tokenHash(input.browser)}`,
      limit: limits.perBrowser,
      reason: "start_browser",
    });
  }
  return countAgainst(data, counters, limits.windowSeconds, now);
}
