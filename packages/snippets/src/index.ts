import { renderBirdPlan } from "./bird.ts";
import { renderFrrPlan } from "./frr.ts";
import { parseSnippetInput, type SnippetInput } from "./input.ts";
import { renderIosxrPlan } from "./iosxr.ts";
import { renderJunosPlan } from "./junos.ts";
import { renderRouterosPlan } from "./routeros.ts";

export * from "./bird.ts";
export * from "./frr.ts";
export * from "./input.ts";
export * from "./iosxr.ts";
export * from "./junos.ts";
export * from "./routeros.ts";

/** The member's side of its route-server sessions, one ready-to-paste text per platform. */
export interface Snippets {
  bird: string;
  frr: string;
  junos: string;
  iosxr: string;
  routeros: string;
}

export type Platform = keyof Snippets;
export const platforms: readonly Platform[] = ["bird", "frr", "junos", "iosxr", "routeros"];

/**
 * Every platform's snippet from one validated input (validated once). Pure and deterministic:
 * the same input, in any route-server order, gives the same bytes. Throws `validation_failed`.
 */
export function renderSnippets(input: SnippetInput): Snippets {
  const plan = parseSnippetInput(input);
  return {
    bird: renderBirdPlan(plan),
    frr: renderFrrPlan(plan),
    junos: renderJunosPlan(plan),
    iosxr: renderIosxrPlan(plan),
    routeros: renderRouterosPlan(plan),
  };
}
