import { ORIGIN_SECRET_HEADER, VIEWER_ADDRESS_HEADER } from "../functions/api/src/front.ts";
import { SECURITY_HEADERS } from "../functions/api/src/security-headers.ts";

/** What an origin secret may look like: long, and safe inside a header and a JS string. */
const ORIGIN_SECRET_PATTERN = /^[A-Za-z0-9._~+/=-]{32,256}$/;

/**
 * The public origin: one CloudFront router serving the SvelteKit static build, with `/api/*`
 * forwarded to the API's function URL, so the SPA and the API share cookies and origin.
 * Every response gets the security headers (CSP, nosniff, referrer policy, no framing).
 */
export function createWeb(options: {
  api: sst.aws.Function;
  /** The secret the API checks (created with it by `createApi`); the router sends it on /api requests. */
  originSecret: sst.Secret;
  publicUrl: string;
  certificateArn?: string;
}) {
  const domain = domainFor(options.publicUrl, options.certificateArn);
  const headers = securityHeadersPolicy();
  const router = new sst.aws.Router("Router", {
    ...(domain ? { domain } : {}),
    edge: { viewerRequest: { injection: apiOriginInjection(options.originSecret) } },
    transform: {
      // Every behaviour (the lazy router has only the default one) gets the headers policy.
      cdn: (args) => {
        const policyId = headers.id;
        args.defaultCacheBehavior = $resolve({ b: args.defaultCacheBehavior, policyId }).apply(
          ({ b, policyId }) => ({
            ...b,
            responseHeadersPolicyId: policyId,
          }),
        );
        const ordered = args.orderedCacheBehaviors;
        if (ordered) {
          args.orderedCacheBehaviors = $resolve({ ordered, policyId }).apply(({ ordered, policyId }) =>
            ordered.map((b) => ({ ...b, responseHeadersPolicyId: policyId })),
          );
        }
      },
    },
  });
  router.route("/api", options.api.url);
  const site = new sst.aws.StaticSite("Web", {
    path: "web",
    build: { command: "npm run build", output: "build" },
    // adapter-static writes index.html as the SPA fallback; unknown paths render the app.
    errorPage: "index.html",
    router: { instance: router },
  });
  return { router, site, headers };
}

/**
 * Code SST runs at the start of the router's viewer-request function. For requests routed
 * to the API it sets the origin secret (the proof the API checks) and the viewer's address
 * as CloudFront saw the connection, overwriting whatever the client sent under those names.
 */
function apiOriginInjection(secret: sst.Secret) {
  return secret.value.apply((value) => {
    if (!ORIGIN_SECRET_PATTERN.test(value)) {
      throw new Error(
        'ApiOriginSecret must be 32-256 characters of [A-Za-z0-9._~+/=-]: npx sst secret set ApiOriginSecret "$(openssl rand -hex 32)"',
      );
    }
    return [
      `if (event.request.uri === "/api" || event.request.uri.startsWith("/api/")) {`,
      `  event.request.headers[${JSON.stringify(ORIGIN_SECRET_HEADER)}] = { value: ${JSON.stringify(value)} };`,
      `  event.request.headers[${JSON.stringify(VIEWER_ADDRESS_HEADER)}] = { value: event.viewer.ip };`,
      `}`,
    ].join("\n");
  });
}

/** The same headers the local server sends (functions/api/src/security-headers.ts), plus HSTS. */
function securityHeadersPolicy() {
  return new aws.cloudfront.ResponseHeadersPolicy("SecurityHeaders", {
    comment: "ZT-IX: CSP, nosniff, referrer policy, no framing, HSTS",
    securityHeadersConfig: {
      contentSecurityPolicy: {
        contentSecurityPolicy: SECURITY_HEADERS["content-security-policy"],
        override: true,
      },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: SECURITY_HEADERS["x-frame-options"], override: true },
      referrerPolicy: { referrerPolicy: SECURITY_HEADERS["referrer-policy"], override: true },
      strictTransportSecurity: {
        accessControlMaxAgeSec: 365 * 24 * 3600,
        includeSubdomains: false,
        preload: false,
        override: true,
      },
    },
  });
}

/**
 * The custom domain comes from `public_url` in the stage's runtime config (the code checks
 * Origin against it). Local or CloudFront hosts mean "no custom domain". DNS in Route 53 is
 * handled by SST; elsewhere, pass an ACM certificate (us-east-1) and create the CNAME yourself.
 */
export function domainFor(publicUrl: string, certificateArn?: string) {
  const host = new URL(publicUrl).hostname;
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".cloudfront.net"))
    return undefined;
  return certificateArn ? { name: host, dns: false as const, cert: certificateArn } : { name: host };
}
