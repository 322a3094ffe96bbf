import { type Reply, ReplyCode } from "./reply.ts";
import {
  BIRD_TIME_PATTERN,
  type BirdClock,
  type BirdTimestamp,
  parseBirdClock,
  parseBirdTime,
} from "./time.ts";

/** `show status`, as BIRD 2.0.12 prints it. */
export interface BirdStatus {
  version?: string;
  routerId?: string;
  hostname?: string;
  serverTime?: string;
  lastReboot?: string;
  lastReconfiguration?: string;
  /** The closing line's words: "Daemon is up and running", "… shutting down", … */
  daemon?: string;
  /** The box's clock, for dating every other timestamp of the same remote command. */
  clock?: BirdClock;
}

const clip = (s: string, n = 200) => s.trim().slice(0, n);

export function parseShowStatus(reply: Reply, observedAtMs: number): BirdStatus {
  const out: BirdStatus = {};
  for (const { code, text } of reply.lines) {
    if (code === ReplyCode.status) out.version = clip(text.replace(/^BIRD\s+/, ""), 40);
    else if (code === ReplyCode.statusDetail) {
      const t = text.trim();
      const field = (re: RegExp, max = 200) => {
        const m = re.exec(t);
        return m ? clip(m[1]!, max) : undefined;
      };
      const routerId = field(/^Router ID is (\S+)$/, 64);
      const hostname = field(/^Hostname is (.*)$/);
      const serverTime = field(/^Current server time is (.*)$/, 64);
      const lastReboot = field(/^Last reboot on (.*)$/, 64);
      const lastReconfiguration = field(/^Last reconfiguration on (.*)$/, 64);
      if (routerId !== undefined) out.routerId = routerId;
      if (hostname !== undefined) out.hostname = hostname;
      if (lastReboot !== undefined) out.lastReboot = lastReboot;
      if (lastReconfiguration !== undefined) out.lastReconfiguration = lastReconfiguration;
      if (serverTime !== undefined) {
        out.serverTime = serverTime;
        const clock = parseBirdClock(serverTime, observedAtMs);
        if (clock) out.clock = clock;
      }
    } else if (code < 1000 && code !== 0) out.daemon = clip(text);
  }
  return out;
}

/** BGP's session states (RFC 4271) and BIRD's two of its own: `Close` (going down) and `Down`. */
export const bgpStates = [
  "Idle",
  "Connect",
  "Active",
  "OpenSent",
  "OpenConfirm",
  "Established",
  "Close",
  "Down",
] as const;
export type BgpState = (typeof bgpStates)[number];

export interface RouteLimit {
  limit: number;
  /** BIRD printed `[HIT]`: the limit was reached and its action taken. */
  hit: boolean;
  action?: string;
}

export interface RouteCounters {
  imported: number;
  /** Only where BIRD keeps filtered routes (`import keep filtered`); absent otherwise. */
  filtered?: number;
  exported: number;
  preferred: number;
}

export interface ChannelStatus {
  /** `ipv4`, `ipv6`. */
  name: string;
  /** BIRD's channel state: `UP`, `DOWN`, `START`, `FLUSHING`. */
  state?: string;
  table?: string;
  routes?: RouteCounters;
  importLimit?: RouteLimit;
  receiveLimit?: RouteLimit;
  exportLimit?: RouteLimit;
}

export interface ProtocolStatus {
  name: string;
  /** BIRD's protocol type, `BGP`. */
  proto: string;
  /** BIRD's protocol state: `up`, `start`, `down`, `flush`. */
  state: string;
  /** When the protocol last changed state. */
  since?: BirdTimestamp;
  /** The row's info column: the BGP state, and the last error when there is one. */
  info: string;
  description?: string;
  /** `BGP state:` when it is one of `bgpStates`; `bgpStateText` keeps anything else. */
  bgpState?: BgpState;
  bgpStateText?: string;
  neighborAddress?: string;
  neighborAs?: number;
  localAs?: number;
  neighborId?: string;
  sourceAddress?: string;
  lastError?: string;
  channels: ChannelStatus[];
}

const ROW = new RegExp(String.raw`^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(${BIRD_TIME_PATTERN})(?:\s+(.*))?$`);
const KEY_VALUE = /^(\s*)([A-Za-z][A-Za-z0-9 .-]*?):(?:\s+(.*))?$/;
/** At most this many channels per protocol (BGP has one per address family it carries). */
const MAX_CHANNELS = 8;

function asn(text: string | undefined): number | undefined {
  if (!text || !/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 0xffffffff ? n : undefined;
}

/** `100`, `4 [HIT]`: the limit line's value. */
function parseLimit(value: string): RouteLimit | undefined {
  const m = /^(\d{1,10})(\s+\[HIT\])?$/.exec(value.trim());
  return m ? { limit: Number(m[1]), hit: m[2] !== undefined } : undefined;
}

/**
 * `1 imported, 2 filtered, 1 exported, 1 preferred`; BIRD leaves `filtered` out where it
 * does not keep filtered routes, so each count is read by its word, not its position.
 */
function parseCounters(value: string): RouteCounters | undefined {
  const counts = new Map<string, number>();
  for (const part of value.split(",")) {
    const m = /^\s*(\d{1,12}) ([a-z]+)\s*$/.exec(part);
    if (!m) return undefined;
    counts.set(m[2]!, Number(m[1]));
  }
  const imported = counts.get("imported");
  const exported = counts.get("exported");
  const preferred = counts.get("preferred");
  if (imported === undefined || exported === undefined || preferred === undefined) return undefined;
  const filtered = counts.get("filtered");
  return { imported, exported, preferred, ...(filtered === undefined ? {} : { filtered }) };
}

function protocolFromRow(text: string, clock: BirdClock | undefined): ProtocolStatus | undefined {
  const m = ROW.exec(text.trim());
  if (m) {
    return {
      name: m[1]!,
      proto: m[2]!,
      state: m[4]!,
      since: parseBirdTime(m[5]!, clock),
      info: clip(m[6] ?? "", 500),
      channels: [],
    };
  }
  // A time format we do not read: keep the columns we can be sure of.
  const cols = text.trim().split(/\s+/);
  if (cols.length < 4) return undefined;
  return { name: cols[0]!, proto: cols[1]!, state: cols[3]!, info: "", channels: [] };
}

/**
 * `show protocols all [<name>|"<pattern>"]`: one entry per protocol row (code 1002) with the
 * details (1006) that follow it. Only the lines this looking glass shows are read; BIRD's
 * capability lists, timers and update statistics are skipped.
 */
export function parseProtocolsAll(reply: Reply, clock?: BirdClock, maxProtocols = 1000): ProtocolStatus[] {
  const out: ProtocolStatus[] = [];
  let current: ProtocolStatus | undefined;
  let channel: ChannelStatus | undefined;
  let lastLimit: RouteLimit | undefined;
  for (const { code, text } of reply.lines) {
    if (code === ReplyCode.protocolRow) {
      if (out.length >= maxProtocols) break;
      current = protocolFromRow(text, clock);
      channel = undefined;
      lastLimit = undefined;
      if (current) out.push(current);
      continue;
    }
    if (code !== ReplyCode.protocolDetail || !current) continue;
    const channelHeader = /^\s*Channel (\S+)$/.exec(text);
    if (channelHeader) {
      lastLimit = undefined;
      if (current.channels.length >= MAX_CHANNELS) {
        channel = undefined;
        continue;
      }
      channel = { name: clip(channelHeader[1]!, 32) };
      current.channels.push(channel);
      continue;
    }
    const kv = KEY_VALUE.exec(text);
    if (!kv) continue;
    const key = kv[2]!;
    const value = (kv[3] ?? "").trim();
    if (channel) {
      switch (key) {
        case "State":
          channel.state = clip(value, 32);
          break;
        case "Table":
          channel.table = clip(value, 64);
          break;
        case "Routes": {
          const routes = parseCounters(value);
          if (routes) channel.routes = routes;
          break;
        }
        case "Import limit":
        case "Receive limit":
        case "Export limit": {
          lastLimit = parseLimit(value);
          if (!lastLimit) break;
          if (key === "Import limit") channel.importLimit = lastLimit;
          else if (key === "Receive limit") channel.receiveLimit = lastLimit;
          else channel.exportLimit = lastLimit;
          break;
        }
        case "Action":
          // Printed on the line after the limit it belongs to.
          if (lastLimit) lastLimit.action = clip(value, 32);
          break;
      }
      continue;
    }
    switch (key) {
      case "Description":
        current.description = clip(value);
        break;
      case "BGP state": {
        const state = bgpStates.find((s) => s === value);
        if (state) current.bgpState = state;
        else current.bgpStateText = clip(value, 64);
        break;
      }
      case "Neighbor address":
        current.neighborAddress = clip(value, 64);
        break;
      case "Neighbor AS": {
        const n = asn(value);
        if (n !== undefined) current.neighborAs = n;
        break;
      }
      case "Local AS": {
        const n = asn(value);
        if (n !== undefined) current.localAs = n;
        break;
      }
      case "Neighbor ID":
        current.neighborId = clip(value, 64);
        break;
      case "Source address":
        current.sourceAddress = clip(value, 64);
        break;
      case "Last error":
        current.lastError = clip(value, 500);
        break;
    }
  }
  return out;
}
