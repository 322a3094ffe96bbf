import { handle } from "hono/aws-lambda";
import { createApp } from "./app.ts";
import { cloudFrontFront, depsFromEnvironment } from "./deps.ts";

// Built once per cold start; a bad runtime config fails here, loudly, before any request.
// The function URL is public: only requests through the CloudFront router are served.
const app = createApp(depsFromEnvironment({ front: cloudFrontFront() }));

export const handler = handle(app);
