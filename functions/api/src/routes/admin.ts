import { Hono } from "hono";
import type { AppEnv } from "../env.ts";

/** admin routes (mounted under /api/v1). */
export const adminRoutes = new Hono<AppEnv>();
