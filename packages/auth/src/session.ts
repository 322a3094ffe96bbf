import type { RuntimeConfig } from "@ztix/core";
import type { DataService, SessionItem } from "@ztix/data";
import { randomToken, tokenHash } from "./tokens.ts";

export interface NewSession {
  /** The cookie value: shown to the browser once, stored only as a hash. */
  token: string;
  csrfToken: string;
  session: SessionItem;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** Starts a session with a fresh id (never reuses one: no fixation) and idle + absolute expiry. */
export async function createSession(
  data: DataService,
  input: { userId: string; authMethod: SessionItem["authMethod"] },
  config: RuntimeConfig,
  now = new Date(),
): Promise<NewSession> {
  const token = randomToken();
  const csrfToken = randomToken();
  const idleExpiresAt = now.getTime() + config.session.idle_timeout_minutes * 60_000;
  const absoluteExpiresAt = now.getTime() + config.session.absolute_timeout_hours * 3_600_000;
  const session: SessionItem = {
    sessionHash: tokenHash(token),
    userId: input.userId,
    csrfToken,
    authMethod: input.authMethod,
    createdAt: now.toISOString(),
    lastSeenAt: now.toISOString(),
    idleExpiresAt,
    absoluteExpiresAt,
    ttl: seconds(Math.min(idleExpiresAt, absoluteExpiresAt)),
  };
  await data.entities.session.create(session).go();
  return { token, csrfToken, session };
}

// Sliding the idle expiry costs a write; do it at most once a minute per session.
const TOUCH_INTERVAL_MS = 60_000;

/**
 * The live session for a cookie value, or null when unknown or expired (idle or absolute).
 * DynamoDB TTL deletes lazily, so expiry is always checked here, not left to TTL.
 */
export async function loadSession(
  data: DataService,
  token: string,
  config: RuntimeConfig,
  now = new Date(),
): Promise<SessionItem | null> {
  const out = await data.entities.session.get({ sessionHash: tokenHash(token) }).go();
  const session = out.data;
  if (!session) return null;
  const t = now.getTime();
  if (t >= session.idleExpiresAt || t >= session.absoluteExpiresAt) return null;
  if (t - Date.parse(session.lastSeenAt) >= TOUCH_INTERVAL_MS) {
    const idleExpiresAt = Math.min(
      t + config.session.idle_timeout_minutes * 60_000,
      session.absoluteExpiresAt,
    );
    await data.entities.session
      .patch({ sessionHash: session.sessionHash })
      .set({ lastSeenAt: now.toISOString(), idleExpiresAt, ttl: seconds(idleExpiresAt) })
      .go()
      .catch(() => undefined); // a lost touch only shortens the idle window
    return { ...session, lastSeenAt: now.toISOString(), idleExpiresAt };
  }
  return session;
}

export async function deleteSession(data: DataService, token: string): Promise<void> {
  await data.entities.session.delete({ sessionHash: tokenHash(token) }).go();
}

/**
 * Ends every session of a user (password changed, account disabled). Returns how many ended.
 * The index is eventually consistent: a session created in the same instant may survive it,
 * which the middleware's disabled check and the next password change still cover.
 */
export async function endUserSessions(data: DataService, userId: string): Promise<number> {
  const sessions = await data.entities.session.query.byUser({ userId }).go({ pages: "all" });
  if (sessions.data.length === 0) return 0;
  await data.entities.session.delete(sessions.data.map((s) => ({ sessionHash: s.sessionHash }))).go();
  return sessions.data.length;
}
