/**
 * Why a route was filtered, as Euro-IX large communities `(rs-asn, 1101, code)`, and the
 * RPKI state of accepted routes as `(rs-asn, 1000, code)`. Filtered routes are rejected
 * (never accepted-and-tagged into the shared table, where they could win best-path selection
 * and hide a valid alternative) but kept by BIRD as "filtered" with their reason attached
 * (`import keep filtered on`), so `birdc show route filtered all` explains every one.
 */
export const rejectReasons = {
  prefix_too_long: 1,
  prefix_too_short: 2,
  bogon_prefix: 3,
  bogon_asn_in_path: 4,
  as_path_too_long: 5,
  first_as_not_peer: 7,
  next_hop_not_peer: 8,
  rpki_invalid: 13,
  transit_free_asn_in_path: 14,
} as const;
export type RejectReason = keyof typeof rejectReasons;

export const REJECT_REASON_FUNCTION = 1101;
export const RPKI_INFO_FUNCTION = 1000;
export const rpkiInfo = { valid: 1, unknown: 2 } as const;
