import { asnProblem, type RuntimeConfig } from "@ztix/core";
import {
  type DataService,
  isConditionFailure,
  peeringDbUserId,
  type UserAsnItem,
  type UserItem,
} from "@ztix/data";
import { z } from "zod";
import { cleanDisplayText, hasInvisibleCharacters } from "./display-text.ts";
import type { VerifiedSignIn } from "./oidc.ts";
import { LoginRefused } from "./refusal.ts";

/**
 * A name PeeringDB's users typed: stored and shown to admins, so control and bidi characters
 * are dropped here, at the boundary (empty after cleaning means "no name").
 */
const nameSchema = (max: number) =>
  z
    .string()
    .max(max)
    .transform((v) => cleanDisplayText(v) || undefined)
    .optional();

const networkSchema = z.object({
  id: z.number().int().optional(),
  asn: z.number().int(),
  name: nameSchema(512),
  perms: z.number().int().min(0),
});

/** The part of PeeringDB's userinfo (scopes profile, email, networks) we use. */
const profileSchema = z.object({
  id: z.number().int().positive().optional(),
  sub: z.union([z.string(), z.number()]).optional(),
  name: nameSchema(512),
  given_name: nameSchema(256),
  family_name: nameSchema(256),
  // An address with hidden characters is not one anybody can write to: drop it, do not repair it.
  email: z
    .string()
    .max(512)
    .transform((v) => (hasInvisibleCharacters(v) ? undefined : v.trim() || undefined))
    .optional(),
  verified_user: z.boolean().optional(),
  networks: z.array(networkSchema).default([]),
});
export type PeeringDbProfile = z.infer<typeof profileSchema>;

export interface EligibleNetwork {
  asn: number;
  name?: string;
  perms: number;
}

/**
 * Affiliations that allow more than reading (`perms & required_perms_mask`), with ASNs the
 * exchange accepts. A read-only affiliation does not let anyone request a port for that ASN.
 */
export function eligibleNetworks(profile: PeeringDbProfile, config: RuntimeConfig): EligibleNetwork[] {
  const policy = {
    allowPrivate: config.asn_policy.allow_private,
    allowDocumentation: config.asn_policy.allow_documentation,
  };
  const byAsn = new Map<number, EligibleNetwork>();
  for (const n of profile.networks) {
    if ((n.perms & config.auth.peeringdb.required_perms_mask) === 0) continue;
    if (asnProblem(n.asn, policy)) continue;
    const seen = byAsn.get(n.asn);
    byAsn.set(n.asn, { asn: n.asn, name: n.name ?? seen?.name, perms: (seen?.perms ?? 0) | n.perms });
  }
  return [...byAsn.values()].sort((a, b) => a.asn - b.asn);
}

/** Validates the userinfo and refuses unverified users and users with nothing to request for. */
export function checkProfile(signIn: VerifiedSignIn, config: RuntimeConfig) {
  const parsed = profileSchema.safeParse(signIn.userinfo);
  if (!parsed.success) {
    throw new LoginRefused("userinfo_failed", "the provider's profile is malformed", "userinfo_malformed");
  }
  const profile = parsed.data;
  const peeringdbId =
    profile.id ?? (/^\d{1,12}$/.test(signIn.idToken.sub) ? Number(signIn.idToken.sub) : undefined);
  if (!peeringdbId)
    throw new LoginRefused("userinfo_failed", "the provider's profile has no user id", "userinfo_no_id");
  const userId = peeringDbUserId(peeringdbId);
  if (profile.verified_user !== true) {
    throw new LoginRefused(
      "unverified_user",
      "your PeeringDB account is not verified yet; verify it at PeeringDB and sign in again",
      "unverified_user",
      {},
      userId,
    );
  }
  const networks = eligibleNetworks(profile, config);
  if (networks.length === 0) {
    throw new LoginRefused(
      "no_eligible_networks",
      "your PeeringDB account has no network affiliation with more than read access",
      "no_eligible_networks",
      { affiliations: profile.networks.length },
      userId,
    );
  }
  return { profile, peeringdbId, userId, networks };
}

export interface SyncResult {
  user: UserItem;
  created: boolean;
  addedAsns: number[];
  removedAsns: number[];
}

/**
 * Creates or refreshes the PeeringDB user and re-syncs its ASNs: affiliations PeeringDB no
 * longer reports are removed; ASNs granted by ops (`source: local`) are left alone. The
 * admin flag is never touched here: only ops (the users script) change it.
 */
export async function syncPeeringDbUser(
  data: DataService,
  checked: ReturnType<typeof checkProfile>,
  now: Date,
): Promise<SyncResult> {
  const { profile, peeringdbId, userId, networks } = checked;
  const at = now.toISOString();
  const fullName = [profile.given_name, profile.family_name].filter(Boolean).join(" ");
  const displayName = profile.name || fullName || `PeeringDB user ${peeringdbId}`;
  const fresh = { displayName, email: profile.email, peeringdbId, updatedAt: at, lastLoginAt: at };

  let existing = (await data.entities.user.get({ userId }).go({ consistent: true })).data;
  if (existing?.disabled) {
    throw new LoginRefused("account_disabled", "this account is disabled", "account_disabled", {}, userId);
  }
  let created = false;
  if (!existing) {
    const user: UserItem = {
      userId,
      ...fresh,
      source: "peeringdb",
      isAdmin: false,
      disabled: false,
      createdAt: at,
    };
    try {
      await data.entities.user.create(user).go();
      existing = user;
      created = true;
    } catch (e) {
      // A concurrent first login of the same person won the create; refresh that row instead.
      if (!isConditionFailure(e)) throw e;
    }
  }
  if (!created) {
    const out = await data.entities.user.patch({ userId }).set(fresh).go({ response: "all_new" });
    existing = out.data as UserItem;
  }

  const rows = (await data.entities.userAsn.query.byUser({ userId }).go({ pages: "all" })).data;
  const current = new Map(rows.map((r) => [r.asn, r]));
  const wanted = new Set(networks.map((n) => n.asn));
  const puts: UserAsnItem[] = networks
    .filter((n) => current.get(n.asn)?.source !== "local")
    .map((n) => ({
      userId,
      asn: n.asn,
      name: n.name,
      perms: n.perms,
      source: "peeringdb" as const,
      createdAt: current.get(n.asn)?.createdAt ?? at,
    }));
  const removed = rows.filter((r) => r.source === "peeringdb" && !wanted.has(r.asn));
  if (puts.length) {
    const out = await data.entities.userAsn.put(puts).go();
    if (out.unprocessed.length) throw new Error("could not store every ASN affiliation");
  }
  if (removed.length) {
    const out = await data.entities.userAsn.delete(removed.map((r) => ({ userId, asn: r.asn }))).go();
    if (out.unprocessed.length) throw new Error("could not remove every lost ASN affiliation");
  }
  return {
    user: existing!,
    created,
    addedAsns: networks.filter((n) => !current.has(n.asn)).map((n) => n.asn),
    removedAsns: removed.map((r) => r.asn),
  };
}
