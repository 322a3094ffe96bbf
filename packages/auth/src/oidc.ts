import { createHash } from "node:crypto";
import type { SecretStore } from "@ztix/aws";
import type { RuntimeConfig } from "@ztix/core";
import type { DataService } from "@ztix/data";
import { isConditionFailure } from "@ztix/data";
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from "jose";
import { z } from "zod";
import { LoginRefused } from "./refusal.ts";
import { randomToken, safeEqual, tokenHash } from "./tokens.ts";

const HTTP_TIMEOUT_MS = 10_000;
const DISCOVERY_TTL_MS = 60 * 60_000;
/** Provider clocks drift; a minute of leeway on exp/iat/nbf is the usual compromise. */
const CLOCK_TOLERANCE_SECONDS = 60;

const discoverySchema = z.object({
  issuer: z.string().min(1),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  userinfo_endpoint: z.url(),
  jwks_uri: z.url(),
});
export type DiscoveryDocument = z.infer<typeof discoverySchema>;

interface Discovered {
  doc: DiscoveryDocument;
  jwks: ReturnType<typeof createRemoteJWKSet>;
  fetchedAt: number;
}

// Per process (one Lambda container): discovery and keys are fetched once an hour, not per login.
const discoveryCache = new Map<string, Discovered>();

/** Forget cached discovery documents and key sets (tests; key rotation is handled by jose itself). */
export function clearDiscoveryCache() {
  discoveryCache.clear();
}

const trimSlash = (s: string) => s.replace(/\/+$/, "");
const unavailable = (reason: string, message = "the sign-in provider cannot be reached; try again later") =>
  new LoginRefused("provider_unavailable", message, reason);

/** The issuer's discovery document and its key set, cached for an hour. */
export async function discover(issuer: string, now = Date.now()): Promise<Discovered> {
  const hit = discoveryCache.get(issuer);
  if (hit && now - hit.fetchedAt < DISCOVERY_TTL_MS) return hit;
  let raw: unknown;
  try {
    const res = await fetch(`${trimSlash(issuer)}/.well-known/openid-configuration`, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    raw = await res.json();
  } catch {
    throw unavailable("discovery_failed");
  }
  const parsed = discoverySchema.safeParse(raw);
  if (!parsed.success) throw unavailable("discovery_invalid");
  // A document claiming another issuer is not ours to trust (mix-up defence).
  if (trimSlash(parsed.data.issuer) !== trimSlash(issuer)) throw unavailable("discovery_issuer_mismatch");
  const entry: Discovered = {
    doc: parsed.data,
    jwks: createRemoteJWKSet(new URL(parsed.data.jwks_uri), {
      timeoutDuration: HTTP_TIMEOUT_MS,
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
    }),
    fetchedAt: now,
  };
  discoveryCache.set(issuer, entry);
  return entry;
}

/** Where PeeringDB sends the browser back: the SPA page that posts {code, state} to the API. */
export function redirectUri(config: RuntimeConfig): string {
  return trimSlash(config.public_url) + config.auth.peeringdb.redirect_path;
}

/**
 * The stored key of a pending sign-in. Mixing in the browser binding (an HttpOnly cookie set
 * at start) means a state only works in the browser that began the sign-in: an attacker
 * cannot make a victim complete the attacker's login (login CSRF).
 */
export const stateKey = (state: string, binding: string) => tokenHash(`${state}.${binding}`);

const pkceChallenge = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");

/** Stores a fresh state/nonce/PKCE verifier and returns the provider URL to send the browser to. */
export async function startAuthorization(
  data: DataService,
  config: RuntimeConfig,
  input: { binding: string; now: Date },
): Promise<string> {
  const pdb = config.auth.peeringdb;
  if (!pdb.enabled)
    throw new LoginRefused("auth_method_disabled", "PeeringDB sign-in is disabled", "method_disabled");
  const { doc } = await discover(pdb.issuer, input.now.getTime());
  const state = randomToken();
  const nonce = randomToken();
  const codeVerifier = randomToken(48);
  const expiresAt = input.now.getTime() + pdb.state_ttl_seconds * 1000;
  await data.entities.oauthState
    .create({
      stateHash: stateKey(state, input.binding),
      codeVerifier,
      nonce,
      createdAt: input.now.toISOString(),
      expiresAt,
      ttl: Math.floor(expiresAt / 1000) + 3600,
    })
    .go();
  const url = new URL(doc.authorization_endpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", pdb.client_id);
  url.searchParams.set("redirect_uri", redirectUri(config));
  url.searchParams.set("scope", pdb.scopes.join(" "));
  url.searchParams.set("state", state);
  url.searchParams.set("nonce", nonce);
  url.searchParams.set("code_challenge", pkceChallenge(codeVerifier));
  url.searchParams.set("code_challenge_method", "S256");
  return url.toString();
}

/** Takes the pending sign-in out of the table: a conditional delete, so only one caller ever gets it. */
async function consumeState(data: DataService, key: string) {
  try {
    const out = await data.entities.oauthState.remove({ stateHash: key }).go({ response: "all_old" });
    return out.data ?? null;
  } catch (e) {
    if (isConditionFailure(e)) return null;
    throw e;
  }
}

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string(),
  id_token: z.string().min(1).optional(),
});

export interface VerifiedSignIn {
  idToken: JWTPayload & { sub: string };
  /** The provider's userinfo response, unvalidated beyond being a JSON object with a matching `sub`. */
  userinfo: Record<string, unknown>;
}

async function readJson(res: Response): Promise<unknown> {
  try {
    return await res.json();
  } catch {
    return null;
  }
}

/** The provider's own error code (e.g. `invalid_grant`), if it sent a sane one. */
function providerError(body: unknown): string | undefined {
  const code = (body as { error?: unknown } | null)?.error;
  return typeof code === "string" && /^[a-z_]{1,64}$/.test(code) ? code : undefined;
}

/** Maps a jose failure: key-set transport problems are the provider's, the rest are the token's. */
function idTokenFailure(e: unknown): LoginRefused {
  if (
    e instanceof joseErrors.JWKSTimeout ||
    e instanceof joseErrors.JWKSInvalid ||
    !(e instanceof joseErrors.JOSEError)
  ) {
    return unavailable("jwks_unavailable");
  }
  if (e.code === "ERR_JOSE_GENERIC" && /JSON Web Key Set/i.test(e.message))
    return unavailable("jwks_unavailable");
  const reason =
    e instanceof joseErrors.JWTClaimValidationFailed || e instanceof joseErrors.JWTExpired
      ? `claim_${e.claim}`
      : e.code;
  return new LoginRefused("id_token_invalid", "the provider's identity token did not verify", reason, {
    reason,
  });
}

/**
 * Finishes an authorization-code sign-in: consumes the state (once), exchanges the code with
 * PKCE and `client_secret_post`, verifies the id_token (RS256 only, iss, aud, exp, nonce)
 * against the provider's key set and fetches userinfo. Access tokens are used once and dropped.
 */
export async function completeAuthorization(
  data: DataService,
  config: RuntimeConfig,
  secrets: SecretStore,
  input: { code?: string; error?: string; state: string; binding: string; now: Date },
): Promise<VerifiedSignIn> {
  const pdb = config.auth.peeringdb;
  if (!pdb.enabled)
    throw new LoginRefused("auth_method_disabled", "PeeringDB sign-in is disabled", "method_disabled");
  const pending = await consumeState(data, stateKey(input.state, input.binding));
  if (!pending) {
    throw new LoginRefused(
      "invalid_state",
      "this sign-in link is unknown or was already used; start again",
      "invalid_state",
    );
  }
  if (input.now.getTime() >= pending.expiresAt) {
    throw new LoginRefused("state_expired", "this sign-in took too long; start again", "state_expired");
  }
  if (input.error !== undefined || !input.code) {
    // The provider sent the browser back with an error (user cancelled, request refused).
    const error = providerError({ error: input.error }) ?? "unknown";
    throw new LoginRefused(
      "provider_error",
      error === "access_denied"
        ? "sign-in was cancelled at the provider"
        : "the provider refused the sign-in request",
      `provider_${error}`,
      { provider_error: error },
      undefined,
      400,
    );
  }
  const { doc, jwks } = await discover(pdb.issuer, input.now.getTime());

  let clientSecret: string;
  try {
    clientSecret = await secrets.get(pdb.client_secret.secret);
  } catch {
    throw new LoginRefused(
      "auth_misconfigured",
      "PeeringDB sign-in is not configured",
      "client_secret_missing",
      {},
      undefined,
    );
  }

  let tokenRes: Response;
  try {
    tokenRes = await fetch(doc.token_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: input.code,
        redirect_uri: redirectUri(config),
        client_id: pdb.client_id,
        client_secret: clientSecret,
        code_verifier: pending.codeVerifier,
      }),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
  } catch {
    throw unavailable("token_endpoint_unreachable");
  }
  const tokenBody = await readJson(tokenRes);
  if (!tokenRes.ok) {
    const error = providerError(tokenBody);
    throw new LoginRefused(
      "token_exchange_failed",
      "the provider refused the sign-in code",
      `token_${error ?? tokenRes.status}`,
      {
        provider_error: error,
      },
    );
  }
  const tokens = tokenResponseSchema.safeParse(tokenBody);
  if (!tokens.success) {
    throw new LoginRefused(
      "token_exchange_failed",
      "the provider sent a malformed token response",
      "token_malformed",
    );
  }
  if (!tokens.data.id_token) {
    // Happens when the `openid` scope is missing: without an id_token there is no nonce to check.
    throw new LoginRefused("id_token_invalid", "the provider sent no identity token", "id_token_missing", {
      reason: "id_token_missing",
    });
  }

  let idToken: JWTPayload;
  try {
    ({ payload: idToken } = await jwtVerify(tokens.data.id_token, jwks, {
      issuer: doc.issuer,
      audience: pdb.client_id,
      algorithms: ["RS256"],
      currentDate: input.now,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["sub", "iat", "exp"],
    }));
  } catch (e) {
    throw idTokenFailure(e);
  }
  if (Array.isArray(idToken.aud) && idToken.aud.length > 1 && idToken.azp !== pdb.client_id) {
    throw new LoginRefused(
      "id_token_invalid",
      "the identity token was issued to another party",
      "claim_azp",
      {
        reason: "claim_azp",
      },
    );
  }
  if (typeof idToken.nonce !== "string" || !safeEqual(idToken.nonce, pending.nonce)) {
    throw new LoginRefused(
      "nonce_mismatch",
      "the identity token does not belong to this sign-in",
      "nonce_mismatch",
    );
  }

  let infoRes: Response;
  try {
    infoRes = await fetch(doc.userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.data.access_token}`, accept: "application/json" },
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
  } catch {
    throw unavailable("userinfo_unreachable");
  }
  const info = await readJson(infoRes);
  if (!infoRes.ok || !info || typeof info !== "object" || Array.isArray(info)) {
    throw new LoginRefused(
      "userinfo_failed",
      "the provider did not return the user's profile",
      `userinfo_${infoRes.status}`,
    );
  }
  const userinfo = info as Record<string, unknown>;
  // OIDC Core 5.3.2: userinfo always carries `sub`, and one differing from the id_token's
  // (or missing) must be rejected.
  if (userinfo.sub === undefined || String(userinfo.sub) !== idToken.sub) {
    throw new LoginRefused(
      "userinfo_failed",
      "the provider's profile is for another user",
      "userinfo_sub_mismatch",
    );
  }
  return { idToken: idToken as JWTPayload & { sub: string }, userinfo };
}
