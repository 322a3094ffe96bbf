import { randomBytes } from "node:crypto";
import { isIP } from "node:net";

export type Json = Record<string, unknown>;

/** A network as zerotier-one 1.14.1 creates it (every field the real one returns); revision 0 until saved. */
export function newNetwork(nwid: string, now: number): Json {
  return {
    authTokens: [null],
    authorizationEndpoint: "",
    capabilities: [],
    clientId: "",
    creationTime: now,
    dns: [],
    enableBroadcast: true,
    id: nwid,
    ipAssignmentPools: [],
    mtu: 2800,
    multicastLimit: 32,
    name: "",
    nwid,
    objtype: "network",
    private: true,
    remoteTraceLevel: 0,
    remoteTraceTarget: null,
    revision: 0,
    routes: [],
    rules: [{ not: false, or: false, type: "ACTION_ACCEPT" }],
    rulesSource: "",
    ssoEnabled: false,
    tags: [],
    v4AssignMode: { zt: false },
    v6AssignMode: { "6plane": false, rfc4193: false, zt: false },
  };
}

/**
 * A member as the real controller initialises it before applying the POST body: no `name`
 * key and no credential type until something sets them (measured with body `{}`).
 */
export function newMember(nwid: string, id: string, now: number): Json {
  return {
    activeBridge: false,
    address: id,
    authenticationExpiryTime: 0,
    authorized: false,
    capabilities: [],
    creationTime: now,
    id,
    ipAssignments: [],
    lastAuthorizedCredential: null,
    lastAuthorizedCredentialType: null,
    lastAuthorizedTime: 0,
    lastDeauthorizedTime: 0,
    noAutoAssignIps: false,
    nwid,
    objtype: "member",
    remoteTraceLevel: 0,
    remoteTraceTarget: null,
    revision: 0,
    ssoExempt: false,
    tags: [],
    vMajor: -1,
    vMinor: -1,
    vProto: -1,
    vRev: -1,
  };
}

export function randomSuffix(): string {
  return randomBytes(3).toString("hex");
}

/**
 * A body the controller's JSON library rejects mid-update (a non-string in `ipAssignments`):
 * the request answers 500 and nothing is saved.
 */
export class JsonTypeError extends Error {
  constructor(expected: string, value: unknown) {
    super(`[json.exception.type_error.302] type must be ${expected}, but is ${jsonTypeName(value)}`);
  }
}

function jsonTypeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return "object";
  return typeof value; // "boolean" | "number" | "string", as nlohmann::json names them
}

// The real controller reads every field through lenient converters instead of checking
// types, so wrong-type values are coerced rather than refused. These mirror what was measured
// ("false" → false, 5 → "5", "1500" → 1500); inputs that were not measured follow the same rules.

function asBool(value: unknown, fallback: boolean): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string") return /^[tT1]/.test(value);
  return fallback;
}

function asInt(value: unknown, fallback: number): number {
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === "string") {
    const digits = value.trim().match(/^\d+/);
    return digits ? Number(digits[0]) : 0;
  }
  if (typeof value === "boolean") return value ? 1 : 0;
  return fallback;
}

function asString(value: unknown, fallback: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) {
    // Printed as an unsigned 64-bit integer: 5 → "5", 5.7 → "5".
    return BigInt.asUintN(64, BigInt(Math.trunc(value))).toString();
  }
  if (typeof value === "boolean") return value ? "1" : "0";
  return fallback;
}

/**
 * An IP address in the controller's own text form, or null if the text is not one. IPv6 is
 * lower-cased and compressed (`2001:DB8:147:0::1` → `2001:db8:147::1`), as the controller
 * prints it after parsing. Written independently of the product's canonicalIpv6 on purpose:
 * a shared bug would make the emulator agree with the code it is meant to check.
 */
export function ipText(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const family = isIP(value);
  if (family === 4) return value;
  if (family !== 6) return null;
  try {
    // WHATWG URL serialises IPv6 hosts in the RFC 5952 form: lower case, longest zero run compressed.
    return new URL(`http://[${value}]/`).hostname.slice(1, -1);
  } catch {
    return null; // e.g. a zone id (fe80::1%eth0), which the controller has no use for
  }
}

function cidrText(value: unknown): { text: string; family: number } | null {
  if (typeof value !== "string") return null;
  const slash = value.indexOf("/");
  if (slash < 0) return null;
  const ip = ipText(value.slice(0, slash));
  const bitsText = value.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(bitsText)) return null;
  const family = isIP(ip);
  if (Number(bitsText) > (family === 4 ? 32 : 128)) return null;
  return { text: `${ip}/${Number(bitsText)}`, family };
}

function isObj(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const has = (body: Json, key: string) => Object.hasOwn(body, key);

/**
 * Applies a network POST body the way the real controller does: each known key present is
 * read through the lenient converters, invalid pools and routes are dropped one by one, and
 * unknown keys are ignored without an error.
 */
export function applyNetworkUpdate(network: Json, body: Json): void {
  if (has(body, "name")) network.name = asString(body.name, "");
  if (has(body, "private")) network.private = asBool(body.private, true);
  if (has(body, "enableBroadcast")) network.enableBroadcast = asBool(body.enableBroadcast, false);
  if (has(body, "mtu")) network.mtu = Math.min(Math.max(asInt(body.mtu, 2800), 1280), 10000);
  if (has(body, "multicastLimit")) network.multicastLimit = asInt(body.multicastLimit, 32);
  if (has(body, "remoteTraceLevel")) network.remoteTraceLevel = asInt(body.remoteTraceLevel, 0);
  if (has(body, "remoteTraceTarget")) network.remoteTraceTarget = traceTarget(body.remoteTraceTarget);
  if (Array.isArray(body.ipAssignmentPools)) {
    network.ipAssignmentPools = body.ipAssignmentPools.flatMap((p) => {
      if (!isObj(p) || !has(p, "ipRangeStart") || !has(p, "ipRangeEnd")) return [];
      const start = ipText(asString(p.ipRangeStart, ""));
      const end = ipText(asString(p.ipRangeEnd, ""));
      if (!start || !end || isIP(start) !== isIP(end)) return [];
      return [{ ipRangeStart: start, ipRangeEnd: end }];
    });
  }
  if (Array.isArray(body.routes)) {
    network.routes = body.routes.flatMap((r) => {
      if (!isObj(r)) return [];
      const target = cidrText(r.target);
      if (!target) return [];
      // A via that is not an address of the target's family is kept as null, not refused.
      const via = ipText(r.via);
      return [{ target: target.text, via: via && isIP(via) === target.family ? via : null }];
    });
  }
  if (has(body, "v4AssignMode")) {
    const mode = body.v4AssignMode;
    // The string form ("zt") is the controller's backward-compatible spelling.
    const zt = typeof mode === "string" ? mode === "zt" : isObj(mode) ? asBool(mode.zt, false) : false;
    network.v4AssignMode = { zt };
  }
  if (has(body, "v6AssignMode")) network.v6AssignMode = v6AssignMode(body.v6AssignMode);
  if (isObj(body.dns)) {
    network.dns = {
      domain: asString(body.dns.domain, ""),
      servers: Array.isArray(body.dns.servers) ? body.dns.servers.filter((s) => typeof s === "string") : [],
    };
  }
  for (const k of ["authTokens", "capabilities", "rules", "tags"])
    if (Array.isArray(body[k])) network[k] = body[k];
}

/** The object form replaces the whole mode: only the keys sent are kept (measured). */
function v6AssignMode(mode: unknown): Json {
  const keys = ["6plane", "rfc4193", "zt"];
  if (typeof mode === "string") {
    const listed = mode.split(",").map((s) => s.trim());
    return Object.fromEntries(keys.map((k) => [k, listed.includes(k)]));
  }
  if (isObj(mode))
    return Object.fromEntries(keys.filter((k) => has(mode, k)).map((k) => [k, asBool(mode[k], false)]));
  return Object.fromEntries(keys.map((k) => [k, false]));
}

function traceTarget(value: unknown): string | null {
  const text = asString(value, "");
  return text.length === 10 ? text : null;
}

/**
 * Applies a member POST body: the same lenient reading; IPs are normalised but not checked
 * against the pools. Throws JsonTypeError for a non-string in `ipAssignments`, before the
 * caller saves anything.
 */
export function applyMemberUpdate(member: Json, body: Json, now: number): void {
  if (has(body, "activeBridge")) member.activeBridge = asBool(body.activeBridge, false);
  if (has(body, "noAutoAssignIps")) member.noAutoAssignIps = asBool(body.noAutoAssignIps, false);
  if (has(body, "authenticationExpiryTime"))
    member.authenticationExpiryTime = asInt(body.authenticationExpiryTime, 0);
  if (has(body, "authenticationURL")) member.authenticationURL = asString(body.authenticationURL, "");
  if (has(body, "name")) member.name = asString(body.name, "");
  if (has(body, "remoteTraceTarget")) member.remoteTraceTarget = traceTarget(body.remoteTraceTarget);
  if (has(body, "remoteTraceLevel")) member.remoteTraceLevel = asInt(body.remoteTraceLevel, 0);
  if (has(body, "authorized")) {
    const authorized = asBool(body.authorized, false);
    // Only a change of state stamps the time (and the credential), so a re-POST changes nothing.
    if (authorized !== member.authorized) {
      member.authorized = authorized;
      if (authorized) {
        member.lastAuthorizedTime = now;
        member.lastAuthorizedCredentialType = "api";
        member.lastAuthorizedCredential = null;
      } else {
        member.lastDeauthorizedTime = now;
      }
    }
  }
  if (Array.isArray(body.ipAssignments)) {
    member.ipAssignments = body.ipAssignments.flatMap((ip) => {
      if (typeof ip !== "string") throw new JsonTypeError("string", ip);
      const text = ipText(ip);
      return text ? [text] : [];
    });
  }
  for (const k of ["tags", "capabilities"]) if (Array.isArray(body[k])) member[k] = body[k];
}
