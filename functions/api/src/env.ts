import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SecretStore } from "@ztix/aws";
import type { Logger, RuntimeConfig } from "@ztix/core";
import type { DataService, SessionItem, UserItem } from "@ztix/data";

/** A backend's state as /health reports it. */
export interface BackendHealth {
  ok: boolean;
  detail?: string;
  latency_ms?: number;
}

/** Everything a handler may touch. Built once per process (Lambda cold start, dev server, test). */
export interface AppDeps {
  config: RuntimeConfig;
  data: DataService;
  tableName: string;
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  queueUrl: string;
  secrets: SecretStore;
  log: Logger;
  now: () => Date;
  /** Extra health probes (queue, controller, ...) the runtime adds. */
  healthProbes?: Record<string, () => Promise<BackendHealth>>;
}

export interface Auth {
  user: UserItem;
  session: SessionItem;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    requestId: string;
    correlationId: string;
    log: Logger;
    /** Set by the session middleware when a live session cookie came with the request. */
    auth?: Auth;
    /** The cookie value of that session (needed to delete it at logout). */
    sessionToken?: string;
    /** A session cookie came, but its session is over (expired, signed out, or user disabled). */
    sessionExpired?: boolean;
  };
}
