/**
 * Response headers for the SPA and the API, sent by CloudFront in AWS (a response headers
 * policy, infra/web.ts) and by the local server in dev (server.ts). Kept free of imports:
 * the SST program bundles this file too.
 */

/**
 * The SPA's only inline styles are two fixed style attributes SvelteKit writes: the
 * `<div style="display: contents">` wrapper (web/src/app.html) and its route announcer
 * (`#svelte-announcer`, kit's generated root). `'unsafe-hashes'` with their hashes allows
 * exactly those two values and nothing else; functions/api/test/server.test.ts loads the
 * SPA in Chromium and fails on any violation, e.g. after a kit upgrade changes either one.
 * The bootstrap script is an external file (web/svelte.config.js moves it out of
 * index.html), so scripts need no hash or nonce and this policy is the same for every build.
 */
const INLINE_STYLE_HASHES = [
  "'sha256-tcbDxjMo+xKqM21aCGYbs/QAJqB7yUXC06oPWDapBgc='", // display: contents
  "'sha256-S8qMpvofolR8Mpjy4kQvEm7m1q8clzU4dfDH0AmvZjo='", // the route announcer
].join(" ");

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  `style-src 'self' 'unsafe-hashes' ${INLINE_STYLE_HASHES}`,
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  // For browsers that predate frame-ancestors.
  "x-frame-options": "DENY",
} as const;
