import { AppError } from "@ztix/core";
import { requestIdSchema } from "./requests.ts";

/** The `{id}` of a request route; a malformed id names no request, so it is a 404. */
export function requestIdParam(id: string | undefined): string {
  const parsed = requestIdSchema.safeParse(id);
  if (!parsed.success) throw new AppError("not_found", "no such request", { request_id: id ?? null });
  return parsed.data.toLowerCase();
}

/** The `{id}` of a route-server route: its configured id; anything else names none (404). */
export function routeServerIdParam(id: string | undefined): string {
  if (!id || !/^[a-z][a-z0-9-]{0,31}$/.test(id)) {
    throw new AppError("not_found", "no such route server", { route_server_id: id ?? null });
  }
  return id;
}
