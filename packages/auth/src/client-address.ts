import { isIP } from "node:net";

/** Where a request came from, as the runtime saw it. */
export interface AddressSources {
  /**
   * CloudFront's `CloudFront-Viewer-Address` (`ip:port`), which the SST Router's origin
   * request policy forwards. Behind the router the Lambda sees CloudFront's edge as its
   * source, so without this every client of one edge would share a throttle counter.
   */
  viewerAddress?: string;
  /** API Gateway / Lambda URL `requestContext.http.sourceIp` (v2) or `identity.sourceIp` (v1). */
  lambdaSourceIp?: string;
  /** The `X-Forwarded-For` header (the dev server behind a proxy). */
  forwardedFor?: string;
  /** The socket's remote address (the Node server). */
  socketAddress?: string;
}

function clean(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let v = value.trim();
  if (v.startsWith("[") && v.includes("]")) v = v.slice(1, v.indexOf("]"));
  if (v.startsWith("::ffff:") && isIP(v.slice(7)) === 4) v = v.slice(7);
  return isIP(v) ? v.toLowerCase() : undefined;
}

/**
 * The client's IP address, for per-address throttling. The Lambda event is authoritative
 * (API Gateway writes it); then the first hop of `X-Forwarded-For`; then the socket.
 * Anything that is not an IP address is ignored; with nothing usable the answer is "unknown"
 * (all such clients then share one counter).
 */
export function clientAddress(sources: AddressSources): string {
  const forwarded = sources.forwardedFor?.split(",")[0];
  return (
    clean(withoutPort(sources.viewerAddress)) ??
    clean(sources.lambdaSourceIp) ??
    clean(forwarded) ??
    clean(sources.socketAddress) ??
    "unknown"
  );
}

/** `203.0.113.5:46532` or `2001:db8::1:46532` (CloudFront writes no brackets) → the address. */
function withoutPort(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const cut = value.lastIndexOf(":");
  return cut > 0 ? value.slice(0, cut) : undefined;
}

/** Reads the address sources from a Hono `c.env` of either runtime (aws-lambda or node-server). */
export function addressSourcesFromEnv(
  env: unknown,
  forwardedFor: string | undefined,
  viewerAddress?: string,
): AddressSources {
  const e = (env ?? {}) as {
    event?: { requestContext?: { http?: { sourceIp?: string }; identity?: { sourceIp?: string } } };
    incoming?: { socket?: { remoteAddress?: string } };
  };
  const rc = e.event?.requestContext;
  return {
    viewerAddress,
    lambdaSourceIp: rc?.http?.sourceIp ?? rc?.identity?.sourceIp,
    forwardedFor,
    socketAddress: e.incoming?.socket?.remoteAddress,
  };
}
