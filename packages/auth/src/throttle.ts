import type { RuntimeConfig } from "@ztix/core";
import type { DataService } from "@ztix/data";

export type ThrottleConfig = RuntimeConfig["auth"]["local"]["throttle"];

/** What a throttle counter is about: a username (lower-cased) or a client address. */
export type ThrottleSubject = { kind: "username"; value: string } | { kind: "address"; value: string };

export interface ThrottleVerdict {
  blocked: boolean;
  /** Seconds until the current window ends (for `Retry-After`), when blocked. */
  retryAfterSeconds: number;
  /** Which counter blocked the attempt. */
  reason?: ThrottleSubject["kind"];
}

const keyOf = (s: ThrottleSubject) => `${s.kind}:${s.value}`;
const limitOf = (s: ThrottleSubject, cfg: ThrottleConfig) =>
  s.kind === "username" ? cfg.max_failures_per_username : cfg.max_failures_per_address;

/** Fixed windows: every counter of a window shares its start, so a key + start is one item. */
function windowOf(cfg: ThrottleConfig, now: Date) {
  const size = cfg.window_seconds;
  const start = Math.floor(now.getTime() / 1000 / size) * size;
  return { start, end: start + size };
}

/**
 * Counts this attempt against every subject BEFORE the password is checked, and says whether
 * it is over a limit. Each ADD returns the new count atomically, so N parallel attempts see
 * N distinct counts and at most `limit` of them get to a password check: checking first and
 * counting after would let a burst through. A correct password gives the attempt back
 * (`forgiveAttempt`).
 */
export async function reserveAttempt(
  data: DataService,
  cfg: ThrottleConfig,
  subjects: ThrottleSubject[],
  now: Date,
): Promise<ThrottleVerdict> {
  const { start, end } = windowOf(cfg, now);
  const retryAfterSeconds = Math.max(1, end - Math.floor(now.getTime() / 1000));
  const counts = await Promise.all(
    subjects.map(async (s) => {
      const out = await data.entities.loginThrottle
        .update({ key: keyOf(s), windowStart: start })
        .add({ failures: 1 })
        .set({ ttl: end + 60 })
        .go({ response: "updated_new" });
      return { subject: s, count: out.data.failures ?? 0 };
    }),
  );
  const over = counts.find(({ subject, count }) => count > limitOf(subject, cfg));
  return over
    ? { blocked: true, retryAfterSeconds, reason: over.subject.kind }
    : { blocked: false, retryAfterSeconds: 0 };
}

/** A correct password: the address's counter gets the attempt back, the username's restarts. */
export async function forgiveAttempt(
  data: DataService,
  cfg: ThrottleConfig,
  subjects: ThrottleSubject[],
  now: Date,
): Promise<void> {
  const { start } = windowOf(cfg, now);
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
