import { requireAdmin } from "$lib/guards.ts";
import { loadFailed } from "$lib/load-error.ts";
import { adminRequestDetail } from "../admin-api.ts";
import type { PageLoad } from "./$types";

export const load: PageLoad = async ({ parent, params, url }) => {
  requireAdmin((await parent()).me, url);
  try {
    return { request: await adminRequestDetail(params.id) };
  } catch (e) {
    loadFailed(e, url);
  }
};
