import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";
import { parsePrefix } from "./prefixes.ts";
import { listValues, parseRpsl, type RpslObject } from "./rpsl.ts";

export { DEMO_RPSL } from "./demo-rpsl.ts";
export { listValues, parseRpsl, type RpslObject } from "./rpsl.ts";

/**
 * A local TCP server speaking the IRRd whois query protocol (the `!` commands) as far as
 * bgpq4 uses it, serving RPSL fixture objects, so tests and the dev stack run the real bgpq4
 * binary without the Internet. A test and dev fixture: never bundled.
 *
 * What bgpq4 1.9 sends (observed by logging a socket it talked to):
 *   `!!`                keep the connection open (no answer)
 *   `!nbgpq4 1.9`       identify the client → `C`
 *   `!a`                probe for IRRd 4's `!a`: only the exact answer
 *                       `F Missing required set name for A query` makes bgpq4 use it
 *   `!s-lc`             list the selected sources (sent when no `-S` is given) → `A…RADB,RIPE`
 *   `!sRIPE,RADB`       select sources (bgpq4 reports `Invalid source(s)` on `D` or `F`)
 *   `!a4AS-FOO`, `!a6…` IRRd 4: every v4/v6 prefix originated by the set's ASNs, recursively
 *   `!iAS-FOO,1`        without `!a`, and for `-t`: the set's ASNs, recursively
 *   `!iAS-FOO`          a set's direct members (for `SOURCE::AS-FOO`, which bgpq4 recurses itself
 *                       after `!sSOURCE`)
 *   `!gas64500`, `!6as64500`  the v4/v6 prefixes of route(6) objects with that origin
 *   `!q`                quit
 * Answers: `A<n>\n<data>\nC\n` (n counts the data and its newline), `C\n` (success, no
 * data), `D\n` (key not found), `F <message>\n` (error).
 *
 * Where it differs from IRRd, on purpose or for want of a real server to compare with here:
 * - an existing set, or an ASN, with nothing to return answers `C` (IRRd may answer `D`);
 * - objects of the same key in several sources: a set comes from the first selected source
 *   holding it, routes from every selected source;
 * - route-sets, `mbrs-by-ref` and `member-of` are not modelled.
 */

export interface WhoisStandInOptions {
  /** Fixture objects: RPSL text or parsed objects. */
  rpsl: string | RpslObject[];
  /** The sources served, in default priority order; default: those the objects name, in order seen. */
  sources?: string[];
  /** Answer IRRd 4's `!a` queries (default true); false plays an older IRRd, so bgpq4 uses `!i` and `!g`. */
  aQueries?: boolean;
  /** Default 127.0.0.1: the stand-in is for this machine only. */
  host?: string;
  /** Default 0: any free port (see `port`). */
  port?: number;
}

/**
 * How the queries matching `match` misbehave: `stall` never answers and ignores the rest of the
 * connection (it stays open), a server that hangs; `error` answers `F <message>`, a server-side
 * error; `drop` closes the connection without an answer.
 */
export type WhoisFault = { match: RegExp | ((query: string) => boolean) } & (
  | { kind: "stall" }
  | { kind: "error"; message: string }
  | { kind: "drop" }
);

export interface WhoisStandIn {
  host: string;
  port: number;
  /** `host:port`, as bgpq4's `-h` takes it. */
  address: string;
  /** Every query line received, across connections, in arrival order. */
  queries: string[];
  /** The source list of every `!s<list>` received (not `!s-lc`), upper case. */
  sourceSelections: string[][];
  /** How many connections were accepted. */
  connections: number;
  /** From now on, queries matching the fault's `match` misbehave; `null` clears it for later queries. */
  setFault(fault: WhoisFault | null): void;
  stop(): Promise<void>;
}

interface AsSet {
  name: string;
  members: string[];
}

interface Route {
  text: string;
  family: "ipv4" | "ipv6";
}

const MAX_QUERY_LENGTH = 64 * 1024;
const A_PROBE_ANSWER = "F Missing required set name for A query";

/** The in-memory database the stand-in answers from. */
class Dataset {
  readonly sources: string[];
  private readonly sets = new Map<string, Map<string, AsSet>>(); // name → source → set
  private readonly routes = new Map<number, Map<string, Route[]>>(); // origin → source → routes

  constructor(objects: RpslObject[], sources?: string[]) {
    const seen: string[] = [];
    for (const obj of objects) {
      if (!seen.includes(obj.source)) seen.push(obj.source);
      if (obj.objectClass === "as-set") {
        const name = obj.key.toUpperCase();
        const bySource = this.sets.get(name) ?? new Map<string, AsSet>();
        bySource.set(obj.source, { name, members: listValues(obj, "members").map((m) => m.toUpperCase()) });
        this.sets.set(name, bySource);
      } else if (obj.objectClass === "route" || obj.objectClass === "route6") {
        const prefix = parsePrefix(obj.key);
        const origin = parseAsn(obj.attributes.find(([n]) => n === "origin")?.[1] ?? "");
        if (!prefix || origin === null) throw new Error(`bad ${obj.objectClass} fixture: ${obj.key}`);
        const bySource = this.routes.get(origin) ?? new Map<string, Route[]>();
        const list = bySource.get(obj.source) ?? [];
        // Served as written, so the client's canonicalisation is what tests exercise.
        list.push({ text: obj.key.trim(), family: prefix.family });
        bySource.set(obj.source, list);
        this.routes.set(origin, bySource);
      }
      // aut-num and other classes are accepted as fixtures; no query bgpq4 makes reads them.
    }
    this.sources = (sources ?? seen).map((s) => s.toUpperCase());
  }

  set(name: string, selected: string[]): AsSet | undefined {
    const bySource = this.sets.get(name.toUpperCase());
    if (!bySource) return undefined;
    for (const s of selected) {
      const set = bySource.get(s);
      if (set) return set;
    }
    return undefined;
  }

  /** The set's ASNs, following nested sets; loops and dangling members are skipped as IRRd does. */
  expand(name: string, selected: string[]): number[] | undefined {
    const top = this.set(name, selected);
    if (!top) return undefined;
    const asns = new Set<number>();
    const visited = new Set<string>();
    const walk = (set: AsSet) => {
      if (visited.has(set.name)) return;
      visited.add(set.name);
      for (const m of set.members) {
        const asn = parseAsn(m);
        if (asn !== null) asns.add(asn);
        else {
          const nested = this.set(m, selected);
          if (nested) walk(nested);
        }
      }
    };
    walk(top);
    return [...asns].sort((a, b) => a - b);
  }

  prefixes(origins: number[], family: "ipv4" | "ipv6" | "any", selected: string[]): string[] {
    const out = new Set<string>();
    for (const asn of origins) {
      const bySource = this.routes.get(asn);
      if (!bySource) continue;
      for (const s of selected) {
        for (const r of bySource.get(s) ?? []) if (family === "any" || r.family === family) out.add(r.text);
      }
    }
    return [...out];
  }
}

function parseAsn(text: string): number | null {
  const m = /^AS(\d{1,10})$/i.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return n <= 4_294_967_295 ? n : null;
}

function answer(items: string[]): string {
  if (items.length === 0) return "C\n";
  const data = items.join(" ");
  return `A${Buffer.byteLength(data) + 1}\n${data}\nC\n`;
}

/** Starts the stand-in; resolves once it listens (on `port`, or a free one with port 0). */
export async function startWhoisStandIn(options: WhoisStandInOptions): Promise<WhoisStandIn> {
  const objects = typeof options.rpsl === "string" ? parseRpsl(options.rpsl) : options.rpsl;
  const data = new Dataset(objects, options.sources);
  const aQueries = options.aQueries ?? true;
  const sockets = new Set<Socket>();
  let fault: WhoisFault | null = null;

  const state: WhoisStandIn = {
    host: options.host ?? "127.0.0.1",
    port: 0,
    address: "",
    queries: [],
    sourceSelections: [],
    connections: 0,
    setFault(f) {
      fault = f;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  /** One query → its answer; null for none (`!!`), "quit" to close. */
  const respond = (
    query: string,
    session: { selected: string[]; persistent: boolean },
  ): string | null | "quit" => {
    if (query === "!!") {
      session.persistent = true;
      return null;
    }
    if (query === "!q") return "quit";
    if (query.startsWith("!n")) return "C\n";
    if (query === "!v") return answer(["IRRd-compatible ZT-IX stand-in"]);
    if (query === "!s-lc") return answer([session.selected.join(",")]);
    if (query.startsWith("!s")) {
      const wanted = query
        .slice(2)
        .split(",")
        .map((s) => s.trim().toUpperCase())
        .filter(Boolean);
      state.sourceSelections.push(wanted);
      const unknown = wanted.filter((s) => !data.sources.includes(s));
      if (wanted.length === 0 || unknown.length > 0) {
        return `F One or more selected sources are unavailable: ${unknown.join(", ")}\n`;
      }
      session.selected = wanted;
      return "C\n";
    }
    if (query.startsWith("!a")) {
      if (!aQueries) return "F Unrecognized command\n";
      const rest = query.slice(2);
      if (rest === "") return `${A_PROBE_ANSWER}\n`;
      const family = rest.startsWith("4") ? "ipv4" : rest.startsWith("6") ? "ipv6" : "any";
      const name = family === "any" ? rest : rest.slice(1);
      const asn = parseAsn(name);
      const origins = asn !== null ? [asn] : data.expand(name, session.selected);
      if (!origins) return "D\n";
      return answer(data.prefixes(origins, family, session.selected));
    }
    if (query.startsWith("!i")) {
      const recursive = query.endsWith(",1");
      const name = query.slice(2, recursive ? -2 : undefined);
      if (recursive) {
        const asns = data.expand(name, session.selected);
        return asns ? answer(asns.map((a) => `AS${a}`)) : "D\n";
      }
      const set = data.set(name, session.selected);
      return set ? answer(set.members) : "D\n";
    }
    if (query.startsWith("!g") || query.startsWith("!6")) {
      const asn = parseAsn(query.slice(2));
      if (asn === null) return `F Invalid AS number: ${query.slice(2)}\n`;
      const list = data.prefixes([asn], query.startsWith("!g") ? "ipv4" : "ipv6", session.selected);
      return list.length > 0 ? answer(list) : "D\n";
    }
    return "F Unrecognized command\n";
  };

  const server = createServer((socket) => {
    sockets.add(socket);
    state.connections++;
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const session = { selected: [...data.sources], persistent: false };
    let buffer = "";
    let stalled = false;
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      if (stalled) return;
      buffer += chunk;
      // bgpq4 pipelines: several queries can arrive in one chunk; they are answered in order.
      for (let nl = buffer.indexOf("\n"); nl >= 0 && !stalled; nl = buffer.indexOf("\n")) {
        const query = buffer.slice(0, nl).replace(/\r$/, "");
        buffer = buffer.slice(nl + 1);
        state.queries.push(query);
        if (fault && (fault.match instanceof RegExp ? fault.match.test(query) : fault.match(query))) {
          if (fault.kind === "error") {
            socket.write(`F ${fault.message}\n`);
            continue;
          }
          if (fault.kind === "stall") stalled = true;
          else socket.destroy();
          return;
        }
        const reply = respond(query, session);
        if (reply === "quit") {
          socket.end();
          return;
        }
        if (reply !== null) socket.write(reply);
        // IRRd answers one query per connection unless the client asked for `!!` first.
        if (!session.persistent) {
          socket.end();
          return;
        }
      }
      if (buffer.length > MAX_QUERY_LENGTH) socket.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, state.host, () => resolve());
  });
  state.port = (server.address() as AddressInfo).port;
  state.address = `${state.host}:${state.port}`;
  return state;
}

export interface LargeDataset {
  /** The top-level set: its members are `subSets` nested sets sharing `asns` origin ASNs. */
  asSet: string;
  rpsl: string;
  /** What an expansion must return, canonical and sorted as `expandPrefixes` returns it. */
  ipv4: string[];
  ipv6: string[];
  asns: number[];
}

/**
 * A large fixture: an as-set (through nested sets) whose origins' route objects total
 * `ipv4 + ipv6` prefixes — /24s from 10.0.0.0/8 and /48s from 2001:db8::/32, spread over
 * `asns` private 32-bit ASNs from 4200000000 (so expand it with `allowPrivateAsns`).
 */
export function generateLargeDataset(
  options: {
    asSet?: string;
    ipv4?: number;
    ipv6?: number;
    asns?: number;
    subSets?: number;
    source?: string;
  } = {},
): LargeDataset {
  const asSet = options.asSet ?? "AS-LARGE";
  const v4 = options.ipv4 ?? 8_000;
  const v6 = options.ipv6 ?? 2_000;
  const asnCount = options.asns ?? 100;
  const subSets = Math.max(1, Math.min(options.subSets ?? 10, asnCount));
  const source = options.source ?? "TEST";
  if (v4 > 65_536 || v6 > 65_536) throw new Error("at most 65,536 prefixes per family");
  const asns = Array.from({ length: asnCount }, (_, i) => 4_200_000_000 + i);
  const parts: string[] = [];
  parts.push(
    `as-set: ${asSet}\nmembers: ${Array.from({ length: subSets }, (_, i) => `${asSet}-${i}`).join(", ")}\nsource: ${source}\n`,
  );
  for (let s = 0; s < subSets; s++) {
    const members = asns.filter((_, i) => i % subSets === s).map((a) => `AS${a}`);
    parts.push(`as-set: ${asSet}-${s}\nmembers: ${members.join(", ")}\nsource: ${source}\n`);
  }
  for (const a of asns) parts.push(`aut-num: AS${a}\nas-name: LARGE-${a}\nsource: ${source}\n`);
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  for (let i = 0; i < v4; i++) {
    const prefix = `10.${i >> 8}.${i & 255}.0/24`;
    ipv4.push(prefix);
    parts.push(`route: ${prefix}\norigin: AS${asns[i % asnCount]}\nsource: ${source}\n`);
  }
  for (let i = 0; i < v6; i++) {
    const prefix = parsePrefix(`2001:db8:${i.toString(16)}::/48`)!.text;
    ipv6.push(prefix);
    parts.push(`route6: ${prefix}\norigin: AS${asns[i % asnCount]}\nsource: ${source}\n`);
  }
  // Generated in address order already: 10.x.y.0 rises with i, as does 2001:db8:i::.
  return { asSet, rpsl: parts.join("\n"), ipv4, ipv6, asns };
}
