import { Hono } from "hono";
import type { AppEnv } from "../env.ts";

/** requests routes (mounted under /api/v1). */
export const requestsRoutes = new Hono<AppEnv>();
