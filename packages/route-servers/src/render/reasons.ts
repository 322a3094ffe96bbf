/**
 * Why a route was filtered, as large communities `(rs-asn, 1101, code)`, and what the route
 * server learnt about accepted routes, as `(rs-asn, 1000, code)`. Filtered routes are rejected
 * (never accepted-and-tagged into the shared table, where they could win best-path selection
 * and hide a valid alternative) but kept by BIRD as "filtered" with their reason attached
 * (`import keep filtered on`), so `birdc show route filtered all` explains every one.
 *
 * Codes 1–15 are IXP Manager's (the Euro-IX layout its looking glasses decode). IXP Manager
 * has no code for the peering LAN, never-via-route-servers ASNs or blackholing (arouteserver
 * has the first two, in its own numbering: 3 "prefix is in global blacklist", 15 "never via
 * route-servers ASN in AS_PATH"), so those take the next free numbers, 16–18.
 */
export const rejectReasons = {
  prefix_too_long: 1,
  prefix_too_short: 2,
  bogon_prefix: 3,
  bogon_asn_in_path: 4,
  as_path_too_long: 5,
  first_as_not_peer: 7,
  next_hop_not_peer: 8,
  /** IRR strict mode: the prefix is not covered by the member's route/route6 objects. */
  irr_not_registered: 9,
  rpki_invalid: 13,
  transit_free_asn_in_path: 14,
  /** The prefix is (inside) a peering LAN of a network this route server serves. */
  peering_lan_prefix: 16,
  /** The AS path holds an ASN whose PeeringDB record says `info_never_via_route_servers`. */
  never_via_route_servers_asn_in_path: 17,
  /** A BLACKHOLE request for space the member neither registered in the IRR nor holds a valid ROA for. */
  blackhole_outside_member_space: 18,
} as const;
export type RejectReason = keyof typeof rejectReasons;

export const REJECT_REASON_FUNCTION = 1101;
export const INFO_FUNCTION = 1000;
/** Kept for callers that only read the RPKI state: the same function as `INFO_FUNCTION`. */
export const RPKI_INFO_FUNCTION = INFO_FUNCTION;

/** `(rs-asn, 1000, code)` on accepted routes (IXP Manager's layout where it has one). */
export const infoCodes = {
  rpki_valid: 1,
  rpki_unknown: 2,
  /** A BLACKHOLE route whose origin the IRR vouched for while its ROA does not reach its length. */
  rpki_not_checked: 3,
  /** Covered by the member's IRR prefix list (exact or more specific). */
  irr_registered: 4,
  /** Not covered by the member's IRR prefix list; accepted because IRR mode is `tag`. */
  irr_not_registered: 7,
  /** Not covered by the member's IRR prefix list; accepted because it is RPKI valid. */
  irr_rpki_valid_stands_in: 8,
  /** The member has no IRR prefixes in this family (no list, or an empty one). */
  irr_no_prefixes: 9,
} as const;
export type InfoCode = keyof typeof infoCodes;

export const rpkiInfo = { valid: infoCodes.rpki_valid, unknown: infoCodes.rpki_unknown } as const;

/**
 * Each reject reason in words, for members: the policy page, the looking glass and
 * docs/route-server-policy.md (whose table a test checks against these).
 */
export const rejectReasonText: Readonly<Record<RejectReason, string>> = {
  prefix_too_long:
    "prefix longer than the policy accepts (a BLACKHOLE route: longer than the blackhole maximum)",
  prefix_too_short: "prefix shorter than the policy accepts",
  bogon_prefix: "bogon prefix: special-purpose or unallocated space (IPv6: also anything outside 2000::/3)",
  bogon_asn_in_path: "private, reserved or documentation ASN (or AS_TRANS) in the AS path",
  as_path_too_long: "AS path longer than the policy accepts",
  first_as_not_peer: "first AS in the path is not the member's ASN",
  next_hop_not_peer: "next hop is not the member's own peering address",
  irr_not_registered: "not covered by the member's IRR route/route6 objects (IRR mode strict)",
  rpki_invalid: "RPKI invalid: a ROA covers the prefix, but not with this origin or length",
  transit_free_asn_in_path: "a transit-free network's ASN behind the member in the AS path",
  peering_lan_prefix: "the exchange's own peering LAN, or a more specific of it",
  never_via_route_servers_asn_in_path: "an ASN that PeeringDB flags never-via-route-servers in the AS path",
  blackhole_outside_member_space:
    "BLACKHOLE request for space the member neither registered in the IRR nor holds a valid ROA for",
};

/** Each informational code in words (same readers as `rejectReasonText`). */
export const infoCodeText: Readonly<Record<InfoCode, string>> = {
  rpki_valid: "RPKI valid",
  rpki_unknown: "RPKI unknown: no ROA covers the prefix",
  rpki_not_checked:
    "RPKI not applied: a BLACKHOLE route that is RPKI invalid (typically a more specific beyond its ROA's max length), accepted on the member's IRR objects",
  irr_registered: "covered by the member's IRR route/route6 objects",
  irr_not_registered: "not covered by the member's IRR objects; accepted because IRR mode is tag",
  irr_rpki_valid_stands_in: "not covered by the member's IRR objects; accepted because it is RPKI valid",
  irr_no_prefixes: "the member has no IRR prefixes in this address family",
};
