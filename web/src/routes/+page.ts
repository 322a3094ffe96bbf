import { redirect } from "@sveltejs/kit";
import type { PageLoad } from "./$types";

/** The root just sends people where they belong. */
export const load: PageLoad = async ({ parent }) => {
  const { me } = await parent();
  redirect(307, me ? (me.is_admin ? "/admin/requests" : "/dashboard") : "/login");
};
