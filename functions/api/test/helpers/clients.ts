import { ApiClient } from "../../../../test/support/api.ts";
import type { App } from "../../src/app.ts";

/**
 * A browser-like client whose requests reach the app over a direct connection from
 * `address`, as the Node server's socket reports it (`c.env.incoming.socket`). `headers` are
 * added to every request: forged forwarding headers, for instance.
 */
export function clientFrom(app: App, address: string, headers: Record<string, string> = {}): ApiClient {
  return new ApiClient({
    request: (input: string, init?: RequestInit) => {
      const merged = new Headers(init?.headers);
      for (const [name, value] of Object.entries(headers)) merged.set(name, value);
      return app.request(
        input,
        { ...init, headers: merged },
        { incoming: { socket: { remoteAddress: address } } },
      );
    },
  });
}
