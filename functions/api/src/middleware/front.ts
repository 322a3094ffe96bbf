import { addressSourcesFromEnv, clientAddress, safeEqual, tokenHash } from "@ztix/auth";
import { AppError } from "@ztix/core";
import { createMiddleware } from "hono/factory";
import type { AppEnv, Front } from "../env.ts";
import { ORIGIN_SECRET_HEADER, VIEWER_ADDRESS_HEADER } from "../front.ts";

/** Hashing first makes the comparison constant-time whatever the presented value's length. */
const sameSecret = (presented: string | undefined, expected: string) =>
  presented !== undefined && safeEqual(tokenHash(presented), tokenHash(expected));

/**
 * Runs before anything reads the request: behind CloudFront, refuses with 403 any request
 * that lacks the router's origin secret (it reached the public function URL directly), and
 * records the client's address as the front vouches for it.
 */
export function frontGuard(front: Front) {
  return createMiddleware<AppEnv>(async function frontGuardMiddleware(c, next) {
    const sources = addressSourcesFromEnv(c.env, {
      forwardedFor: c.req.header("x-forwarded-for"),
      viewerAddress: c.req.header(VIEWER_ADDRESS_HEADER),
    });
    if (front.kind === "cloudfront") {
      if (!sameSecret(c.req.header(ORIGIN_SECRET_HEADER), front.originSecret())) {
        throw new AppError("forbidden", "this API is served only through the site's own address", {
          reason: "origin",
        });
      }
      c.set("clientAddress", clientAddress(sources, { kind: "cloudfront" }));
    } else {
      c.set("clientAddress", clientAddress(sources, front));
    }
    return next();
  });
}
