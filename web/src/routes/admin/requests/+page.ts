import { type AdminFilters, ApiError, api, describeError } from "$lib/api/index.ts";
import { requireAdmin } from "$lib/guards.ts";
import { loadFailed } from "$lib/load-error.ts";
import type { PageLoad } from "./$types";

const filterKeys = ["status", "asn", "zt_network_id", "min_age_minutes", "limit", "cursor"] as const;

/** Filters live in the URL so a filtered queue can be bookmarked, shared and reloaded. */
export const load: PageLoad = async ({ parent, url }) => {
  requireAdmin((await parent()).me, url);
  const filters: AdminFilters = {};
  for (const key of filterKeys) {
    const value = url.searchParams.get(key)?.trim();
    if (value) filters[key] = value;
  }
  try {
    return { filters, page: await api.adminRequests(filters), filterError: null };
  } catch (e) {
    // A filter the API cannot read (ASN "abc") is the user's typo: say so next to the form.
    if (e instanceof ApiError && e.code === "validation_failed") {
      return { filters, page: { items: [], next_cursor: null }, filterError: describeError(e) };
    }
    loadFailed(e, url);
  }
};
