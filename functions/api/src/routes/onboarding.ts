import { Hono } from "hono";
import type { AppEnv } from "../env.ts";

/** onboarding routes (mounted under /api/v1). */
export const onboardingRoutes = new Hono<AppEnv>();
