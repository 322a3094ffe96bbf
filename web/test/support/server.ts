import { existsSync, readFileSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import type { RuntimeConfig, RuntimeConfigInput } from "@ztix/core";
import { testApp } from "../../../test/support/api.ts";
import { testConfig } from "../../../test/support/config.ts";
import type { TestStack } from "../../../test/support/stack.ts";
import { BUILD_DIR, ensureWebBuild } from "./build.ts";

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".png": "image/png",
};

/**
 * Serves web/build like the production static host: a file when one matches, else the SPA's
 * index.html (client-side routes such as /requests/<id> have no file of their own).
 */
export function staticSpa(root: string = BUILD_DIR) {
  const index = readFileSync(join(root, "index.html"));
  return function serveSpa(request: Request): Response {
    const path = normalize(decodeURIComponent(new URL(request.url).pathname));
    const file = join(root, path);
    if (file.startsWith(root) && existsSync(file) && statSync(file).isFile()) {
      const immutable = path.startsWith("/_app/immutable/");
      return new Response(readFileSync(file), {
        headers: {
          "content-type": contentTypes[extname(file)] ?? "application/octet-stream",
          "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
        },
      });
    }
    return new Response(index, {
      headers: { "content-type": contentTypes[".html"]!, "cache-control": "no-cache" },
    });
  };
}

export interface WebServer {
  /** `http://127.0.0.1:<port>`: the browser's origin and the config's public_url. */
  origin: string;
  config: RuntimeConfig;
  app: ReturnType<typeof testApp>;
  close(): Promise<void>;
}

/**
 * The real API (on the test stack) and the built SPA on one origin, as `npm run dev` and
 * production serve them. The port is bound first so public_url (checked by CSRF's Origin
 * test and used for the OIDC redirect) names the address the browser really uses.
 */
export async function startWebServer(
  stack: TestStack,
  overrides: Partial<RuntimeConfigInput> | ((origin: string) => Promise<Partial<RuntimeConfigInput>>) = {},
): Promise<WebServer> {
  ensureWebBuild();
  const spa = staticSpa();
  let app: ReturnType<typeof testApp> | undefined;
  const server: ServerType = await new Promise((resolve) => {
    const s = serve(
      {
        hostname: "127.0.0.1",
        port: 0,
        fetch: (request) =>
          new URL(request.url).pathname.startsWith("/api/") ? app!.app.fetch(request) : spa(request),
      },
      () => resolve(s),
    );
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  // Overrides may depend on the origin (an OIDC stand-in must know the redirect URI).
  const extra = typeof overrides === "function" ? await overrides(origin) : overrides;
  const config = testConfig({ ...extra, public_url: origin });
  app = testApp(stack, { config });
  return {
    origin,
    config,
    app,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
