import { redirect } from "@sveltejs/kit";
import { api, describeError } from "$lib/api/index.ts";
import { safeNext } from "$lib/guards.ts";
import type { PageLoad } from "./$types";

export const load: PageLoad = async ({ parent, url }) => {
  const { me } = await parent();
  const next = safeNext(url.searchParams.get("next"));
  if (me) redirect(307, next ?? "/dashboard");
  try {
    return { methods: await api.methods(), methodsError: null, next };
  } catch (e) {
    // Still offer both ways in: the sign-in call itself will say what is wrong.
    return { methods: { local: true, peeringdb: true }, methodsError: describeError(e), next };
  }
};
