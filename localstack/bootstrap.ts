/**
 * SDK bootstrap for LocalStack mode: waits for the endpoint, creates the table, the FIFO queue
 * with its FIFO DLQ and the bucket (the same `bootstrapResources` the embedded stack uses),
 * then mirrors the local secrets file into Secrets Manager under `ztix/local/`, where the dev
 * launcher's LocalStack mode reads them. Idempotent: run it as often as you like.
 *
 *   ZTIX_MODE=localstack LOCALSTACK_ENDPOINT=http://localhost:4566 npx tsx localstack/bootstrap.ts
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  type AwsEndpoints,
  dynamoClient,
  endpointsFromEnv,
  s3Client,
  secretsManagerClient,
  sqsClient,
} from "@ztix/aws";
import { createLogger, parseRuntimeConfig } from "@ztix/core";
import { bootstrapResources, defaultResourceNames, type ResourceNames } from "@ztix/local-stack";
import { defaultPorts, ensureLocalFiles } from "../functions/scripts/src/dev/local-files.ts";
import { secretNamesOf } from "../infra/config.ts";

/** The dev launcher's LocalStack mode reads secrets under this prefix. */
export const LOCALSTACK_SECRET_PREFIX = "ztix/local/";

const log = createLogger({ base: { service: "localstack-bootstrap" } });

export interface LocalStackBootstrap {
  queueUrl: string;
  dlqUrl: string;
  names: ResourceNames;
  /** Secrets created or updated from the local secrets file. */
  secretsWritten: string[];
  /** Secrets the config names that have no local value yet (created empty). */
  secretsMissing: string[];
}

const notFound = (e: unknown) => (e as { name?: string }).name === "ResourceNotFoundException";

/** Polls until the endpoint answers an SDK call (LocalStack takes a few seconds to start). */
async function waitForEndpoint(client: SecretsManagerClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.send(new GetSecretValueCommand({ SecretId: `${LOCALSTACK_SECRET_PREFIX}__probe__` }));
      return;
    } catch (e) {
      if (notFound(e)) return;
      if (Date.now() > deadline) throw new Error(`the endpoint did not answer: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Creates the secret or updates a differing value; `undefined` creates it empty. True if written. */
async function putSecret(
  client: SecretsManagerClient,
  id: string,
  value: string | undefined,
): Promise<boolean> {
  const exists = await client.send(new DescribeSecretCommand({ SecretId: id })).then(
    () => true,
    (e) => {
      if (notFound(e)) return false;
      throw e;
    },
  );
  if (!exists) {
    await client.send(
      new CreateSecretCommand({ Name: id, ...(value === undefined ? {} : { SecretString: value }) }),
    );
    return value !== undefined;
  }
  if (value === undefined) return false;
  const current = await client.send(new GetSecretValueCommand({ SecretId: id })).then(
    (out) => out.SecretString,
    (e) => {
      if (notFound(e)) return undefined; // exists without a value yet
      throw e;
    },
  );
  if (current === value) return false;
  await client.send(new PutSecretValueCommand({ SecretId: id, SecretString: value }));
  return true;
}

export async function bootstrapLocalStack(
  options: { endpoints?: AwsEndpoints; root?: string; names?: ResourceNames; timeoutMs?: number } = {},
): Promise<LocalStackBootstrap> {
  const endpoints = options.endpoints ?? endpointsFromEnv();
  if (endpoints.mode !== "localstack") throw new Error("set ZTIX_MODE=localstack (and LOCALSTACK_ENDPOINT)");
  const root = resolve(options.root ?? ".");
  const names = options.names ?? defaultResourceNames;
  const secretsClient = secretsManagerClient(endpoints);
  await waitForEndpoint(secretsClient, options.timeoutMs ?? 60_000);

  const created = await bootstrapResources(
    { dynamo: dynamoClient(endpoints), sqs: sqsClient(endpoints), s3: s3Client(endpoints) },
    names,
  );

  // The same files `npm run dev` uses: .ztix/secrets.json and the runtime config.
  const files = ensureLocalFiles(join(root, ".ztix"), defaultPorts);
  const config = parseRuntimeConfig(readFileSync(files.configPath, "utf8"), files.configPath);
  const wanted = [...new Set([...secretNamesOf(config), ...Object.keys(files.secrets)])].sort();
  const secretsWritten: string[] = [];
  const secretsMissing: string[] = [];
  for (const name of wanted) {
    const value = files.secrets[name];
    if (value === undefined) secretsMissing.push(name);
    if (await putSecret(secretsClient, `${LOCALSTACK_SECRET_PREFIX}${name}`, value))
      secretsWritten.push(name);
  }
  return { queueUrl: created.queueUrl, dlqUrl: created.dlqUrl, names, secretsWritten, secretsMissing };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  process.env.ZTIX_MODE ??= "localstack";
  const result = await bootstrapLocalStack().catch((e: Error) => {
    log.error("localstack bootstrap failed", { error: e.message });
    process.exit(1);
  });
  log.info("localstack ready", {
    table: result.names.tableName,
    queueUrl: result.queueUrl,
    dlqUrl: result.dlqUrl,
    bucket: result.names.bucketName,
    secretsWritten: result.secretsWritten,
    secretsMissing: result.secretsMissing,
  });
}
