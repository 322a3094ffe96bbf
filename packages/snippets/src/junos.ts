import { commented, examplePrefix, header, lines, sessionDescription, sessionsByFamily } from "./common.ts";
import { type Family, label, parseSnippetInput, type SnippetInput, type SnippetPlan, tag } from "./input.ts";

/** The prefix list the member defines once: shared by every ZT-IX network it peers on. */
export function junosOwnPrefixList(family: Family): string {
  return `ZTIX-OWN-${tag(family).toUpperCase()}`;
}

export function junosGroupName(plan: SnippetPlan, family: Family): string {
  return `ZTIX-${plan.network.suffix}-RS-${tag(family).toUpperCase()}`;
}

export function junosImportPolicy(plan: SnippetPlan): string {
  return `ZTIX-${plan.network.suffix}-RS-IN`;
}

export function junosExportPolicy(plan: SnippetPlan, family: Family): string {
  return `ZTIX-${plan.network.suffix}-RS-OUT-${tag(family).toUpperCase()}`;
}

const junosFamily: Record<Family, string> = { ipv4: "inet", ipv6: "inet6" };

/**
 * Junos in `set` form, for `load set terminal` (which skips the `#` comment lines). The
 * `set` form has no nesting to get wrong and merges into an existing config statement by
 * statement.
 */
export function renderJunosPlan(plan: SnippetPlan): string {
  const out = commented("#", [
    ...header(plan, "Junos"),
    "",
    "FILL IN: define your own prefixes once (a prefix-list matches exactly the prefixes listed).",
    "Until you do, the commit fails on the undefined prefix-list, so nothing is announced by mistake:",
    ...plan.families.map(
      (f) => `  set policy-options prefix-list ${junosOwnPrefixList(f)} ${examplePrefix[f]}`,
    ),
    "",
    `This assumes \`routing-options autonomous-system ${plan.member.asn}\`.`,
    "Junos checks the first AS of a route only when enforce-first-as is configured: keep it off",
    "for these groups, since the route servers never prepend their ASN. The export policies do",
    "not set next-hop self: your routes carry your peering address. Junos has no outbound prefix",
    "limit: keep the prefix-lists under the route servers' limits above.",
  ]);
  const importPolicy = junosImportPolicy(plan);
  out.push(
    "",
    "# The route servers filter what they send: accept all of it.",
    `set policy-options policy-statement ${importPolicy} term accept-all then accept`,
  );
  for (const family of plan.families) {
    const policy = `set policy-options policy-statement ${junosExportPolicy(plan, family)}`;
    out.push(
      `# Only your own ${label(family)} prefixes; nothing learned from other peers goes back out.`,
      `${policy} term own from prefix-list ${junosOwnPrefixList(family)}`,
      `${policy} term own then accept`,
      `${policy} term rest then reject`,
    );
  }
  for (const { family, sessions } of sessionsByFamily(plan)) {
    const group = `set protocols bgp group ${junosGroupName(plan, family)}`;
    out.push(
      "",
      `${group} type external`,
      `${group} description "ZT-IX ${plan.network.suffix} route servers ${label(family)}"`,
      `${group} family ${junosFamily[family]} unicast`,
      `${group} local-address ${plan.member[family]!.address}`,
      `${group} import ${importPolicy}`,
      `${group} export ${junosExportPolicy(plan, family)}`,
      ...(plan.password === undefined ? [] : [`${group} authentication-key "${plan.password}"`]),
    );
    for (const s of sessions) {
      out.push(
        `${group} neighbor ${s.neighbor} description "${sessionDescription(plan, s.routeServer.name, family)}"`,
        `${group} neighbor ${s.neighbor} peer-as ${s.routeServer.asn}`,
      );
    }
  }
  return lines(out);
}

/** Junos `set` commands for the member's side. */
export function renderJunosSnippet(input: SnippetInput): string {
  return renderJunosPlan(parseSnippetInput(input));
}
