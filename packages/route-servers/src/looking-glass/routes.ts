import { decodeRouteServerTags, type RouteServerTags } from "./decode.ts";
import { type Reply, ReplyCode } from "./reply.ts";
import { type BirdClock, type BirdTimestamp, parseBirdTime } from "./time.ts";

export type BgpOrigin = "IGP" | "EGP" | "Incomplete";

export interface BirdRoute {
  table: string;
  prefix: string;
  /** BIRD's route type: `unicast`, `blackhole`, `unreachable`, `prohibited`. */
  type: string;
  /** The protocol the route came from: on a route server, the member session. */
  protocol: string;
  /** When the route last changed. */
  since?: BirdTimestamp;
  /** The BGP neighbour it came from, printed only when it differs from the next hop. */
  from?: string;
  /**
   * BIRD's `*`: the best route for the prefix. Meaningless in filtered listings, where
   * BIRD 2.0.12 marks a prefix's first filtered route `*` although it is never chosen.
   */
  primary: boolean;
  /** The route was rejected by the import filter and kept only to be shown (`import keep filtered`). */
  filtered: boolean;
  preference?: number;
  /** Gateways of the `via <address> on <interface>` lines. */
  gateways: Array<{ address: string; interface?: string }>;
  /** `BGP univ`, `static univ`: the `Type:` line. */
  sourceType?: string;
  origin?: BgpOrigin;
  /** The AS path as printed (`64501 64510 {64511 64512}`). */
  asPathText?: string;
  /** Every ASN of the path in order, AS_SET members included. */
  asPath: number[];
  /** BIRD's own view of the origin AS (the `[AS64501i]` after the route). */
  originAs?: number;
  /** One address, or a global and a link-local one for IPv6. */
  bgpNextHop: string[];
  localPref?: number;
  med?: number;
  communities: Array<[number, number]>;
  largeCommunities: Array<[number, number, number]>;
  extendedCommunities: string[];
  /** Other attributes by BIRD's name (`BGP.atomic_aggr`, `BGP.aggregator`, …), values as printed. */
  otherAttributes: Record<string, string>;
  /** The route server's own tags in words; present when the parse was given its ASN. */
  tags?: RouteServerTags;
}

export interface ParseRoutesOptions {
  filtered: boolean;
  clock?: BirdClock;
  /** Decodes `(rsAsn, 1101, code)` and `(rsAsn, 1000, code)` on every route. */
  rsAsn?: number;
  /** Stop after this many routes and say so. */
  maxRoutes?: number;
  /**
   * The reply was cut short (a byte cap): its last route may have lost attributes, so it is
   * dropped rather than shown incomplete.
   */
  incomplete?: boolean;
}

export interface ParsedRoutes {
  routes: BirdRoute[];
  /** Routes were left out: `maxRoutes` reached, or the last route of an incomplete reply dropped. */
  truncated: boolean;
}

const ROUTE_TYPES = new Set(["unicast", "blackhole", "unreachable", "prohibited"]);
/** `<net>  unicast [proto time( from addr)?] * (pref[/metric]) [AS64501i]`; the net is blank for a prefix's next routes. */
const ROUTE_HEADER =
  /^(\S+)?\s+([a-z]+)\s+\[(\S+)\s+([^\]]*?)(?:\s+from\s+(\S+))?\]\s*(\*)?\s*(?:\((\d{1,10})(?:\/[^)]*)?\))?\s*(?:\[([^\]]*)\])?\s*$/;
const MAX_LIST = 4096;
const MAX_ATTRS = 64;
const MAX_VALUE = 4096;

function u32(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 0xffffffff ? n : undefined;
}

/** `(64501,100) (65535,65281)` → pairs; anything malformed is left out. */
function parseCommunities(value: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const m of value.matchAll(/\((\d{1,5}),\s*(\d{1,5})\)/g)) {
    if (out.length >= MAX_LIST) break;
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (a <= 0xffff && b <= 0xffff) out.push([a, b]);
  }
  return out;
}

/** `(64501, 1, 2) (64500, 1000, 1)` → triples of 32-bit numbers. */
function parseLargeCommunities(value: string): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (const m of value.matchAll(/\((\d{1,10}),\s*(\d{1,10}),\s*(\d{1,10})\)/g)) {
    if (out.length >= MAX_LIST) break;
    const t = [u32(m[1]!), u32(m[2]!), u32(m[3]!)];
    if (t.every((n) => n !== undefined)) out.push(t as [number, number, number]);
  }
  return out;
}

/** `(rt, 64501, 1) (generic, 0x43000000, 0x1)` → each as printed. */
function parseExtendedCommunities(value: string): string[] {
  return [...value.matchAll(/\([^()]{1,100}\)/g)].slice(0, MAX_LIST).map((m) => m[0]);
}

/** Sequences, `{sets}`, `(confed sequences)` and `[confed sets]` alike: every ASN in order. */
function parseAsPath(value: string): number[] {
  const out: number[] = [];
  for (const m of value.matchAll(/\d+/g)) {
    if (out.length >= MAX_LIST) break;
    const n = u32(m[0]);
    if (n !== undefined) out.push(n);
  }
  return out;
}

function parseOrigin(value: string): BgpOrigin | undefined {
  return value === "IGP" || value === "EGP" || value === "Incomplete" ? value : undefined;
}

function applyAttribute(route: BirdRoute, key: string, value: string) {
  switch (key) {
    case "BGP.origin": {
      const origin = parseOrigin(value);
      if (origin) route.origin = origin;
      return;
    }
    case "BGP.as_path":
      route.asPathText = value.slice(0, MAX_VALUE);
      route.asPath = parseAsPath(value);
      return;
    case "BGP.next_hop":
      route.bgpNextHop = value.split(/\s+/).filter(Boolean).slice(0, 4);
      return;
    case "BGP.local_pref": {
      const n = u32(value);
      if (n !== undefined) route.localPref = n;
      return;
    }
    case "BGP.med": {
      const n = u32(value);
      if (n !== undefined) route.med = n;
      return;
    }
    case "BGP.community":
      route.communities = parseCommunities(value);
      return;
    case "BGP.large_community":
      route.largeCommunities = parseLargeCommunities(value);
      return;
    case "BGP.ext_community":
      route.extendedCommunities = parseExtendedCommunities(value);
      return;
    default:
      if (Object.keys(route.otherAttributes).length < MAX_ATTRS && !(key in route.otherAttributes))
        route.otherAttributes[key] = value.slice(0, MAX_VALUE);
  }
}

/**
 * `show route … all` listings (BIRD 2.0.12): a `Table <name>:` line per table, a header line
 * per route (code 1007; the prefix column blank for a prefix's further routes), its
 * `via` lines, a `Type:` line (1008) and `BGP.*` attributes (1012), each a tab-indented
 * continuation. Lines of no shape this knows are skipped, never guessed at.
 */
export function parseRoutes(reply: Reply, options: ParseRoutesOptions): ParsedRoutes {
  const maxRoutes = options.maxRoutes ?? Number.POSITIVE_INFINITY;
  const routes: BirdRoute[] = [];
  let truncated = false;
  let table = "";
  let prefix: string | undefined;
  let route: BirdRoute | undefined;
  for (const { code, text } of reply.lines) {
    if (code === ReplyCode.route) {
      const tableLine = /^Table (\S{1,64}):$/.exec(text.trim());
      if (tableLine) {
        table = tableLine[1]!;
        prefix = undefined;
        route = undefined;
        continue;
      }
      const via = /^\tvia (\S+)(?: on (\S+))?/.exec(text);
      if (via) {
        if (route && route.gateways.length < 16)
          route.gateways.push({ address: via[1]!, ...(via[2] ? { interface: via[2] } : {}) });
        continue;
      }
      const m = ROUTE_HEADER.exec(text);
      if (!m || !ROUTE_TYPES.has(m[2]!)) {
        // `\tdev eth0`, a multipath line or a format we do not know: not a new route.
        continue;
      }
      if (m[1]) prefix = m[1];
      if (prefix === undefined) {
        // A continuation route with no prefix before it (the listing began mid-way): skip it.
        route = undefined;
        continue;
      }
      if (routes.length >= maxRoutes) {
        truncated = true;
        route = undefined;
        break;
      }
      const origin = m[8] === undefined ? undefined : /^AS(\d{1,10})[ie?]$/.exec(m[8]);
      route = {
        table,
        prefix,
        type: m[2]!,
        protocol: m[3]!,
        from: m[5],
        primary: m[6] === "*",
        filtered: options.filtered,
        gateways: [],
        asPath: [],
        bgpNextHop: [],
        communities: [],
        largeCommunities: [],
        extendedCommunities: [],
        otherAttributes: {},
      };
      if (m[5] === undefined) delete route.from;
      if (m[4]) route.since = parseBirdTime(m[4], options.clock);
      if (m[7] !== undefined) route.preference = Number(m[7]);
      const originAs = origin ? u32(origin[1]!) : undefined;
      if (originAs !== undefined) route.originAs = originAs;
      routes.push(route);
      continue;
    }
    if (!route) continue;
    if (code === ReplyCode.routeType) {
      const t = /^\tType: (.*)$/.exec(text);
      if (t) route.sourceType = t[1]!.trim().slice(0, 64);
    } else if (code === ReplyCode.routeAttributes) {
      const a = /^\t([A-Za-z][A-Za-z0-9_.[\]-]{0,63}):\s?(.*)$/.exec(text);
      if (a) applyAttribute(route, a[1]!, a[2]!.trim());
    }
  }
  if (options.incomplete && !truncated && routes.length > 0) {
    routes.pop();
    truncated = true;
  } else if (options.incomplete) truncated = true;
  if (options.rsAsn !== undefined) {
    for (const r of routes) r.tags = decodeRouteServerTags(r.largeCommunities, options.rsAsn);
  }
  return { routes, truncated };
}
