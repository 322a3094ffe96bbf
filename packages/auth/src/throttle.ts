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

/** Whether any counter has reached its limit in the current window. Reads only. */
export async function checkThrottle(
  data: DataService,
  cfg: ThrottleConfig,
  subjects: ThrottleSubject[],
  now: Date,
): Promise<ThrottleVerdict> {
  const { start, end } = windowOf(cfg, now);
  const retryAfterSeconds = Math.max(1, end - Math.floor(now.getTime() / 1000));
  const keys = subjects.map((s) => ({ key: keyOf(s), windowStart: start }));
  const out = await data.entities.loginThrottle.get(keys).go({ consistent: true });
  for (const subject of subjects) {
    const item = out.data.find((i) => i.key === keyOf(subject));
    if (item && item.failures >= limitOf(subject, cfg)) {
      return { blocked: true, retryAfterSeconds, reason: subject.kind };
    }
  }
  return { blocked: false, retryAfterSeconds: 0 };
}

/**
 * Counts one failure against every subject. The increment is an atomic `ADD` (UpdateItem
 * creates the item when missing), so concurrent failures are all counted. TTL cleans up.
 */
export async function recordFailure(
  data: DataService,
  cfg: ThrottleConfig,
  subjects: ThrottleSubject[],
  now: Date,
): Promise<void> {
  const { start, end } = windowOf(cfg, now);
  await Promise.all(
    subjects.map((s) =>
      data.entities.loginThrottle
        .update({ key: keyOf(s), windowStart: start })
        .add({ failures: 1 })
        .set({ ttl: end + 60 })
        .go({ response: "none" }),
    ),
  );
}

/** After a correct password the username's counter starts again (the address's does not). */
export async function clearFailures(
  data: DataService,
  cfg: ThrottleConfig,
  subject: ThrottleSubject,
  now: Date,
) {
  const { start } = windowOf(cfg, now);
  await data.entities.loginThrottle.delete({ key: keyOf(subject), windowStart: start }).go();
}
