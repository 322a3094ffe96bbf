import type { RuntimeConfig } from "@ztix/core";
import type { DataService, UserItem } from "@ztix/data";
import { burnPasswordCheck, hashPassword, needsRehash, verifyPassword } from "./password.ts";
import { LoginRefused } from "./refusal.ts";
import { forgiveAttempt, reserveAttempt, type ThrottleSubject } from "./throttle.ts";

/** Usernames are case-insensitive: stored and looked up lower-cased. */
export const normalizeUsername = (username: string) => username.trim().toLowerCase();

export interface LocalLoginInput {
  username: string;
  password: string;
  address: string;
}

/**
 * Checks a local username and password. Unknown usernames and wrong passwords get the same
 * answer after the same scrypt work; a disabled account is only revealed to someone who
 * knows its password; repeated failures per username and per address are throttled.
 */
export async function authenticateLocal(
  data: DataService,
  config: RuntimeConfig,
  input: LocalLoginInput,
  now: Date,
): Promise<UserItem> {
  if (!config.auth.local.enabled) {
    throw new LoginRefused("auth_method_disabled", "local sign-in is disabled", "method_disabled");
  }
  const cfg = config.auth.local.throttle;
  const username = normalizeUsername(input.username);
  const subjects: ThrottleSubject[] = [
    { kind: "username", value: username },
    { kind: "address", value: input.address },
  ];
  const verdict = await reserveAttempt(data, cfg, subjects, now);
  if (verdict.blocked) {
    throw new LoginRefused(
      "too_many_requests",
      "too many failed sign-in attempts; try again later",
      `throttled_${verdict.reason}`,
      { retry_after_seconds: verdict.retryAfterSeconds },
    );
  }
  const credential = (await data.entities.localCredential.get({ username }).go({ consistent: true })).data;
  const ok = credential
    ? await verifyPassword(input.password, credential.passwordHash)
    : await burnPasswordCheck(input.password);
  const user =
    ok && credential ? (await data.entities.user.get({ userId: credential.userId }).go()).data : null;
  if (!user) {
    // The attempt was counted by reserveAttempt before the check.
    throw new LoginRefused(
      "invalid_credentials",
      "unknown username or wrong password",
      credential ? "wrong_password" : "unknown_user",
      {},
      credential?.userId,
    );
  }
  if (user.disabled) {
    throw new LoginRefused(
      "account_disabled",
      "this account is disabled",
      "account_disabled",
      {},
      user.userId,
    );
  }
  await forgiveAttempt(data, cfg, subjects, now);
  if (credential && needsRehash(credential.passwordHash)) {
    // Raised cost parameters reach existing accounts at their next sign-in.
    const passwordHash = await hashPassword(input.password);
    await data.entities.localCredential
      .patch({ username })
      .set({ passwordHash, updatedAt: now.toISOString() })
      .go();
  }
  return user;
}
