import type { SecretStore } from "@ztix/aws";
import type { RuntimeConfig } from "@ztix/core";
import type { DataService } from "@ztix/data";
import { isConditionFailure } from "@ztix/data";
import * as oidc from "openid-client";
import { LoginRefused } from "./refusal.ts";
import { tokenHash } from "./tokens.ts";

/**
 * The relying party for PeeringDB sign-in, on `openid-client` (certified, same author as the
 * `oidc-provider` stand-in): discovery, PKCE S256, state and nonce, client_secret_post,
 * id_token checks (RS256 only, signature, iss, aud, azp, exp, nonce), the RFC 9207 `iss`
 * authorization-response check and userinfo. What stays here is what the library cannot know:
 * where the pending sign-in is stored, the clock the app runs on, and how each failure is
 * reported (stable codes for the client, finer reasons for the audit trail).
 */

const HTTP_TIMEOUT_SECONDS = 10;
const DISCOVERY_TTL_MS = 60 * 60_000;
/** Provider clocks drift; a minute of leeway on exp/iat/nbf is the usual compromise. */
const CLOCK_TOLERANCE_SECONDS = 60;
/** PeeringDB's app registration must use RS256; anything else (HS256, none) is refused. */
const ID_TOKEN_ALG = "RS256";

export type DiscoveryDocument = oidc.ServerMetadata;

interface Discovered {
  doc: DiscoveryDocument;
  fetchedAt: number;
}

// Per process (one Lambda container): discovery is fetched once an hour, not per login. The
// key set is kept beside it because each sign-in builds its own Configuration (the client
// secret is read per sign-in, so it can rotate), and openid-client keys its own key-set cache
// by Configuration; handing the last one over means the keys are fetched at most every five
// minutes (openid-client's limit), or sooner when a token names a key it has not seen.
const discoveryCache = new Map<string, Discovered>();
const jwksCache = new Map<string, oidc.ExportedJWKSCache>();

/** Forget cached discovery documents and key sets (tests; key rotation is handled by openid-client). */
export function clearDiscoveryCache() {
  discoveryCache.clear();
  jwksCache.clear();
}

const unavailable = (reason: string, message = "the sign-in provider cannot be reached; try again later") =>
  new LoginRefused("provider_unavailable", message, reason);

/**
 * Plain http only to this machine (the stand-in, a provider under test): anywhere else the
 * code, tokens and client secret would cross the network in clear.
 */
function plaintextAllowed(url: URL): boolean {
  if (url.protocol !== "http:") return false;
  return (
    url.hostname === "localhost" || url.hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(url.hostname)
  );
}

function issuerUrl(issuer: string): URL {
  const url = new URL(issuer);
  if (url.protocol !== "https:" && !plaintextAllowed(url)) {
    throw new LoginRefused(
      "auth_misconfigured",
      "PeeringDB sign-in is not configured",
      "issuer_not_https",
      {},
      undefined,
    );
  }
  return url;
}

/** A request that never got an HTTP answer (refused, reset, timed out), tagged with where it went. */
class Unreachable extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`no answer from ${url}`, { cause });
    this.name = "Unreachable";
  }
}

/** Fetch that remembers the last URL asked, so a failure can be blamed on the right endpoint. */
function tracingFetch() {
  const trace = { last: undefined as string | undefined };
  const run: oidc.CustomFetch = async (url, options) => {
    trace.last = url;
    try {
      return await fetch(url, options as RequestInit);
    } catch (e) {
      throw new Unreachable(url, e);
    }
  };
  return { trace, run };
}

/** The transport failure inside an openid-client error, if that is what it was. */
function unreachableIn(e: unknown): Unreachable | undefined {
  if (e instanceof Unreachable) return e;
  if (e instanceof oidc.ClientError) {
    if (e.cause instanceof Unreachable) return e.cause;
    // The body of an answer can still time out while being read.
    if (e.code === "OAUTH_TIMEOUT" || e.code === "OAUTH_ABORT") return new Unreachable("", e);
  }
  return undefined;
}

/** The issuer's discovery document, cached for an hour. */
export async function discover(issuer: string, now = Date.now()): Promise<Discovered> {
  const hit = discoveryCache.get(issuer);
  if (hit && now - hit.fetchedAt < DISCOVERY_TTL_MS) return hit;
  const url = issuerUrl(issuer);
  let config: oidc.Configuration;
  try {
    // openid-client checks that the document names this issuer (mix-up defence); the
    // comparison is on the normalised URL, so `https://host` and `https://host/` are one.
    // The client id is a placeholder: only the server metadata is kept, and each sign-in
    // builds its own client from it (see clientFor).
    config = await oidc.discovery(url, "discovery-only", undefined, undefined, {
      timeout: HTTP_TIMEOUT_SECONDS,
      [oidc.customFetch]: tracingFetch().run,
      execute: plaintextAllowed(url) ? [oidc.allowInsecureRequests] : [],
    });
  } catch (e) {
    if (unreachableIn(e)) throw unavailable("discovery_failed");
    if (e instanceof oidc.ClientError && e.code === "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED")
      throw unavailable("discovery_issuer_mismatch");
    if (e instanceof oidc.ClientError && e.code === "OAUTH_RESPONSE_IS_NOT_CONFORM")
      throw unavailable("discovery_failed");
    throw unavailable("discovery_invalid");
  }
  // Spread: a plain copy, without the helper methods serverMetadata() attaches.
  const doc: DiscoveryDocument = { ...config.serverMetadata() };
  // Checked now so a provider missing one fails at the start (503), not halfway through a sign-in.
  for (const key of ["authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"] as const) {
    if (typeof doc[key] !== "string" || !URL.canParse(doc[key])) throw unavailable("discovery_invalid");
  }
  const entry: Discovered = { doc, fetchedAt: now };
  discoveryCache.set(issuer, entry);
  return entry;
}

/** Where PeeringDB sends the browser back: the SPA page that posts {code, state, iss} to the API. */
export function redirectUri(config: RuntimeConfig): string {
  // Normalised, so the authorization request and the token request name it identically.
  return new URL(config.public_url.replace(/\/+$/, "") + config.auth.peeringdb.redirect_path).href;
}

/**
 * The stored key of a pending sign-in. Mixing in the browser binding (an HttpOnly cookie set
 * at start) means a state only works in the browser that began the sign-in: an attacker
 * cannot make a victim complete the attacker's login (login CSRF).
 */
export const stateKey = (state: string, binding: string) => tokenHash(`${state}.${binding}`);

/**
 * One sign-in's client: the cached discovery, this app's registration, the client secret
 * (only when exchanging a code), the app's clock and the shared key set.
 */
function clientFor(
  issuer: string,
  doc: DiscoveryDocument,
  config: RuntimeConfig,
  options: { now: Date; clientSecret?: string; fetch?: oidc.CustomFetch },
): oidc.Configuration {
  const metadata: Partial<oidc.ClientMetadata> = {
    id_token_signed_response_alg: ID_TOKEN_ALG,
    // The app's clock (injected in tests) is the one exp/nbf are judged by.
    [oidc.clockSkew]: Math.round((options.now.getTime() - Date.now()) / 1000),
    [oidc.clockTolerance]: CLOCK_TOLERANCE_SECONDS,
  };
  const client = new oidc.Configuration(
    doc,
    config.auth.peeringdb.client_id,
    metadata,
    options.clientSecret === undefined ? oidc.None() : oidc.ClientSecretPost(options.clientSecret),
  );
  client.timeout = HTTP_TIMEOUT_SECONDS;
  if (options.fetch) client[oidc.customFetch] = options.fetch;
  if (plaintextAllowed(new URL(issuer))) oidc.allowInsecureRequests(client);
  // The token endpoint is reached over TLS, but its id_token is still checked against the
  // provider's keys: a token endpoint answer that was tampered with must not sign anyone in.
  oidc.enableNonRepudiationChecks(client);
  const keys = jwksCache.get(issuer);
  if (keys) oidc.setJwksCache(client, keys);
  return client;
}

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
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const codeVerifier = oidc.randomPKCECodeVerifier();
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
  const url = oidc.buildAuthorizationUrl(clientFor(pdb.issuer, doc, config, { now: input.now }), {
    redirect_uri: redirectUri(config),
    scope: pdb.scopes.join(" "),
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
  });
  return url.href;
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

export interface VerifiedSignIn {
  idToken: oidc.IDToken;
  /** The provider's userinfo response, unvalidated beyond being a JSON object with a matching `sub`. */
  userinfo: Record<string, unknown>;
}

/** The provider's own error code (e.g. `invalid_grant`), if it sent a sane one. */
function providerError(code: unknown): string | undefined {
  return typeof code === "string" && /^[a-z_]{1,64}$/.test(code) ? code : undefined;
}

/** What openid-client wrapped: the library's own finding and the details it attached. */
function innerOf(e: oidc.ClientError) {
  const inner = e.cause instanceof Error ? e.cause : undefined;
  const details = (inner?.cause ?? {}) as Record<string, unknown>;
  return { inner, details };
}

const idTokenInvalid = (reason: string, message = "the provider's identity token did not verify") =>
  new LoginRefused("id_token_invalid", message, reason, { reason });

/**
 * Turns an openid-client failure of the code exchange into a refusal. `lastUrl` is the last
 * request made: none yet means the authorization response itself was refused, the key set
 * means its fetch failed, otherwise it is about the token endpoint's answer. Signature
 * failures are told apart by what they carry, since a cached key set means no request.
 *
 * The id_token reasons keep the names the audit trail and monitoring already know (they
 * were jose's error codes before): ERR_JOSE_ALG_NOT_ALLOWED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED,
 * ERR_JWKS_NO_MATCHING_KEY, ERR_JWT_INVALID, claim_<name>.
 */
function exchangeFailure(e: unknown, lastUrl: string | undefined, doc: DiscoveryDocument): LoginRefused {
  const unreachable = unreachableIn(e);
  if (unreachable) {
    const at = unreachable.url || lastUrl;
    return unavailable(at === doc.jwks_uri ? "jwks_unavailable" : "token_endpoint_unreachable");
  }
  if (e instanceof oidc.ClientError) {
    const { details } = innerOf(e);
    if (e.code === "OAUTH_KEY_SELECTION_FAILED") return idTokenInvalid("ERR_JWKS_NO_MATCHING_KEY");
    if (e.code === "OAUTH_INVALID_RESPONSE" && "signature" in details && "algorithm" in details)
      return idTokenInvalid("ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
  }
  // Anything else once the key set was asked for (an error page, not a key set) is the
  // provider's trouble, not the token's.
  if (lastUrl !== undefined && lastUrl === doc.jwks_uri) return unavailable("jwks_unavailable");

  if (e instanceof oidc.ResponseBodyError || e instanceof oidc.WWWAuthenticateChallengeError) {
    const error = providerError(e instanceof oidc.ResponseBodyError ? e.error : e.cause[0]?.parameters.error);
    if (error === "invalid_grant") {
      // The code itself is bad (unknown, used, expired, or not this sign-in's): the visitor's
      // input, not a fault of ours or the provider's, so a 400 and not a 5xx.
      return new LoginRefused(
        "invalid_authorization_code",
        "this sign-in code is not valid (expired, already used or not issued for this sign-in); start again",
        "token_invalid_grant",
        { provider_error: error },
      );
    }
    return new LoginRefused(
      "token_exchange_failed",
      "the provider refused the sign-in code",
      `token_${error ?? e.status}`,
      { provider_error: error },
    );
  }
  if (!(e instanceof oidc.ClientError)) {
    return new LoginRefused(
      "token_exchange_failed",
      "the provider's answer could not be processed",
      "token_unprocessable",
    );
  }
  if (lastUrl === undefined) {
    // Refused before any request: the only authorization-response parameters we pass are the
    // code, the state we have just matched, and `iss`, so this is RFC 9207's issuer check (an
    // `iss` naming another issuer, or none from a provider that promises one).
    return new LoginRefused(
      "issuer_mismatch",
      "this sign-in answer does not name the provider the sign-in was started at; start again",
      "authorization_response_iss",
    );
  }

  const { inner, details } = innerOf(e);
  switch (e.code) {
    case "OAUTH_RESPONSE_IS_NOT_CONFORM":
    case "OAUTH_RESPONSE_IS_NOT_JSON":
      return new LoginRefused(
        "token_exchange_failed",
        "the provider sent a malformed token response",
        `token_${e.cause instanceof Response ? e.cause.status : "malformed"}`,
      );
    case "OAUTH_JWT_CLAIM_COMPARISON_FAILED":
    case "OAUTH_JWT_TIMESTAMP_CHECK_FAILED": {
      const claim = typeof details.claim === "string" ? details.claim : "unknown";
      if (claim === "nonce") {
        return new LoginRefused(
          "nonce_mismatch",
          "the identity token does not belong to this sign-in",
          "nonce_mismatch",
        );
      }
      return idTokenInvalid(
        `claim_${claim}`,
        claim === "azp" || claim === "aud"
          ? "the identity token was issued to another party"
          : "the provider's identity token did not verify",
      );
    }
    case "OAUTH_INVALID_RESPONSE":
    case "OAUTH_PARSE_ERROR":
    case "OAUTH_UNSUPPORTED_OPERATION": {
      if ("header" in details && "expected" in details) return idTokenInvalid("ERR_JOSE_ALG_NOT_ALLOWED");
      const body = details.body as Record<string, unknown> | undefined;
      if (body && typeof body === "object") {
        // No id_token at all happens when the `openid` scope is missing: without one there
        // is no nonce to check. Otherwise the token response's own shape is wrong.
        if (typeof body.access_token === "string" && body.id_token === undefined) {
          return idTokenInvalid("id_token_missing", "the provider sent no identity token");
        }
        return new LoginRefused(
          "token_exchange_failed",
          "the provider sent a malformed token response",
          "token_malformed",
        );
      }
      // A missing claim, an unparsable or unsupported JWT (crit, encrypted): the token's fault.
      const missing = /"(\w+)" \([^)]*\) claim missing/.exec(inner?.message ?? "")?.[1];
      return idTokenInvalid(missing ? `claim_${missing}` : "ERR_JWT_INVALID");
    }
    default:
      return new LoginRefused(
        "token_exchange_failed",
        "the provider's answer could not be processed",
        "token_unprocessable",
      );
  }
}

/** Turns an openid-client userinfo failure into a refusal. */
function userinfoFailure(e: unknown): LoginRefused {
  if (unreachableIn(e)) return unavailable("userinfo_unreachable");
  let reason = "userinfo_invalid";
  let message = "the provider did not return the user's profile";
  if (e instanceof oidc.WWWAuthenticateChallengeError) reason = `userinfo_${e.response.status}`;
  else if (e instanceof oidc.ClientError && e.cause instanceof Response)
    reason = `userinfo_${e.cause.status}`;
  else if (e instanceof oidc.ClientError && e.code === "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED") {
    // OIDC Core 5.3.2: a userinfo `sub` differing from the id_token's must be rejected.
    reason = "userinfo_sub_mismatch";
    message = "the provider's profile is for another user";
  }
  return new LoginRefused("userinfo_failed", message, reason);
}

/**
 * Finishes an authorization-code sign-in: consumes the state (once), checks the authorization
 * response's `iss` (RFC 9207) when the callback carries it, exchanges the code with PKCE and
 * `client_secret_post`, verifies the id_token (RS256 only, signature, iss, aud, azp, exp,
 * nonce) and fetches userinfo. Access tokens are used once and dropped.
 */
export async function completeAuthorization(
  data: DataService,
  config: RuntimeConfig,
  secrets: SecretStore,
  input: { code?: string; error?: string; iss?: string; state: string; binding: string; now: Date },
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
    const error = providerError(input.error) ?? "unknown";
    throw new LoginRefused(
      "provider_error",
      error === "access_denied"
        ? "sign-in was cancelled at the provider"
        : "the provider refused the sign-in request",
      `provider_${error}`,
      { provider_error: error },
    );
  }
  const { doc } = await discover(pdb.issuer, input.now.getTime());

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

  // RFC 9207 (openid-client checks it): an `iss` the callback carries must name our issuer, and
  // a provider that advertises `authorization_response_iss_parameter_supported` must send one,
  // so a callback without it is refused (§2.4). The SPA's callback page forwards it.
  const { trace, run } = tracingFetch();
  const client = clientFor(pdb.issuer, doc, config, { now: input.now, clientSecret, fetch: run });

  const callback = new URL(redirectUri(config));
  callback.searchParams.set("code", input.code);
  callback.searchParams.set("state", input.state);
  if (input.iss !== undefined) callback.searchParams.set("iss", input.iss);

  let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  try {
    tokens = await oidc.authorizationCodeGrant(client, callback, {
      pkceCodeVerifier: pending.codeVerifier,
      // Already matched (it found the pending sign-in); openid-client compares it once more.
      expectedState: input.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
  } catch (e) {
    throw exchangeFailure(e, trace.last, doc);
  } finally {
    const keys = oidc.getJwksCache(client);
    if (keys) jwksCache.set(pdb.issuer, keys);
  }
  const idToken = tokens.claims();
  // Unreachable with idTokenExpected, but typed as optional by the library.
  if (!idToken) throw idTokenInvalid("id_token_missing", "the provider sent no identity token");

  let userinfo: oidc.UserInfoResponse;
  try {
    userinfo = await oidc.fetchUserInfo(client, tokens.access_token, idToken.sub);
  } catch (e) {
    throw userinfoFailure(e);
  }
  return { idToken, userinfo: userinfo as Record<string, unknown> };
}
