import { mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ensureIdentity, ensureToken, readIdentity } from "./identity.ts";
import { applyMemberUpdate, applyNetworkUpdate, newMember, newNetwork, randomSuffix } from "./objects.ts";
import { FileStore, type Json } from "./store.ts";

export interface ControllerEmulatorOptions {
  /** The ZeroTier home: identity, authtoken.secret and controller.d/ live here. */
  homeDir: string;
  port?: number;
  host?: string;
  /** Overwrites authtoken.secret; otherwise the file's token (or a new random one) is used. */
  token?: string;
  /** Start with the database not ready (`/controller` answers 503). */
  ready?: boolean;
}

/** A scripted failure, for failures a healthy emulator never produces (5xx storms, resets). */
export interface EmulatorFault {
  method?: string;
  path: RegExp;
  /** Answer with this status and an empty body, or `reset` the TCP connection. */
  status?: number;
  reset?: boolean;
  /** How many matching requests fail before the fault clears (default 1). */
  count?: number;
}

export interface ControllerEmulator {
  url: string;
  port: number;
  address: string;
  token: string;
  homeDir: string;
  stop(): Promise<void>;
  setReady(ready: boolean): void;
  /** Writes a new authtoken.secret; requests with the old token get 401 from now on. */
  rotateToken(token: string): void;
  injectFault(fault: EmulatorFault): void;
  /** Requests served so far, by `METHOD path` (no query), for assertions on call counts. */
  requests: string[];
}

const NWID = "([0-9a-fA-F_]{16})";
const MEMBER = "([0-9a-fA-F]{10})";

/**
 * An HTTP server reproducing the zerotier-one 1.14.1 controller API and its quirks
 * (see docs: zerotier-controller-api.md). A test fixture and `npm run dev` backend,
 * not a product feature.
 */
export async function startControllerEmulator(
  options: ControllerEmulatorOptions,
): Promise<ControllerEmulator> {
  const homeDir = options.homeDir;
  mkdirSync(homeDir, { recursive: true });
  ensureIdentity(homeDir);
  let token = ensureToken(homeDir, options.token);
  let ready = options.ready ?? true;
  const faults: (EmulatorFault & { count: number })[] = [];
  const store = new FileStore(homeDir);
  const requests: string[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => {
        const url = new URL(req.url ?? "/", "http://controller");
        requests.push(`${req.method} ${url.pathname}`);
        const fault = faults.find(
          (f) => f.count > 0 && f.path.test(url.pathname) && (!f.method || f.method === req.method),
        );
        if (fault) {
          fault.count -= 1;
          if (fault.reset) {
            req.socket.destroy();
            return;
          }
          return send(res, fault.status ?? 500, "");
        }
        if (!authorized(req, url, token)) return send(res, 401, {});
        route(req.method ?? "GET", url.pathname, body, res);
      })
      .catch((e: Error) => send(res, 500, { error: 500, description: e.message }));
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  function route(method: string, path: string, body: string, res: ServerResponse) {
    const now = Date.now();
    const { address, publicIdentity } = readIdentity(homeDir);
    const match = (pattern: string) => path.match(new RegExp(pattern));
    let m: RegExpMatchArray | null;
    if (path === "/status" && method === "GET") {
      return send(res, 200, {
        address,
        clock: now,
        config: {
          settings: {
            allowTcpFallbackRelay: true,
            bind: [],
            listeningOn: [],
            portMappingEnabled: true,
            primaryPort: 9993,
            softwareUpdate: "disable",
          },
        },
        online: true,
        planetWorldId: 149604618,
        planetWorldTimestamp: 1644592324813,
        publicIdentity,
        tcpFallbackActive: false,
        version: "1.14.1",
        versionBuild: 0,
        versionMajor: 1,
        versionMinor: 14,
        versionRev: 1,
      });
    }
    if (path === "/controller" && method === "GET") {
      if (!ready) return send(res, 503, "");
      return send(res, 200, { controller: true, apiVersion: 4, clock: now, databaseReady: true });
    }
    if (!ready && path.startsWith("/controller")) return send(res, 503, "");
    if (path === "/controller/network" && method === "GET") return send(res, 200, store.listNetworks());

    m = match(`^/unstable/controller/network/${NWID}/member$`);
    if (m && method === "GET") {
      const nwid = m[1]!.toLowerCase();
      if (!store.getNetwork(nwid)) return send(res, 404, "");
      const members = store.listMembers(nwid);
      return send(res, 200, {
        data: members,
        meta: { authorizedCount: members.filter((x) => x.authorized).length, totalCount: members.length },
      });
    }
    m = match(`^/controller/network/${NWID}$`);
    if (m) {
      const raw = m[1]!.toLowerCase();
      if (method === "GET") {
        const network = store.getNetwork(raw);
        return network ? send(res, 200, network) : send(res, 404, "");
      }
      if (method === "DELETE") {
        const network = store.getNetwork(raw);
        if (!network) return send(res, 404, "");
        store.deleteNetwork(raw);
        return send(res, 200, network);
      }
      if (method === "POST" || method === "PUT") {
        const parsed = parseJson(body);
        if ("error" in parsed) return send(res, 500, parsed.error);
        let nwid = raw;
        if (raw.endsWith("______")) {
          // "<node id>______": create with a random suffix, only for this controller's own id.
          if (raw.slice(0, 10) !== address) return send(res, 400, "");
          do nwid = address + randomSuffix();
          while (store.getNetwork(nwid));
        } else if (!/^[0-9a-f]{16}$/.test(raw)) {
          return send(res, 400, "");
        }
        const network = store.getNetwork(nwid) ?? newNetwork(nwid, now);
        applyNetworkUpdate(network, parsed.value);
        network.revision = Number(network.revision ?? 0) + 1;
        store.putNetwork(nwid, network);
        return send(res, 200, network);
      }
    }
    m = match(`^/controller/network/${NWID}/member$`);
    if (m && method === "GET") {
      const nwid = m[1]!.toLowerCase();
      if (!store.getNetwork(nwid)) return send(res, 404, "");
      const out: Record<string, number> = {};
      for (const member of store.listMembers(nwid)) out[String(member.id)] = Number(member.revision);
      return send(res, 200, out);
    }
    m = match(`^/controller/network/${NWID}/member/${MEMBER}$`);
    if (m) {
      const nwid = m[1]!.toLowerCase();
      const given = m[2]!;
      const id = given.toLowerCase();
      if (!store.getNetwork(nwid)) return send(res, 404, "");
      if (method === "GET") {
        const member = store.getMember(nwid, id);
        return member ? send(res, 200, member) : send(res, 404, "");
      }
      if (method === "DELETE") {
        const member = store.getMember(nwid, id);
        if (!member) return send(res, 404, "");
        store.deleteMember(nwid, id);
        return send(res, 200, member);
      }
      if (method === "POST" || method === "PUT") {
        const parsed = parseJson(body);
        if ("error" in parsed) return send(res, 500, parsed.error);
        const member = store.getMember(nwid, id) ?? newMember(nwid, id, now);
        applyMemberUpdate(member, parsed.value, now);
        member.revision = Number(member.revision ?? 0) + 1;
        store.putMember(nwid, id, member);
        // Quirk: the reply echoes the id as sent, though it is stored lower-case.
        return send(res, 200, { ...member, id: given, address: given });
      }
    }
    return send(res, 404, "");
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    address: readIdentity(homeDir).address,
    get token() {
      return token;
    },
    homeDir,
    requests,
    setReady(value) {
      ready = value;
    },
    rotateToken(next) {
      token = ensureToken(homeDir, next);
    },
    injectFault(fault) {
      faults.push({ ...fault, count: fault.count ?? 1 });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function authorized(req: IncomingMessage, url: URL, token: string): boolean {
  const header = req.headers["x-zt1-auth"];
  const bearer = req.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
  const given = (Array.isArray(header) ? header[0] : header) ?? bearer ?? url.searchParams.get("auth");
  return given !== undefined && given !== null && given.trim() === token;
}

function parseJson(body: string): { value: Json } | { error: Json } {
  if (body.trim() === "") return { value: {} };
  try {
    const value = JSON.parse(body) as unknown;
    return {
      value: typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {},
    };
  } catch {
    const last = body.slice(0, 1);
    return {
      error: {
        error: 500,
        description: `[json.exception.parse_error.101] parse error at line 1, column 1: syntax error while parsing value - invalid literal; last read: '${last}'`,
      },
    };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
