import { api } from "$lib/api/index.ts";
import { requireAdmin } from "$lib/guards.ts";
import { loadFailed } from "$lib/load-error.ts";
import type { PageLoad } from "./$types";

export const load: PageLoad = async ({ parent, url }) => {
  requireAdmin((await parent()).me, url);
  try {
    return { routeServers: await api.routeServers() };
  } catch (e) {
    loadFailed(e, url);
  }
};
