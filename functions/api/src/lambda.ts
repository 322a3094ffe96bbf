import { handle } from "hono/aws-lambda";
import { createApp } from "./app.ts";
import { depsFromEnvironment } from "./deps.ts";

// Built once per cold start; a bad runtime config fails here, loudly, before any request.
const app = createApp(depsFromEnvironment());

export const handler = handle(app);
