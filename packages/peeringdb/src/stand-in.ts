import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DEMO_NETWORKS, DEMO_ORGS, type PeeringDbNetFixture, type PeeringDbOrgFixture } from "./demo-data.ts";

export { DEMO_NETWORKS, DEMO_ORGS, type PeeringDbNetFixture, type PeeringDbOrgFixture } from "./demo-data.ts";

/**
 * A local HTTP server that answers like PeeringDB's REST API (www.peeringdb.com/api) for the
 * reads ZT-IX makes, `GET /api/net?asn=N`, `GET /api/net?info_never_via_route_servers=1&fields=asn`
 * and `GET /api/org/{id}`, so the client and the
 * callers' backoff are tested against real sockets. A test and dev fixture: never bundled.
 *
 * Where it differs from PeeringDB, on purpose:
 * - It wants an API key on every request. PeeringDB serves public data anonymously (with a
 *   lower rate limit); refusing here makes a client that forgot the key fail in tests.
 * - A missing or wrong key gets 401 with `WWW-Authenticate: Api-Key`. An invalid key at
 *   PeeringDB is refused, not served anonymously; its API is Django REST Framework, whose
 *   header-scheme authentication failures answer 401 (403 when the scheme sends no challenge),
 *   so 401 is the most plausible; the client treats 401 and 403 alike.
 * - Error bodies are `{"meta": {"error": "..."}}`, PeeringDB's envelope; the client reads
 *   nothing from them.
 */

export type StandInFault = (
  | {
      /** Answer with this status (and Retry-After, for 429s), e.g. 429, 500, 503. */
      kind: "status";
      status: number;
      retryAfter?: string;
    }
  /** Accept the request and never answer (until stop()). */
  | { kind: "stall" }
  /** Send 200 and the start of a body, then nothing more. */
  | { kind: "stall-body" }
  /** Answer 200 with exactly this body. */
  | { kind: "body"; body: string | Uint8Array; contentType?: string }
  /** Answer 200 with a JSON-looking body of this many bytes, chunked (no Content-Length) unless `declareLength`. */
  | { kind: "oversized"; bytes: number; declareLength?: boolean }
  /** Drop the TCP connection without an answer. */
  | { kind: "reset" }
) & {
  /** Only requests whose path (with query) matches; default all. */
  path?: RegExp;
  /** How many matching requests get the fault before it clears; default: until setFault(null). */
  count?: number;
};

export interface PeeringDbStandInOptions {
  apiKey: string;
  networks?: PeeringDbNetFixture[];
  orgs?: PeeringDbOrgFixture[];
  port?: number;
  /** Default 127.0.0.1: the stand-in is for this machine only. */
  host?: string;
}

export interface StandInRequest {
  method: string;
  /** Path with query, as sent. */
  path: string;
  authorization: string | null;
}

export interface PeeringDbStandIn {
  url: string;
  port: number;
  /** Faults apply before the key check: they play PeeringDB's front end or the network failing. */
  setFault(fault: StandInFault | null): void;
  /** Every request so far, for assertions on what a client sent and how often. */
  requests: StandInRequest[];
  stop(): Promise<void>;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, headers?: Record<string, string>) {
  sendJson(res, status, { meta: { error: message } }, headers);
}

export async function startPeeringDbStandIn(options: PeeringDbStandInOptions): Promise<PeeringDbStandIn> {
  const networks = options.networks ?? DEMO_NETWORKS;
  const orgs = options.orgs ?? DEMO_ORGS;
  const requests: StandInRequest[] = [];
  let fault: (StandInFault & { left: number }) | null = null;

  function takeFault(path: string): StandInFault | null {
    if (!fault || (fault.path && !fault.path.test(path))) return null;
    const f = fault;
    f.left -= 1;
    if (f.left <= 0) fault = null;
    return f;
  }

  function applyFault(f: StandInFault, req: IncomingMessage, res: ServerResponse): void {
    switch (f.kind) {
      case "status":
        sendError(
          res,
          f.status,
          f.status === 429 ? "Request was throttled." : `HTTP ${f.status}`,
          f.retryAfter !== undefined ? { "retry-after": f.retryAfter } : {},
        );
        return;
      case "stall":
        return; // the socket stays open; stop() closes it
      case "stall-body":
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"data": [');
        return;
      case "body": {
        const body = typeof f.body === "string" ? Buffer.from(f.body) : Buffer.from(f.body);
        res.writeHead(200, {
          "content-type": f.contentType ?? "application/json",
          "content-length": body.length,
        });
        res.end(body);
        return;
      }
      case "oversized": {
        const head = '{"data": [{"name": "';
        const tail = '"}], "meta": {}}';
        const fill = Math.max(0, f.bytes - head.length - tail.length);
        res.writeHead(200, {
          "content-type": "application/json",
          ...(f.declareLength ? { "content-length": String(head.length + fill + tail.length) } : {}),
        });
        res.write(head);
        // In 16 KiB pieces, as a real large answer arrives; stop if the client hung up.
        const piece = "x".repeat(16 * 1024);
        let left = fill;
        const pump = () => {
          while (left > 0 && !res.destroyed) {
            const n = Math.min(left, piece.length);
            left -= n;
            if (!res.write(piece.slice(0, n))) return void res.once("drain", pump);
          }
          if (!res.destroyed) res.end(tail);
        };
        pump();
        return;
      }
      case "reset":
        req.socket.destroy();
        return;
    }
  }

  type Answer = [status: number, body: unknown];
  const notFound: Answer = [404, { meta: { error: "Not found." } }];

  function route(req: IncomingMessage): Answer {
    const url = new URL(req.url ?? "/", "http://stand-in");
    if (req.method !== "GET") return [405, { meta: { error: "Method not allowed" } }];
    if (url.pathname === "/api/net" || url.pathname === "/api/net/") {
      const asnParam = url.searchParams.get("asn");
      if (url.searchParams.get("info_never_via_route_servers") === "1") {
        const flagged = networks.filter((n) => n.info_never_via_route_servers === true);
        // `fields=asn` trims each object to the named fields, as PeeringDB does.
        const fields = url.searchParams.get("fields")?.split(",");
        const shaped = fields
          ? flagged.map((n) => Object.fromEntries(fields.map((f) => [f, (n as Record<string, unknown>)[f]])))
          : flagged;
        return [200, { data: shaped, meta: {} }];
      }
      if (asnParam === null) return [200, { data: networks, meta: {} }];
      if (!/^\d{1,10}$/.test(asnParam)) return [400, { meta: { error: "Invalid value for asn" } }];
      const asn = Number(asnParam);
      return [200, { data: networks.filter((n) => n.asn === asn), meta: {} }];
    }
    const net = /^\/api\/net\/(\d{1,10})\/?$/.exec(url.pathname);
    if (net) {
      const found = networks.find((n) => n.id === Number(net[1]));
      return found ? [200, { data: [found], meta: {} }] : notFound;
    }
    const org = /^\/api\/org\/(\d{1,10})\/?$/.exec(url.pathname);
    if (org) {
      const found = orgs.find((o) => o.id === Number(org[1]));
      return found ? [200, { data: [found], meta: {} }] : notFound;
    }
    return notFound;
  }

  const server = createServer((req, res) => {
    const path = req.url ?? "/";
    requests.push({ method: req.method ?? "", path, authorization: req.headers.authorization ?? null });
    const f = takeFault(path);
    if (f) {
      applyFault(f, req, res);
      return;
    }
    if (req.headers.authorization !== `Api-Key ${options.apiKey}`) {
      sendError(res, 401, "Invalid API key", { "www-authenticate": "Api-Key" });
      return;
    }
    const [status, body] = route(req);
    sendJson(res, status, body);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    setFault(next) {
      fault = next ? { ...next, left: next.count ?? Number.POSITIVE_INFINITY } : null;
    },
    stop() {
      return new Promise<void>((resolve) => {
        // Stalled answers hold their sockets open; close() alone would wait for them forever.
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
