import { api } from "$lib/api/index.ts";
import { requireUser } from "$lib/guards.ts";
import { loadFailed } from "$lib/load-error.ts";
import type { PageLoad } from "./$types";

export const load: PageLoad = async ({ parent, url }) => {
  requireUser((await parent()).me, url);
  try {
    return { context: await api.onboarding() };
  } catch (e) {
    loadFailed(e, url);
  }
};
