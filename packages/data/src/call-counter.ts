import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

export interface CallCount {
  total: number;
  byCommand: Record<string, number>;
}

/**
 * Counts the DynamoDB commands a client sends, by name. Tests and the benchmark use it to
 * hold every route to a small constant number of calls and to prove no Scan is ever made.
 */
export function countDynamoCalls(client: DynamoDBClient) {
  const count: CallCount = { total: 0, byCommand: {} };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context as { commandName?: string }).commandName ?? "unknown";
      count.total += 1;
      count.byCommand[name] = (count.byCommand[name] ?? 0) + 1;
      return next(args);
    },
    { step: "initialize", name: "ztixCallCounter" },
  );
  return {
    count,
    reset() {
      count.total = 0;
      count.byCommand = {};
    },
    snapshot(): CallCount {
      return { total: count.total, byCommand: { ...count.byCommand } };
    },
  };
}
