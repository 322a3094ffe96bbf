const conditionErrors = new Set(["ConditionalCheckFailedException", "TransactionCanceledException"]);

/**
 * Whether a DynamoDB write failed because its condition did not hold (a conditional put,
 * update or delete, or a transaction cancelled by one). ElectroDB wraps the SDK's error, so
 * the name may sit on the error, on its cause, or only in its message.
 */
export function isConditionFailure(e: unknown): boolean {
  const err = e as { name?: string; message?: string; cause?: { name?: string } } | undefined;
  return (
    conditionErrors.has(err?.name ?? "") ||
    conditionErrors.has(err?.cause?.name ?? "") ||
    /ConditionalCheckFailed|conditional request failed|transaction cancel/i.test(err?.message ?? "")
  );
}
