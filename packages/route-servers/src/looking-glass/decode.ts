import {
  INFO_FUNCTION,
  type InfoCode,
  infoCodes,
  REJECT_REASON_FUNCTION,
  type RejectReason,
  rejectReasons,
} from "../render/reasons.ts";

/**
 * What the route server's own large communities on a route say, in words. The codes are the
 * policy's (`render/reasons.ts`); the sentences live here, one per code, typed by the policy's
 * own names, so a code added to the policy does not compile until it has a sentence.
 */
export const rejectReasonSentences: Record<RejectReason, string> = {
  prefix_too_long: "The prefix is more specific than the route server accepts for its address family.",
  prefix_too_short: "The prefix is less specific than the route server accepts for its address family.",
  bogon_prefix: "The prefix is a bogon: private, reserved or otherwise not routable on the Internet.",
  bogon_asn_in_path: "The AS path contains a private, reserved or otherwise unassignable ASN.",
  as_path_too_long: "The AS path is longer than the route server accepts.",
  first_as_not_peer: "The first AS in the path is not the member's own ASN.",
  next_hop_not_peer: "The next hop is not the member's own address on the peering LAN.",
  irr_not_registered: "The prefix is not covered by the member's IRR route objects.",
  rpki_invalid:
    "RPKI invalid: a ROA covers this prefix, but not for this origin AS or not at this prefix length.",
  transit_free_asn_in_path: "The AS path contains a transit-free network behind the member.",
  peering_lan_prefix: "The prefix is, or lies inside, a peering LAN of this exchange.",
  never_via_route_servers_asn_in_path:
    "The AS path contains a network that asks (in PeeringDB) never to be reached via route servers.",
  blackhole_outside_member_space:
    "A blackhole request for address space the member neither registered in the IRR nor holds a valid ROA for.",
};

export const infoSentences: Record<InfoCode, string> = {
  rpki_valid: "RPKI valid: a ROA covers the prefix for this origin AS and length.",
  rpki_unknown: "RPKI unknown: no ROA covers the prefix.",
  rpki_not_checked:
    "RPKI not checked: a blackhole request the member's IRR objects cover, more specific than its ROA allows.",
  irr_registered: "The member's IRR route objects cover the prefix.",
  irr_not_registered:
    "The member's IRR route objects do not cover the prefix; accepted because IRR filtering only tags.",
  irr_rpki_valid_stands_in:
    "The member's IRR route objects do not cover the prefix; accepted because it is RPKI valid.",
  irr_no_prefixes: "The member has no IRR prefixes in this address family.",
};

export type RpkiState = "valid" | "unknown" | "invalid" | "not_checked";

export interface DecodedReason {
  code: number;
  /** The policy's name for the reason; absent for a code this version does not know. */
  reason?: RejectReason;
  text: string;
}

export interface DecodedInfo {
  code: number;
  info?: InfoCode;
  text: string;
}

export interface RouteServerTags {
  /** Why the route was rejected, in the order the communities came (normally one). */
  reasons: DecodedReason[];
  /** What the route server noted about an accepted route (`(rs, 1000, code)`). */
  info: DecodedInfo[];
  /** From the RPKI info codes on accepted routes, or `invalid` from the RPKI reject reason. */
  rpki?: RpkiState;
}

const reasonByCode = new Map<number, RejectReason>(
  (Object.entries(rejectReasons) as Array<[RejectReason, number]>).map(([reason, code]) => [code, reason]),
);
const infoByCode = new Map<number, InfoCode>(
  (Object.entries(infoCodes) as Array<[InfoCode, number]>).map(([info, code]) => [code, info]),
);
const rpkiOfInfo: Partial<Record<InfoCode, RpkiState>> = {
  rpki_valid: "valid",
  rpki_unknown: "unknown",
  rpki_not_checked: "not_checked",
};

/** One reject-reason code in words; an unknown code still reads as one (a newer policy's). */
export function describeRejectReason(code: number): DecodedReason {
  const reason = reasonByCode.get(code);
  return reason
    ? { code, reason, text: rejectReasonSentences[reason] }
    : { code, text: `Rejected by the route server's policy (reason code ${code}).` };
}

export function describeInfo(code: number): DecodedInfo {
  const info = infoByCode.get(code);
  return info
    ? { code, info, text: infoSentences[info] }
    : { code, text: `Noted by the route server's policy (code ${code}).` };
}

/** The route server's tags among a route's large communities; others' communities are ignored. */
export function decodeRouteServerTags(
  largeCommunities: ReadonlyArray<readonly [number, number, number]>,
  rsAsn: number,
): RouteServerTags {
  const out: RouteServerTags = { reasons: [], info: [] };
  for (const [asn, fn, code] of largeCommunities) {
    if (asn !== rsAsn) continue;
    if (fn === REJECT_REASON_FUNCTION) {
      if (out.reasons.some((r) => r.code === code)) continue;
      out.reasons.push(describeRejectReason(code));
      if (code === rejectReasons.rpki_invalid) out.rpki = "invalid";
    } else if (fn === INFO_FUNCTION) {
      if (out.info.some((i) => i.code === code)) continue;
      const decoded = describeInfo(code);
      out.info.push(decoded);
      const rpki = decoded.info && rpkiOfInfo[decoded.info];
      // A reject reason of RPKI invalid outranks any info tag next to it.
      if (rpki && out.rpki !== "invalid") out.rpki ??= rpki;
    }
  }
  return out;
}
