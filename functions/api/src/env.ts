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
  /** What stands in front of the API; without it, nothing: the socket's peer is the client. */
  front?: Front;
}

/**
 * What stands between the client and the API, which decides whose word counts for the
 * client's address:
 * - `cloudfront` (the Lambda): only requests carrying the router's origin secret are served,
 *   and the address is the one the router wrote. The secret is read on first use.
 * - `direct` (the local server): the socket's peer, or what listed proxies forward.
 */
export type Front =
  | { kind: "cloudfront"; originSecret: () => string }
  | { kind: "direct"; trustedProxies: readonly string[] };

export interface Auth {
  user: UserItem;
  session: SessionItem;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    requestId: string;
    correlationId: string;
    /** The client's IP address as the front vouches for it (per-address throttling). */
    clientAddress: string;
    log: Logger;
    /** Set by the session middleware when a live session cookie came with the request. */
    auth?: Auth;
    /** The cookie value of that session (needed to delete it at logout). */
    sessionToken?: string;
    /** A session cookie came, but its session is over (expired, signed out, or user disabled). */
    sessionExpired?: boolean;
  };
}
