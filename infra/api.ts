import type { Queues } from "./queue.ts";
import type { Secrets } from "./secrets.ts";
import type { Storage } from "./storage.ts";

export const API_HANDLER = "functions/api/src/lambda.handler";

/**
 * The Hono API behind a Lambda function URL; the router (web.ts) serves it under /api on the
 * site's domain. It enqueues jobs and reads/writes the table, and never touches the backups.
 */
export function createApi(options: {
  defaults: Partial<sst.aws.FunctionArgs>;
  storage: Storage;
  queues: Queues;
  secrets: Secrets;
}) {
  const api = new sst.aws.Function("Api", {
    ...options.defaults,
    handler: API_HANDLER,
    // Reached through the router on the site's own origin: no cross-origin access needed, so
    // no CORS (SST's default would allow any origin).
    url: { cors: false },
    // CloudFront gives an origin 30 s at most by default; fail before it does.
    timeout: "25 seconds",
    link: [options.storage.table, options.queues.queue, options.secrets.link],
  });
  return { api };
}
