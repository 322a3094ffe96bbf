/** Where the AWS APIs live: the embedded local stack, LocalStack, or AWS itself. */
export type RuntimeMode = "local" | "localstack" | "aws";

export interface AwsEndpoints {
  mode: RuntimeMode;
  region: string;
  dynamodb?: string;
  sqs?: string;
  s3?: string;
  secretsmanager?: string;
}

/** The stage SST linked (`SST_RESOURCE_App`), as Lambda and `sst shell` provide it. */
function sstStage(env: NodeJS.ProcessEnv): string | undefined {
  try {
    const stage = (JSON.parse(env.SST_RESOURCE_App ?? "{}") as { stage?: unknown }).stage;
    return typeof stage === "string" ? stage : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the endpoints from the environment. `ZTIX_MODE` picks the backend; without it, a
 * Lambda or a non-local SST stage (`npx sst shell --stage X`) means AWS, anything else the
 * local stack. Per-service `ZTIX_<SERVICE>_ENDPOINT` variables override (the local launcher
 * sets them to the ports it chose).
 */
export function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsEndpoints {
  const stage = sstStage(env);
  const inferred: RuntimeMode =
    env.AWS_LAMBDA_FUNCTION_NAME || (stage && stage !== "local") ? "aws" : "local";
  const mode = (env.ZTIX_MODE as RuntimeMode | undefined) || inferred;
  if (!["local", "localstack", "aws"].includes(mode))
    throw new Error(`ZTIX_MODE must be local, localstack or aws`);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const shared = mode === "localstack" ? (env.LOCALSTACK_ENDPOINT ?? "http://localhost:4566") : undefined;
  return {
    mode,
    region,
    dynamodb: env.ZTIX_DYNAMODB_ENDPOINT ?? shared,
    sqs: env.ZTIX_SQS_ENDPOINT ?? shared,
    s3: env.ZTIX_S3_ENDPOINT ?? shared,
    secretsmanager: env.ZTIX_SECRETSMANAGER_ENDPOINT ?? shared,
  };
}
