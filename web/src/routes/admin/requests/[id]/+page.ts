import { api } from "$lib/api/index.ts";
import { requireAdmin } from "$lib/guards.ts";
import { loadFailed } from "$lib/load-error.ts";
import type { PageLoad } from "./$types";

export const load: PageLoad = async ({ parent, params, url }) => {
  requireAdmin((await parent()).me, url);
  try {
    return { request: await api.adminRequest(params.id) };
  } catch (e) {
    loadFailed(e, url);
  }
};
