import { isIP } from "node:net";
import { canonicalIpv6 } from "@ztix/core";
import type { MemberUpdate, NetworkSettings, ZtMember, ZtNetwork } from "./types.ts";

/** Canonical text of an address, so `2001:db8::0:1` and `2001:db8::1` compare equal. */
function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? canonicalIpv6(ip) : ip;
}

function canonicalCidr(cidr: string): string {
  const [ip, len] = cidr.split("/");
  return `${canonicalIp(ip ?? "")}/${len}`;
}

const sortedJson = (items: unknown[]) => JSON.stringify(items.map((i) => JSON.stringify(i)).sort());

/** Names of the fields where the controller's network differs from the settings ZT-IX wants. */
export function compareNetwork(actual: ZtNetwork, wanted: NetworkSettings): string[] {
  const diff: string[] = [];
  if (actual.name !== wanted.name) diff.push("name");
  if (actual.private !== wanted.private) diff.push("private");
  if (actual.mtu !== wanted.mtu) diff.push("mtu");
  const pools = (n: NetworkSettings) =>
    sortedJson(n.ipAssignmentPools.map((p) => [canonicalIp(p.ipRangeStart), canonicalIp(p.ipRangeEnd)]));
  if (pools(actual) !== pools(wanted)) diff.push("ipAssignmentPools");
  const routes = (n: NetworkSettings) =>
    sortedJson(n.routes.map((r) => [canonicalCidr(r.target), r.via ? canonicalIp(r.via) : null]));
  if (routes(actual) !== routes(wanted)) diff.push("routes");
  if (actual.v4AssignMode.zt !== wanted.v4AssignMode.zt) diff.push("v4AssignMode");
  const v6 = (n: NetworkSettings) =>
    JSON.stringify([n.v6AssignMode.zt, n.v6AssignMode.rfc4193, n.v6AssignMode["6plane"]]);
  if (v6(actual) !== v6(wanted)) diff.push("v6AssignMode");
  return diff;
}

/** Names of the member fields the controller did not keep as written. */
export function compareMember(actual: ZtMember, wanted: MemberUpdate): string[] {
  const diff: string[] = [];
  if (actual.authorized !== wanted.authorized) diff.push("authorized");
  if (actual.name !== wanted.name) diff.push("name");
  const ips = (list: string[]) => JSON.stringify(list.map(canonicalIp).sort());
  if (ips(actual.ipAssignments) !== ips(wanted.ipAssignments)) diff.push("ipAssignments");
  return diff;
}
