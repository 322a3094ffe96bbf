/**
 * What the API and the CDN in front of it agree on (infra/web.ts writes the CloudFront side).
 * Kept free of imports: the SST program bundles this file too.
 */

/**
 * The router's viewer-request function adds this header, holding the stage's origin secret,
 * to every request it forwards. The Lambda function URL itself is public, so a request
 * without the right value did not come through the router and is refused before anything
 * else (its other headers, forwarded addresses included, are never read).
 */
export const ORIGIN_SECRET_HEADER = "x-ztix-origin-secret";

/**
 * The viewer's address as CloudFront saw the connection (`event.viewer.ip`), written by the
 * same function over whatever the client sent under this name.
 */
export const VIEWER_ADDRESS_HEADER = "x-ztix-viewer-address";

/** The SST link (an `sst.Secret`) that carries the origin secret to the API function. */
export const ORIGIN_SECRET_LINK = "ApiOriginSecret";
