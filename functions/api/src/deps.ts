import { isIP } from "node:net";
import {
  documentClient,
  dynamoClient,
  linkedResources,
  loadRuntimeConfig,
  secretStoreFor,
  secretsManagerClient,
  sqsClient,
} from "@ztix/aws";
import { createLogger, type RuntimeConfig } from "@ztix/core";
import { createService } from "@ztix/data";
import { Resource } from "sst/resource";
import { z } from "zod";
import type { AppDeps, Front } from "./env.ts";
import { ORIGIN_SECRET_LINK } from "./front.ts";

/**
 * Builds the app's dependencies from the environment: linked resources (SST or the local
 * launcher), runtime config (fails fast, naming the bad field), and AWS clients. Without a
 * `front`, the app answers clients directly (the local server): see `directFront`.
 */
export function depsFromEnvironment(overrides: { config?: RuntimeConfig; front?: Front } = {}): AppDeps {
  const resources = linkedResources();
  const config = overrides.config ?? loadRuntimeConfig();
  const dynamo = dynamoClient();
  return {
    config,
    dynamo,
    data: createService({ client: documentClient(dynamo), table: resources.tableName }),
    tableName: resources.tableName,
    sqs: sqsClient(),
    queueUrl: resources.queueUrl,
    secrets: secretStoreFor(resources.secrets, () => secretsManagerClient()),
    log: createLogger({ base: { service: "api", stage: resources.stage } }),
    now: () => new Date(),
    front: overrides.front ?? directFront(),
  };
}

const trustedProxiesSchema = z
  .string()
  .transform((v) =>
    v
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().refine((p) => isIP(p) !== 0, "is not an IP address")));

/**
 * No front: the socket's peer is the client. `ZTIX_TRUSTED_PROXIES` (comma-separated IP
 * addresses) names reverse proxies whose `X-Forwarded-For` is believed, for a dev server put
 * behind one; a bad value stops the process.
 */
export function directFront(env: NodeJS.ProcessEnv = process.env): Front {
  const raw = env.ZTIX_TRUSTED_PROXIES ?? "";
  const parsed = trustedProxiesSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `ZTIX_TRUSTED_PROXIES must list IP addresses, comma-separated (got ${JSON.stringify(raw)})`,
    );
  }
  return { kind: "direct", trustedProxies: parsed.data };
}

const originSecretLinkSchema = z.object({ value: z.string().min(32) });

/**
 * Behind the CloudFront router (the Lambda): the origin secret comes from its SST link, read
 * at the first request rather than at import (so importing the bundle needs no link), and
 * a missing or short one fails that request loudly instead of letting every caller in.
 */
export function cloudFrontFront(
  read: () => unknown = linkedOriginSecret,
): Extract<Front, { kind: "cloudfront" }> {
  let secret: string | undefined;
  return {
    kind: "cloudfront",
    originSecret() {
      if (secret === undefined) {
        const parsed = originSecretLinkSchema.safeParse(read());
        if (!parsed.success) {
          throw new Error(`the ${ORIGIN_SECRET_LINK} link is missing or shorter than 32 characters`);
        }
        secret = parsed.data.value;
      }
      return secret;
    },
  };
}

function linkedOriginSecret(): unknown {
  try {
    return (Resource as unknown as Record<string, unknown>)[ORIGIN_SECRET_LINK];
  } catch {
    // An unlinked name throws ("X is not linked"); the caller reports it.
    return undefined;
  }
}
