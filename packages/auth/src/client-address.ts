import { isIP } from "node:net";

/** Where a request came from, as the runtime saw it. Every field is a claim until trusted. */
export interface AddressSources {
  /**
   * The viewer's address as the CDN router's viewer-request function writes it (from CloudFront's
   * own `event.viewer.ip`, overwriting anything the client sent). Only meaningful once the
   * request is proven to have come through that router (the origin secret matched).
   */
  viewerAddress?: string;
  /** Lambda function URL / API Gateway `requestContext.http.sourceIp` (v2) or `identity.sourceIp` (v1). */
  lambdaSourceIp?: string;
  /** The `X-Forwarded-For` header: anyone can write it, so only trusted proxies are believed. */
  forwardedFor?: string;
  /** The socket's remote address (the Node server). */
  socketAddress?: string;
}

/**
 * Who may speak for the client's address:
 * - `cloudfront`: the request came through our CloudFront router (the caller has checked the
 *   origin secret), whose viewer-request function writes the viewer's address.
 * - `direct`: no front (the local Node server). The socket's peer is the client, unless it is
 *   one of `trustedProxies`, whose `X-Forwarded-For` entries are then followed.
 */
export type AddressTrust = { kind: "cloudfront" } | { kind: "direct"; trustedProxies: readonly string[] };

/** A bare, canonical IP address, or undefined for anything else (ports, names, garbage). */
export function canonicalIp(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let v = value.trim();
  if (v.startsWith("[") && v.includes("]")) v = v.slice(1, v.indexOf("]"));
  if (v.startsWith("::ffff:") && isIP(v.slice(7)) === 4) v = v.slice(7);
  return isIP(v) ? v.toLowerCase() : undefined;
}

/**
 * The client's IP address, for per-address throttling. Headers a client can write are never
 * believed on their own: behind CloudFront only the router's own header counts, and on a
 * direct connection `X-Forwarded-For` counts only when the socket's peer is a trusted proxy,
 * read from the right (the nearest hop) and stopping at the first address no trusted proxy
 * vouches for. With nothing usable the answer is "unknown" (all such clients share a counter).
 *
 * @example
 * clientAddress({ socketAddress: "10.0.0.2", forwardedFor: "203.0.113.9, 198.51.100.4" },
 *   { kind: "direct", trustedProxies: ["10.0.0.2"] }) // "198.51.100.4": the proxy's own view
 */
export function clientAddress(sources: AddressSources, trust: AddressTrust): string {
  if (trust.kind === "cloudfront") {
    return canonicalIp(sources.viewerAddress) ?? canonicalIp(sources.lambdaSourceIp) ?? "unknown";
  }
  const peer = canonicalIp(sources.socketAddress) ?? canonicalIp(sources.lambdaSourceIp);
  if (!peer) return "unknown";
  const trusted = new Set(trust.trustedProxies.map((p) => canonicalIp(p) ?? p));
  let client = peer;
  const hops = (sources.forwardedFor ?? "").split(",").reverse();
  while (trusted.has(client) && hops.length) {
    // A garbled entry ends the chain: the last address we could vouch for stands.
    const hop = canonicalIp(hops.shift());
    if (!hop) break;
    client = hop;
  }
  return client;
}

/** Reads the address sources from a Hono `c.env` of either runtime (aws-lambda or node-server). */
export function addressSourcesFromEnv(
  env: unknown,
  headers: { forwardedFor?: string; viewerAddress?: string },
): AddressSources {
  const e = (env ?? {}) as {
    event?: { requestContext?: { http?: { sourceIp?: string }; identity?: { sourceIp?: string } } };
    incoming?: { socket?: { remoteAddress?: string } };
  };
  const rc = e.event?.requestContext;
  return {
    viewerAddress: headers.viewerAddress,
    lambdaSourceIp: rc?.http?.sourceIp ?? rc?.identity?.sourceIp,
    forwardedFor: headers.forwardedFor,
    socketAddress: e.incoming?.socket?.remoteAddress,
  };
}
