import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** Every entity is built per (client, table), so tests can give each suite its own table. */
export interface EntityConfig {
  client: DynamoDBDocumentClient;
  table: string;
}

export const service = "ztix";

/** Seconds since the epoch, the unit DynamoDB TTL expects. */
export const ttlAttribute = { type: "number", required: false } as const;

export const nowIso = () => new Date().toISOString();
