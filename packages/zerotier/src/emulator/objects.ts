import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import type { Json } from "./store.ts";

/** A network as zerotier-one 1.14.1 creates it (every field the real one returns). */
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
    lastAuthorizedCredentialType: "api",
    lastAuthorizedTime: 0,
    lastDeauthorizedTime: 0,
    name: "",
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

const isCidr = (v: unknown): boolean => {
  if (typeof v !== "string") return false;
  const [ip, len] = v.split("/");
  const family = isIP(ip ?? "");
  const n = Number(len);
  return family !== 0 && Number.isInteger(n) && n >= 0 && n <= (family === 4 ? 32 : 128);
};
const isAddr = (v: unknown): v is string => typeof v === "string" && isIP(v) !== 0;
const isBool = (v: unknown): v is boolean => typeof v === "boolean";
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * Applies a network POST body the way the real controller does: known keys of the right
 * shape are applied, invalid routes/pools are dropped one by one, everything else is ignored
 * without an error.
 */
export function applyNetworkUpdate(network: Json, body: Json): void {
  if (typeof body.name === "string") network.name = body.name.slice(0, 127);
  if (isBool(body.private)) network.private = body.private;
  if (isBool(body.enableBroadcast)) network.enableBroadcast = body.enableBroadcast;
  if (isNum(body.mtu) && body.mtu >= 1280 && body.mtu <= 10000) network.mtu = Math.trunc(body.mtu);
  if (isNum(body.multicastLimit) && body.multicastLimit >= 0)
    network.multicastLimit = Math.trunc(body.multicastLimit);
  if (isNum(body.remoteTraceLevel)) network.remoteTraceLevel = body.remoteTraceLevel;
  if (body.remoteTraceTarget === null || typeof body.remoteTraceTarget === "string") {
    network.remoteTraceTarget = body.remoteTraceTarget;
  }
  if (Array.isArray(body.ipAssignmentPools)) {
    network.ipAssignmentPools = body.ipAssignmentPools
      .filter((p): p is Json => typeof p === "object" && p !== null)
      .filter(
        (p) => isAddr(p.ipRangeStart) && isAddr(p.ipRangeEnd) && isIP(p.ipRangeStart) === isIP(p.ipRangeEnd),
      )
      .map((p) => ({ ipRangeStart: p.ipRangeStart, ipRangeEnd: p.ipRangeEnd }));
  }
  if (Array.isArray(body.routes)) {
    network.routes = body.routes
      .filter((r): r is Json => typeof r === "object" && r !== null)
      .filter((r) => isCidr(r.target) && (r.via === null || r.via === undefined || isAddr(r.via)))
      .map((r) => ({ target: r.target, via: r.via ?? null }));
  }
  if (isObj(body.v4AssignMode) && isBool(body.v4AssignMode.zt))
    network.v4AssignMode = { zt: body.v4AssignMode.zt };
  if (isObj(body.v6AssignMode)) {
    const current = network.v6AssignMode as Json;
    const next = { ...current };
    for (const k of ["6plane", "rfc4193", "zt"])
      if (isBool(body.v6AssignMode[k])) next[k] = body.v6AssignMode[k];
    network.v6AssignMode = next;
  }
  if (Array.isArray(body.dns) || isObj(body.dns)) network.dns = body.dns;
  for (const k of ["authTokens", "capabilities", "rules", "tags"])
    if (Array.isArray(body[k])) network[k] = body[k];
}

/** Applies a member POST body: same forgiving rules; IPs are not checked against the pools. */
export function applyMemberUpdate(member: Json, body: Json, now: number): void {
  if (isBool(body.authorized)) {
    if (body.authorized && !member.authorized) member.lastAuthorizedTime = now;
    if (!body.authorized && member.authorized) member.lastDeauthorizedTime = now;
    member.authorized = body.authorized;
  }
  if (Array.isArray(body.ipAssignments)) member.ipAssignments = body.ipAssignments.filter(isAddr);
  if (typeof body.name === "string") member.name = body.name;
  if (isBool(body.activeBridge)) member.activeBridge = body.activeBridge;
  if (isBool(body.noAutoAssignIps)) member.noAutoAssignIps = body.noAutoAssignIps;
  if (isNum(body.authenticationExpiryTime)) member.authenticationExpiryTime = body.authenticationExpiryTime;
  if (typeof body.authenticationURL === "string") member.authenticationURL = body.authenticationURL;
  if (isNum(body.remoteTraceLevel)) member.remoteTraceLevel = body.remoteTraceLevel;
  if (body.remoteTraceTarget === null || typeof body.remoteTraceTarget === "string") {
    member.remoteTraceTarget = body.remoteTraceTarget;
  }
  for (const k of ["tags", "capabilities"]) if (Array.isArray(body[k])) member[k] = body[k];
}

function isObj(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
