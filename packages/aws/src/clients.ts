import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type AwsEndpoints, endpointsFromEnv } from "./endpoints.ts";

// Emulators take any credentials (DynamoDB Local: letters and digits only); fixed fake ones
// keep the SDK from searching for real ones.
const emulatorCredentials = { accessKeyId: "ztixlocal", secretAccessKey: "ztixlocal" };

/**
 * Time limits on every call: a dependency that is down fails fast instead of hanging a
 * request (a paused DynamoDB Local would otherwise hold every API call forever).
 * `requestTimeout` is socket inactivity, so a long poll must fit inside it.
 */
export const clientTimeouts = {
  dynamodb: { connectionTimeout: 2_000, requestTimeout: 3_000 },
  sqs: { connectionTimeout: 2_000, requestTimeout: 25_000 },
  s3: { connectionTimeout: 2_000, requestTimeout: 60_000 },
  secretsmanager: { connectionTimeout: 2_000, requestTimeout: 5_000 },
};

function base(
  endpoints: AwsEndpoints,
  endpoint: string | undefined,
  timeouts: { connectionTimeout: number; requestTimeout: number },
) {
  const emulated = endpoints.mode !== "aws";
  return {
    region: endpoints.region,
    ...(endpoint ? { endpoint } : {}),
    ...(emulated ? { credentials: emulatorCredentials } : {}),
    maxAttempts: 3,
    // Without throwOnRequestTimeout this SDK only warns when requestTimeout passes and waits on.
    requestHandler: { ...timeouts, throwOnRequestTimeout: true },
  };
}

/**
 * Marks what an SDK call threw as transient or not, where it is raised: throttling, a server
 * fault or no answer at all (refused, reset, timed out) may pass; a client fault (a failed
 * condition, a validation error) will not.
 */
export function markTransience(e: unknown): void {
  if (!e || typeof e !== "object") return;
  const err = e as {
    transient?: boolean;
    $fault?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    name?: string;
  };
  if (typeof err.transient === "boolean") return;
  const throttled = /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|TransactionConflict/.test(
    err.name ?? "",
  );
  const answered = err.$metadata?.httpStatusCode !== undefined;
  err.transient = err.$fault === "server" || !!err.$retryable || throttled || !answered;
}

function withTransience<T extends { middlewareStack: { add: (...args: never[]) => unknown } }>(client: T): T {
  (client.middlewareStack as unknown as { add: (mw: unknown, opts: unknown) => void }).add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (e) {
        markTransience(e);
        throw e;
      }
    },
    { step: "initialize", name: "ztixTransience", priority: "high" },
  );
  return client;
}

/** One factory for every AWS client, so local, LocalStack and AWS differ only in endpoints. */
export function dynamoClient(endpoints: AwsEndpoints = endpointsFromEnv()): DynamoDBClient {
  return withTransience(new DynamoDBClient(base(endpoints, endpoints.dynamodb, clientTimeouts.dynamodb)));
}

export function documentClient(client: DynamoDBClient = dynamoClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function sqsClient(endpoints: AwsEndpoints = endpointsFromEnv()): SQSClient {
  // fauxqs and LocalStack hand out queue URLs on hosts that do not resolve: always use the endpoint.
  return withTransience(
    new SQSClient({
      ...base(endpoints, endpoints.sqs, clientTimeouts.sqs),
      ...(endpoints.sqs ? { useQueueUrlAsEndpoint: false } : {}),
    }),
  );
}

export function s3Client(endpoints: AwsEndpoints = endpointsFromEnv()): S3Client {
  return withTransience(
    new S3Client({
      ...base(endpoints, endpoints.s3, clientTimeouts.s3),
      forcePathStyle: endpoints.mode !== "aws",
    }),
  );
}

export function secretsManagerClient(endpoints: AwsEndpoints = endpointsFromEnv()): SecretsManagerClient {
  return withTransience(
    new SecretsManagerClient(base(endpoints, endpoints.secretsmanager, clientTimeouts.secretsmanager)),
  );
}
