import type { RouteServerPolicy } from "@ztix/core";
import { isIrrError, parseIrrTarget } from "@ztix/irr";
import { maxPrefixFromPeeringDb } from "@ztix/peeringdb";

/** What a member's PeeringDB record says that the route servers use. */
export interface PeeringDbFacts {
  prefixes4: number | null;
  prefixes6: number | null;
  /** Valid IRR names from `irr_as_set` (`AS-FOO`, `RIPE::AS-FOO`). */
  irrAsSets: string[];
  neverViaRouteServers: boolean;
}

/** An admin's override on one membership. */
export interface PolicyOverrides {
  maxPrefixV4?: number | undefined;
  maxPrefixV6?: number | undefined;
  irrAsSetOverride?: readonly string[] | undefined;
}

export type LimitSource = "override" | "peeringdb" | "default";

export interface ResolvedLimit {
  limit: number;
  source: LimitSource;
}

/** Where each family's receive limit comes from: override, PeeringDB figure + headroom, or the default. */
export function resolveMaxPrefix(
  policy: RouteServerPolicy,
  overrides: PolicyOverrides,
  facts: PeeringDbFacts | undefined,
): { ipv4: ResolvedLimit; ipv6: ResolvedLimit } {
  const mp = policy.max_prefix;
  const family = (
    override: number | undefined,
    count: number | null | undefined,
    floor: number,
    fallback: number,
  ) => {
    if (override !== undefined) return { limit: override, source: "override" as const };
    if (count) {
      return {
        limit: maxPrefixFromPeeringDb(count, { headroomPercent: mp.headroom_percent, floor }),
        source: "peeringdb" as const,
      };
    }
    return { limit: fallback, source: "default" as const };
  };
  return {
    ipv4: family(overrides.maxPrefixV4, facts?.prefixes4, mp.ipv4_floor, mp.ipv4_default),
    ipv6: family(overrides.maxPrefixV6, facts?.prefixes6, mp.ipv6_floor, mp.ipv6_default),
  };
}

/** Canonical names bgpq4 can expand; anything else is left out (PeeringDB text is free-form). */
function canonical(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    try {
      const target = parseIrrTarget(name);
      if (!out.includes(target.name)) out.push(target.name);
    } catch (e) {
      if (!isIrrError(e)) throw e;
    }
  }
  return out;
}

export type IrrTargetSource = "override" | "peeringdb" | "asn";

/**
 * The IRR objects a member's prefix lists are built from: the admin's override, else the
 * as-sets in its PeeringDB record, else its own ASN (its route objects), as arouteserver does.
 */
export function resolveIrrTargets(
  asn: number,
  overrides: PolicyOverrides,
  facts: PeeringDbFacts | undefined,
): { targets: string[]; source: IrrTargetSource } {
  const override = canonical(overrides.irrAsSetOverride ?? []);
  if (override.length > 0) return { targets: override, source: "override" };
  const fromPdb = canonical(facts?.irrAsSets ?? []);
  if (fromPdb.length > 0) return { targets: fromPdb, source: "peeringdb" };
  return { targets: [`AS${asn}`], source: "asn" };
}

/** The facts of a stored PeeringDB record (its `network` attribute), or undefined when there is none. */
export function peeringDbFacts(
  record: { found?: boolean; network?: unknown } | undefined,
): PeeringDbFacts | undefined {
  if (!record?.found || !record.network || typeof record.network !== "object") return undefined;
  const n = record.network as Partial<PeeringDbFacts>;
  return {
    prefixes4: typeof n.prefixes4 === "number" ? n.prefixes4 : null,
    prefixes6: typeof n.prefixes6 === "number" ? n.prefixes6 : null,
    irrAsSets: Array.isArray(n.irrAsSets)
      ? n.irrAsSets.filter((s): s is string => typeof s === "string")
      : [],
    neverViaRouteServers: n.neverViaRouteServers === true,
  };
}
