import { ORIGIN_SECRET_LINK } from "../functions/api/src/front.ts";
import type { Queues } from "./queue.ts";
import type { Secrets } from "./secrets.ts";
import type { Storage } from "./storage.ts";

export const API_HANDLER = "functions/api/src/lambda.handler";

// Each API function's origin secret, for the router in front of it (web.ts). Keyed by the
// function rather than held in a module variable, so two evaluations in one process (the
// infra tests) never share one.
const originSecrets = new WeakMap<sst.aws.Function, sst.Secret>();

/**
 * The Hono API behind a Lambda function URL; the router (web.ts) serves it under /api on the
 * site's domain. It enqueues jobs and reads/writes the table, and never touches the backups.
 *
 * The function URL is public (SST 4.17's Router puts origin access control only on routes a
 * Function declares itself, and it would make every POST carry a body hash), so the router
 * proves itself instead: it sends the stage's `ApiOriginSecret` in a header, and the API
 * answers nothing without it (functions/api/src/middleware/front.ts). Set it once per stage:
 * `npx sst secret set ApiOriginSecret "$(openssl rand -hex 32)" --stage <stage>`.
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
  originSecrets.set(api, originSecret);
  return { api };
}

/** The secret the router must present to `api` (created with it by `createApi`). */
export function originSecretOf(api: sst.aws.Function): sst.Secret {
  const secret = originSecrets.get(api);
  if (!secret) throw new Error("this API function was not created by createApi: it has no origin secret");
  return secret;
}
