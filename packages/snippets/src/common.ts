import { type Family, label, type SnippetPlan } from "./input.ts";

/** Joins lines with a trailing newline: the one place output line endings are decided. */
export function lines(parts: readonly string[]): string {
  return `${parts.join("\n")}\n`;
}

/** Prefixes each line with a platform's comment marker (a bare marker for a blank line). */
export function commented(marker: string, text: readonly string[]): string[] {
  return text.map((t) => (t === "" ? marker : `${marker} ${t}`));
}

/**
 * Documentation prefixes (RFC 5737, RFC 3849) in the FILL IN examples: a member who pastes an
 * example unedited announces something every route server drops, never someone else's space.
 */
export const examplePrefix: Record<Family, string> = { ipv4: "198.51.100.0/24", ipv6: "2001:db8:1000::/36" };

/** The route server's name in descriptions, with the network it belongs to. */
export function sessionDescription(plan: SnippetPlan, rsName: string, family: Family): string {
  return `ZT-IX ${plan.network.suffix} ${rsName} ${label(family)}`;
}

/** What the route servers do with more prefixes than their limit, for each family with sessions. */
export function limitSentences(plan: SnippetPlan): string[] {
  return plan.families.map((family) => {
    const limit = plan.limits[family];
    return limit === undefined
      ? `${label(family)}: the route servers apply the exchange's default limit to what you announce.`
      : `${label(family)}: the route servers accept at most ${limit} prefixes from you and restart the session above that.`;
  });
}

/**
 * The facts every platform's snippet starts with, as plain sentences (each renderer adds its
 * comment marker). Only validated values appear: the network's name, a comment-safe string,
 * is the one piece of free text.
 */
export function header(plan: SnippetPlan, platform: string): string[] {
  const { member, network } = plan;
  const addresses = plan.families.map((f) => member[f]!.cidr).join(" and ");
  const servers = plan.routeServers.map((rs) => {
    const ips = plan.families.map((f) => rs[f]).filter((ip) => ip !== undefined);
    return `  ${rs.name} AS${rs.asn}: ${ips.join(", ")}`;
  });
  return [
    `ZT-IX route-server sessions for AS${member.asn} on "${network.name}" (network ${network.id}), ${platform}.`,
    "Review it and complete every FILL IN before pasting it into your router's config.",
    `Your peering address${plan.families.length > 1 ? "es" : ""} on this network's ZeroTier interface: ${addresses}.`,
    "Route servers (one session per route server and address family):",
    ...servers,
    "The route servers are transparent (RFC 7947): they do not put their ASN in the AS path and",
    "do not change the next hop, so a route arrives with the member that sent it as first AS and",
    "next hop. They filter what they send you, so everything they send is accepted here.",
    "You announce only your own prefixes, with your own peering address as next hop.",
    ...limitSentences(plan),
  ];
}

/** The families present, each with the sessions in it (already in render order). */
export function sessionsByFamily(plan: SnippetPlan) {
  return plan.families.map((family) => ({
    family,
    sessions: plan.sessions.filter((s) => s.family === family),
  }));
}
