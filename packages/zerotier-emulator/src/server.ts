import { mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ensureIdentity, ensureToken, readIdentity } from "./identity.ts";
import {
  applyMemberUpdate,
  applyNetworkUpdate,
  type Json,
  JsonTypeError,
  newMember,
  newNetwork,
  randomSuffix,
} from "./objects.ts";
import { ControllerDatabase, canonical } from "./store.ts";

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

/** A scripted failure, for failures a healthy controller never produces on demand (5xx storms, resets). */
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
  /** The node address loaded at the last (re)start, from identity.public. */
  readonly address: string;
  readonly token: string;
  homeDir: string;
  stop(): Promise<void>;
  /**
   * Restarts the controller as `systemctl restart zerotier-one` would: open connections drop,
   * and identity, authtoken.secret and controller.d/ are read again from the home dir (the
   * database comes back ready). Until then, changes to those files are not seen.
   */
  restart(): Promise<void>;
  /** Scripted: the database (not) ready, as while zerotier-one is still loading it. */
  setReady(ready: boolean): void;
  /** Writes a new authtoken.secret and restarts (the token is read only at start). */
  rotateToken(token: string): Promise<void>;
  injectFault(fault: EmulatorFault): void;
  /** Requests served so far, by `METHOD path` (no query), for assertions on call counts. */
  requests: string[];
  /**
   * A node asks to join a network, as `zerotier-cli join <nwid>` on that node makes it do
   * (EmbeddedNetworkController::_request): a node the network does not know gets an
   * unauthorized member record (what the real API then lists, so an admin sees it knocking);
   * an authorized member gets the node's version recorded (the controller records versions
   * only for authorized members). A network that does not exist records nothing (null).
   * Also over HTTP, for the dev demo: `POST /emulator/network/<nwid>/join/<nodeId>` with the token.
   */
  simulateJoin(networkId: string, nodeId: string, version?: NodeVersion): Json | null;
}

/** The version a joining node reports (a 1.14.1 node by default). */
export interface NodeVersion {
  major: number;
  minor: number;
  rev: number;
  proto: number;
}

/** What the controller holds in memory between restarts. */
interface Loaded {
  address: string;
  publicIdentity: string;
  token: string;
  db: ControllerDatabase;
}

function load(homeDir: string): Loaded {
  ensureIdentity(homeDir);
  const { address, publicIdentity } = readIdentity(homeDir);
  return { address, publicIdentity, token: ensureToken(homeDir), db: ControllerDatabase.load(homeDir) };
}

// The real controller's routes: anything else (an id with "_" outside the create form, a
// wrong length) matches no route and gets the generic 404.
const NWID = "([0-9a-fA-F]{16})";
const MEMBER = "([0-9a-fA-F]{10})";

/**
 * An HTTP server reproducing the zerotier-one 1.14.1 controller API and its quirks, as
 * measured in the design notes (zerotier-controller-api.md). A test fixture and `npm run dev`
 * backend, not a product feature: no Lambda bundle includes it.
 */
export async function startControllerEmulator(
  options: ControllerEmulatorOptions,
): Promise<ControllerEmulator> {
  const homeDir = options.homeDir;
  mkdirSync(homeDir, { recursive: true });
  ensureToken(homeDir, options.token);
  let state = load(homeDir);
  let ready = options.ready ?? true;
  const faults: (EmulatorFault & { count: number })[] = [];
  const requests: string[] = [];
  const host = options.host ?? "127.0.0.1";

  const handle = (req: IncomingMessage, res: ServerResponse) => {
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
        if (!authorized(req, url, state.token)) return send(res, 401, {});
        route(req.method ?? "GET", url.pathname, body, res);
      })
      .catch((e: Error) => send(res, 500, { error: 500, description: e.message }));
  };

  function simulateJoin(networkId: string, nodeId: string, version?: NodeVersion): Json | null {
    const nwid = networkId.toLowerCase();
    // The node's address as the controller reads it from the node's identity: lower-case.
    const id = nodeId.toLowerCase();
    const { db } = state;
    if (!db.getNetwork(nwid)) return null;
    const member = db.getMember(nwid, id) ?? newMember(nwid, id, Date.now());
    if (member.authorized === true) {
      const v = version ?? { major: 1, minor: 14, rev: 1, proto: 12 };
      member.vMajor = v.major;
      member.vMinor = v.minor;
      member.vRev = v.rev;
      member.vProto = v.proto;
    }
    return db.saveMember(nwid, String(member.id ?? id), member);
  }

  function route(method: string, path: string, body: string, res: ServerResponse) {
    const now = Date.now();
    const { address, db } = state;
    const write = method === "POST" || method === "PUT";
    let m: RegExpMatchArray | null;
    if (path === "/status" && method === "GET") return send(res, 200, statusBody(state, homeDir, port, now));
    if (path === "/controller" && method === "GET") {
      if (!ready) return send(res, 503, "");
      return send(res, 200, { controller: true, apiVersion: 4, clock: now, databaseReady: true });
    }
    if (!ready && (path.startsWith("/controller") || path.startsWith("/unstable/controller"))) {
      return send(res, 503, "");
    }
    if (path === "/controller/network" && method === "GET") return send(res, 200, db.listNetworks());
    if (path === "/unstable/controller/network" && method === "GET") {
      const networks = db.listNetworks().map((id) => db.getNetwork(id));
      return send(res, 200, { data: networks, meta: { networkCount: networks.length } });
    }
    // Both create forms pick a free random suffix under this controller's own address.
    const createIn = (body: Json) => {
      let nwid: string;
      do nwid = address + randomSuffix();
      while (db.getNetwork(nwid));
      const network = newNetwork(nwid, now);
      applyNetworkUpdate(network, body);
      return send(res, 200, db.saveNetwork(nwid, network));
    };
    if (path === "/controller/network" && write) {
      return withBody(body, res, (parsed) => createIn(parsed));
    }
    m = path.match(/^\/controller\/network\/([0-9a-fA-F]{10})______$/);
    if (m && write) {
      // Compared as sent: an upper-case spelling of this controller's own address is refused too.
      if (m[1] !== address) return send(res, 400, "");
      return withBody(body, res, (parsed) => createIn(parsed));
    }

    // Not part of the real API: a node asking to join, for the dev demo (see simulateJoin).
    m = path.match(new RegExp(`^/emulator/network/${NWID}/join/${MEMBER}$`));
    if (m && method === "POST") {
      const member = simulateJoin(m[1]!, m[2]!);
      return member ? send(res, 200, member) : send(res, 404, "");
    }
    m = path.match(new RegExp(`^/unstable/controller/network/${NWID}/member$`));
    if (m && method === "GET") {
      const nwid = m[1]!.toLowerCase();
      if (!db.getNetwork(nwid)) return send(res, 404, "");
      const members = db.listMembers(nwid);
      return send(res, 200, {
        data: members,
        meta: { authorizedCount: members.filter((x) => x.authorized).length, totalCount: members.length },
      });
    }
    m = path.match(new RegExp(`^/controller/network/${NWID}$`));
    if (m) {
      const nwid = m[1]!.toLowerCase();
      const network = db.getNetwork(nwid);
      if (method === "GET") return network ? send(res, 200, network) : send(res, 404, "");
      if (method === "DELETE") {
        if (!network) return send(res, 404, "");
        db.deleteNetwork(nwid);
        return send(res, 200, network);
      }
      if (write) {
        return withBody(body, res, (parsed) => {
          const next = network ?? newNetwork(nwid, now);
          applyNetworkUpdate(next, parsed);
          return send(res, 200, db.saveNetwork(nwid, next));
        });
      }
    }
    m = path.match(new RegExp(`^/controller/network/${NWID}/member$`));
    if (m && method === "GET") {
      const nwid = m[1]!.toLowerCase();
      if (!db.getNetwork(nwid)) return send(res, 404, "");
      const out: Record<string, number> = {};
      for (const member of db.listMembers(nwid)) out[String(member.id)] = Number(member.revision);
      return send(res, 200, out);
    }
    m = path.match(new RegExp(`^/controller/network/${NWID}/member/${MEMBER}$`));
    if (m) {
      const nwid = m[1]!.toLowerCase();
      // The id is matched case-insensitively but stored as sent (measured: an upper-case id
      // comes back upper-case from GET and from the member list).
      const given = m[2]!;
      if (!db.getNetwork(nwid)) return send(res, 404, "");
      const member = db.getMember(nwid, given);
      if (method === "GET") return member ? send(res, 200, member) : send(res, 404, "");
      if (method === "DELETE") {
        if (!member) return send(res, 404, "");
        db.deleteMember(nwid, given);
        return send(res, 200, member);
      }
      if (write) {
        return withBody(body, res, (parsed) => {
          const next = member ?? newMember(nwid, given, now);
          next.id = given;
          next.address = given;
          applyMemberUpdate(next, parsed, now);
          return send(res, 200, db.saveMember(nwid, given, next));
        });
      }
    }
    return send(res, 404, "");
  }

  const sockets = new Set<Socket>();
  let server: Server;
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const s = createServer(handle);
      s.on("connection", (c) => {
        sockets.add(c);
        c.on("close", () => sockets.delete(c));
      });
      s.once("error", reject);
      s.listen(port, host, () => resolve(s));
    });
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });

  server = await listen(options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const restart = async () => {
    await close();
    // Down for a moment, as a real restart is: clients in this process see their pooled
    // connections close before the port answers again, instead of writing into dead sockets.
    await new Promise((r) => setTimeout(r, 50));
    state = load(homeDir);
    ready = true;
    server = await listen(port);
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get address() {
      return state.address;
    },
    get token() {
      return state.token;
    },
    homeDir,
    requests,
    restart,
    setReady(value) {
      ready = value;
    },
    async rotateToken(next) {
      ensureToken(homeDir, next);
      await restart();
    },
    injectFault(fault) {
      faults.push({ ...fault, count: fault.count ?? 1 });
    },
    simulateJoin,
    stop: close,
  };
}

/** `/status` of a node with no roots reachable (so offline), with 1.14.1's settings block. */
function statusBody(state: Loaded, homeDir: string, port: number, now: number): Json {
  return {
    address: state.address,
    clock: now,
    config: {
      settings: {
        allowTcpFallbackRelay: true,
        bind: [],
        forceTcpRelay: false,
        homeDir,
        listeningOn: [`127.0.0.1/${port}`],
        portMappingEnabled: true,
        primaryPort: port,
        secondaryPort: 0,
        softwareUpdate: "disable",
        softwareUpdateChannel: "release",
        surfaceAddresses: [],
        tertiaryPort: 0,
      },
    },
    online: false,
    planetWorldId: 149604618,
    planetWorldTimestamp: 1644592324813,
    publicIdentity: state.publicIdentity,
    tcpFallbackActive: false,
    version: "1.14.1",
    versionBuild: 0,
    versionMajor: 1,
    versionMinor: 14,
    versionRev: 1,
  };
}

function authorized(req: IncomingMessage, url: URL, token: string): boolean {
  const header = req.headers["x-zt1-auth"];
  const bearer = req.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
  const given = (Array.isArray(header) ? header[0] : header) ?? bearer ?? url.searchParams.get("auth");
  return given !== undefined && given !== null && given.trim() === token;
}

/**
 * Parses a POST body as the controller's JSON library does, and answers its exceptions with
 * 500 `{"error":500,"description":"[json.exception....]"}`: an empty body is a parse error
 * too, and a type error in the body (JsonTypeError) aborts the write.
 */
function withBody(body: string, res: ServerResponse, apply: (parsed: Json) => void): void {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    const description =
      body.trim() === ""
        ? "[json.exception.parse_error.101] parse error at line 1, column 1: attempting to parse an empty input; check that your input string or stream contains the expected JSON"
        : `[json.exception.parse_error.101] parse error at line 1, column 1: syntax error while parsing value - invalid literal; last read: '${body.slice(0, 1)}'`;
    send(res, 500, { error: 500, description });
    return;
  }
  // A valid body that is not an object has no keys the controller looks for.
  const parsed = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
  try {
    apply(parsed);
  } catch (e) {
    if (!(e instanceof JsonTypeError)) throw e;
    send(res, 500, { error: 500, description: e.message });
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

/** An empty body goes out with no Content-Type at all, as the real 404 (and 400, 503) do. */
function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === "string" ? body : canonical(body);
  const headers: Record<string, string | number> = { "content-length": Buffer.byteLength(text) };
  if (text !== "") headers["content-type"] = "application/json";
  res.writeHead(status, headers);
  res.end(text);
}
