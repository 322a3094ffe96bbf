import { Hono } from "hono";
import type { AppEnv } from "../env.ts";

/** auth routes (mounted under /api/v1). */
export const authRoutes = new Hono<AppEnv>();
