import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import type { App } from "./app.ts";
import { SECURITY_HEADERS } from "./security-headers.ts";

export interface LocalServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves the API and, when given, the built SPA from one origin (as the CDN router does in
 * AWS): `/api/*` goes to the app, known files are served as they are, and every other path
 * gets index.html so client-side routes survive a reload. Every response carries the same
 * security headers CloudFront adds in AWS. There is no front here: the app sees the socket's
 * peer as the client (see `directFront` for trusted proxies).
 */
export function serveLocal(options: {
  app: App;
  port: number;
  host?: string;
  staticDir?: string;
}): Promise<LocalServer> {
  const root = new Hono();
  root.use(async function securityHeaders(c, next) {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });
  root.route("/", options.app);
  if (options.staticDir) {
    root.use("/*", serveStatic({ root: options.staticDir }));
    root.get("/*", serveStatic({ root: options.staticDir, rewriteRequestPath: () => "/index.html" }));
  }
  return new Promise((resolve) => {
    const server = serve(
      { fetch: root.fetch, port: options.port, hostname: options.host ?? "127.0.0.1" },
      (info) => {
        const { port } = info as AddressInfo;
        resolve({
          url: `http://localhost:${port}`,
          port,
          close: () => new Promise((done) => server.close(() => done())),
        });
      },
    );
  });
}
