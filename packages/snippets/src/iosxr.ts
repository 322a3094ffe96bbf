import { commented, examplePrefix, header, lines, sessionDescription, sessionsByFamily } from "./common.ts";
import { type Family, label, parseSnippetInput, type SnippetInput, type SnippetPlan, tag } from "./input.ts";

/** The prefix-set the member defines once: shared by every ZT-IX network it peers on. */
export function iosxrOwnPrefixSet(family: Family): string {
  return `ZTIX-OWN-${tag(family).toUpperCase()}`;
}

export function iosxrImportPolicy(plan: SnippetPlan): string {
  return `ZTIX-${plan.network.suffix}-RS-IN`;
}

export function iosxrExportPolicy(plan: SnippetPlan, family: Family): string {
  return `ZTIX-${plan.network.suffix}-RS-OUT-${tag(family).toUpperCase()}`;
}

/**
 * Cisco IOS-XR, in `show running-config` form for configuration mode (commit afterwards).
 * IOS-XR exchanges no routes with an eBGP neighbor that lacks an inbound and an outbound
 * route-policy, so both are always set.
 */
export function renderIosxrPlan(plan: SnippetPlan): string {
  const out = commented("!", [
    ...header(plan, "Cisco IOS-XR"),
    "",
    "FILL IN: define your own prefixes once. Until you do, the commit fails on the undefined",
    "prefix-set, so nothing is announced by mistake:",
    ...plan.families.flatMap((f) => [
      `  prefix-set ${iosxrOwnPrefixSet(f)}`,
      `    ${examplePrefix[f]}`,
      "  end-set",
    ]),
    "",
    "IOS-XR drops eBGP routes whose first AS is not the neighbor's, and the route servers never",
    "prepend theirs: `bgp enforce-first-as disable` turns the check off, for every eBGP neighbor",
    "of this router (IOS-XR has no per-neighbor form). There is no next-hop-self: your routes carry",
    "your peering address. IOS-XR has no outbound prefix limit: keep the prefix-sets under the",
    "route servers' limits above. IOS-XR sources each session from the interface facing the",
    "route server; add `update-source <your ZeroTier interface>` per neighbor to pin it.",
  ]);
  out.push(
    "!",
    `route-policy ${iosxrImportPolicy(plan)}`,
    "  # The route servers filter what they send: accept all of it.",
    "  pass",
    "end-policy",
  );
  for (const family of plan.families) {
    out.push(
      "!",
      `route-policy ${iosxrExportPolicy(plan, family)}`,
      `  # Only your own ${label(family)} prefixes; nothing learned from other peers goes back out.`,
      `  if destination in ${iosxrOwnPrefixSet(family)} then`,
      "    pass",
      "  else",
      "    drop",
      "  endif",
      "end-policy",
    );
  }
  out.push("!", `router bgp ${plan.member.asn}`, " bgp enforce-first-as disable");
  for (const family of plan.families) out.push(` address-family ${family} unicast`, " !");
  for (const { family, sessions } of sessionsByFamily(plan)) {
    for (const s of sessions) {
      out.push(
        ` neighbor ${s.neighbor}`,
        `  remote-as ${s.routeServer.asn}`,
        `  description ${sessionDescription(plan, s.routeServer.name, family)}`,
        ...(plan.password === undefined ? [] : [`  password clear ${plan.password}`]),
        `  address-family ${family} unicast`,
        `   route-policy ${iosxrImportPolicy(plan)} in`,
        `   route-policy ${iosxrExportPolicy(plan, family)} out`,
        "  !",
        " !",
      );
    }
  }
  out.push("!");
  return lines(out);
}

/** Cisco IOS-XR configuration for the member's side. */
export function renderIosxrSnippet(input: SnippetInput): string {
  return renderIosxrPlan(parseSnippetInput(input));
}
