import { commented, examplePrefix, header, lines, sessionDescription, sessionsByFamily } from "./common.ts";
import { type Family, label, parseSnippetInput, type SnippetInput, type SnippetPlan, tag } from "./input.ts";

/** The prefix set the member defines once: shared by every ZT-IX network it peers on. */
export function birdOwnPrefixSet(family: Family): string {
  return `ZTIX_OWN_${tag(family).toUpperCase()}`;
}

/** BIRD symbols take letters, digits and `_`: a route server's `-` becomes `_` (names have no `_`). */
export function birdProtocolName(plan: SnippetPlan, rsName: string, family: Family): string {
  return `ztix_${plan.network.suffix}_${rsName.replaceAll("-", "_")}_${tag(family)}`;
}

/**
 * `ztix_out_<suffix>_<family>`: protocols start `ztix_<suffix>_`, and 6 hex digits are never
 * `out`, so no route-server name can make a protocol that clashes with a filter.
 */
export function birdExportFilterName(plan: SnippetPlan, family: Family): string {
  return `ztix_out_${plan.network.suffix}_${tag(family)}`;
}

export function renderBirdPlan(plan: SnippetPlan): string {
  const out = commented("#", [
    ...header(plan, "BIRD 2"),
    "",
    "FILL IN: define your own prefixes once, anywhere in your config. Until you do, BIRD refuses",
    "this config, so nothing is announced by mistake. Add `+` to a prefix only if you announce",
    "more-specifics of it too:",
    ...plan.families.map((f) => `  define ${birdOwnPrefixSet(f)} = [ ${examplePrefix[f]} ];`),
    "",
    "Per session: BIRD's `enforce first as` is off by default and is written out, since the",
    "route servers never prepend their ASN. `next hop self off` keeps BIRD's eBGP default",
    "(your routes carry your peering address). `export limit ... action block` stops announcing",
    "at the route servers' limit instead of making them restart the session.",
  ]);
  for (const { family, sessions } of sessionsByFamily(plan)) {
    const filter = birdExportFilterName(plan, family);
    out.push(
      "",
      `# Only your own ${label(family)} prefixes; nothing learned from other peers goes back out.`,
      `filter ${filter} {`,
      `  if net ~ ${birdOwnPrefixSet(family)} then accept;`,
      "  reject;",
      "}",
    );
    const limit = plan.limits[family];
    for (const s of sessions) {
      out.push(
        "",
        `protocol bgp ${birdProtocolName(plan, s.routeServer.name, family)} {`,
        `  description "${sessionDescription(plan, s.routeServer.name, family)}";`,
        `  local ${s.local} as ${plan.member.asn};`,
        `  neighbor ${s.neighbor} as ${s.routeServer.asn};`,
        "  enforce first as off;",
        ...(plan.password === undefined ? [] : [`  password "${plan.password}";`]),
        `  ${family} {`,
        "    import all;",
        `    export filter ${filter};`,
        ...(limit === undefined ? [] : [`    export limit ${limit} action block;`]),
        "    next hop self off;",
        "  };",
        "}",
      );
    }
  }
  return lines(out);
}

/** BIRD 2 config for the member's side: paste into (or include from) bird.conf. */
export function renderBirdSnippet(input: SnippetInput): string {
  return renderBirdPlan(parseSnippetInput(input));
}
