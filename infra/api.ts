import { ORIGIN_SECRET_LINK } from "../functions/api/src/front.ts";
import type { Queues } from "./queue.ts";
import type { Secrets } from "./secrets.ts";
import type { Storage } from "./storage.ts";

export const API_HANDLER = "functions/api/src/lambda.handler";

/**
 * The Hono API behind a Lambda function URL; the router (web.ts) serves it under /api on the
 * site's domain. It enqueues jobs and reads/writes the table, and never touches the backups.
 *
 * The function URL is public (SST 4.17's Router puts origin access control only on routes a
 * Function declares itself, and it would make every POST carry a body hash), so the router
 * proves itself instead: it sends the stage's `ApiOriginSecret` in a header, and the API
 * answers nothing without it (functions/api/src/middleware/front.ts). Set it once per stage:
 * `npx sst secret set ApiOriginSecret "$(openssl rand -hex 32)" --stage <stage>`. The secret is
 * returned with the function, for the router (web.ts) to present.
 */
export function createApi(options: {
  defaults: Partial<sst.aws.FunctionArgs>;
  storage: Storage;
  queues: Queues;
  secrets: Secrets;
}) {
  const originSecret = new sst.Secret(ORIGIN_SECRET_LINK);
  const api = new sst.aws.Function("Api", {
    ...options.defaults,
    handler: API_HANDLER,
    // Reached through the router on the site's own origin: no cross-origin access needed, so
    // no CORS (SST's default would allow any origin).
    url: { cors: false },
    // CloudFront gives an origin 30 s at most by default; fail before it does.
    timeout: "25 seconds",
    link: [options.storage.table, options.queues.queue, options.secrets.link, originSecret],
  });
  return { api, originSecret };
}
