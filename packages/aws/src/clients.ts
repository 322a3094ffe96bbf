import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type AwsEndpoints, endpointsFromEnv } from "./endpoints.ts";

// Emulators take any credentials (DynamoDB Local: letters and digits only); fixed fake ones
// keep the SDK from searching for real ones.
const emulatorCredentials = { accessKeyId: "ztixlocal", secretAccessKey: "ztixlocal" };

function base(endpoints: AwsEndpoints, endpoint: string | undefined) {
  const emulated = endpoints.mode !== "aws";
  return {
    region: endpoints.region,
    ...(endpoint ? { endpoint } : {}),
    ...(emulated ? { credentials: emulatorCredentials } : {}),
    maxAttempts: 3,
  };
}

/** One factory for every AWS client, so local, LocalStack and AWS differ only in endpoints. */
export function dynamoClient(endpoints: AwsEndpoints = endpointsFromEnv()): DynamoDBClient {
  return new DynamoDBClient(base(endpoints, endpoints.dynamodb));
}

export function documentClient(client: DynamoDBClient = dynamoClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function sqsClient(endpoints: AwsEndpoints = endpointsFromEnv()): SQSClient {
  // fauxqs and LocalStack hand out queue URLs on hosts that do not resolve: always use the endpoint.
  return new SQSClient({
    ...base(endpoints, endpoints.sqs),
    ...(endpoints.sqs ? { useQueueUrlAsEndpoint: false } : {}),
  });
}

export function s3Client(endpoints: AwsEndpoints = endpointsFromEnv()): S3Client {
  return new S3Client({ ...base(endpoints, endpoints.s3), forcePathStyle: endpoints.mode !== "aws" });
}

export function secretsManagerClient(endpoints: AwsEndpoints = endpointsFromEnv()): SecretsManagerClient {
  return new SecretsManagerClient(base(endpoints, endpoints.secretsmanager));
}
