import { api } from "$lib/api/index.ts";
import type { LayoutLoad } from "./$types";

// A pure client-side app: the static host serves index.html for every path.
export const ssr = false;
export const prerender = false;

/** Who is signed in, checked once per navigation tree; sign-in and sign-out invalidate "app:auth". */
export const load: LayoutLoad = async ({ depends }) => {
  depends("app:auth");
  return { me: await api.me() };
};
