/**
 * The public origin: one CloudFront router serving the SvelteKit static build, with `/api/*`
 * forwarded to the API's function URL, so the SPA and the API share cookies and origin.
 */
export function createWeb(options: { api: sst.aws.Function; publicUrl: string; certificateArn?: string }) {
  const domain = domainFor(options.publicUrl, options.certificateArn);
  const router = new sst.aws.Router("Router", domain ? { domain } : {});
  router.route("/api", options.api.url);
  const site = new sst.aws.StaticSite("Web", {
    path: "web",
    build: { command: "npm run build", output: "build" },
    // adapter-static writes index.html as the SPA fallback; unknown paths render the app.
    errorPage: "index.html",
    router: { instance: router },
  });
  return { router, site };
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
