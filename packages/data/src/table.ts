/**
 * The one DynamoDB table every entity lives in. Shared by the local bootstrap, the tests and
 * the SST infra so the physical key design has a single source.
 */
export const TTL_ATTRIBUTE = "ttl";

export const gsiNames = ["gsi1", "gsi2", "gsi3", "gsi4"] as const;
export type GsiName = (typeof gsiNames)[number];

export interface TableKeyDesign {
  partitionKey: string;
  sortKey: string;
  globalIndexes: { name: GsiName; partitionKey: string; sortKey: string }[];
  ttlAttribute: string;
}

export const tableKeyDesign: TableKeyDesign = {
  partitionKey: "pk",
  sortKey: "sk",
  globalIndexes: gsiNames.map((name) => ({ name, partitionKey: `${name}pk`, sortKey: `${name}sk` })),
  ttlAttribute: TTL_ATTRIBUTE,
};

/** CreateTable input for the design above (all keys are strings; GSIs project everything). */
export function createTableInput(tableName: string) {
  const d = tableKeyDesign;
  const keyNames = [
    d.partitionKey,
    d.sortKey,
    ...d.globalIndexes.flatMap((g) => [g.partitionKey, g.sortKey]),
  ];
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST" as const,
    AttributeDefinitions: keyNames.map((AttributeName) => ({ AttributeName, AttributeType: "S" as const })),
    KeySchema: [
      { AttributeName: d.partitionKey, KeyType: "HASH" as const },
      { AttributeName: d.sortKey, KeyType: "RANGE" as const },
    ],
    GlobalSecondaryIndexes: d.globalIndexes.map((g) => ({
      IndexName: g.name,
      KeySchema: [
        { AttributeName: g.partitionKey, KeyType: "HASH" as const },
        { AttributeName: g.sortKey, KeyType: "RANGE" as const },
      ],
      Projection: { ProjectionType: "ALL" as const },
    })),
  };
}
