import { Agent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Duplex } from "node:stream";
import { ControllerError, errorForTransport } from "./errors.ts";

export interface HttpResult {
  status: number;
  text: string;
}

/** Opens the byte stream one HTTP request travels on (a TCP socket, or an SSH channel). */
export type StreamOpener = () => Promise<Duplex>;

export interface HttpRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Sends one HTTP/1.1 request to `baseUrl`, either over TCP (keep-alive) or over a stream
 * from `open` (an SSH `forwardOut` channel, one per request, as ssh -L does). Socket
 * failures and timeouts come back as transient ControllerErrors.
 */
export function httpClient(options: { baseUrl: string; timeoutMs: number; open?: StreamOpener }) {
  const base = new URL(options.baseUrl);
  const secure = base.protocol === "https:";
  const request = secure ? httpsRequest : httpRequest;
  // Paths are relative to the base URL's path (Central's API lives under /api/v1).
  const prefix = base.pathname.replace(/\/+$/, "");
  const agent = options.open
    ? undefined
    : secure
      ? new HttpsAgent({ keepAlive: true, maxSockets: 16 })
      : new Agent({ keepAlive: true, maxSockets: 16 });
  const send = (req: HttpRequest): Promise<HttpResult> =>
    new Promise<HttpResult>((resolve, reject) => {
      const headers: Record<string, string | number> = { ...req.headers };
      if (req.body !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = Buffer.byteLength(req.body);
      }
      const open = options.open;
      const r = request(
        {
          host: base.hostname,
          port: base.port || (secure ? 443 : 80),
          method: req.method,
          path: prefix + req.path,
          headers,
          agent,
          ...(open
            ? {
                createConnection: (_opts: unknown, cb: (err: Error | null, s: Duplex) => void) => {
                  open().then(
                    (s) => cb(null, asSocket(s)),
                    (e: Error) => cb(e, undefined as unknown as Duplex),
                  );
                  return undefined;
                },
              }
            : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
          );
          res.on("error", reject);
        },
      );
      // Our own timer, not socket.setTimeout: an SSH channel is a stream, not a socket.
      const timer = setTimeout(() => {
        r.destroy(
          new ControllerError(
            "controller_timeout",
            `${req.method} ${req.path}: no answer in ${options.timeoutMs} ms`,
          ),
        );
      }, options.timeoutMs);
      r.on("close", () => clearTimeout(timer));
      r.on("error", (e) => reject(errorForTransport(e, `${req.method} ${req.path}`)));
      r.end(req.body);
    });
  return {
    send,
    close() {
      agent?.destroy();
    },
  };
}

export type HttpClient = ReturnType<typeof httpClient>;

/** node:http calls a few socket-only methods on its connection; an SSH channel lacks them. */
function asSocket(stream: Duplex): Duplex {
  const s = stream as Duplex & Record<string, unknown>;
  for (const m of ["setTimeout", "setNoDelay", "setKeepAlive", "ref", "unref"]) {
    if (typeof s[m] !== "function") s[m] = () => s;
  }
  return s;
}
