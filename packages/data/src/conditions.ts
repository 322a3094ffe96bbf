import { AppError } from "@ztix/core";

type MaybeAwsError = {
  name?: string;
  message?: string;
  cause?: MaybeAwsError;
  CancellationReasons?: { Code?: string }[];
};

/** The reason codes of a cancelled transaction, wherever ElectroDB or the SDK put them. */
function cancellationCodes(e: MaybeAwsError | undefined): string[] | undefined {
  const reasons = e?.CancellationReasons ?? e?.cause?.CancellationReasons;
  if (reasons) return reasons.map((r) => r.Code ?? "None");
  // The SDK's message lists them: "... cancellation reasons for specific reasons [ConditionalCheckFailed, None]".
  const listed = /\[([A-Za-z, ]+)\]\s*$/.exec(e?.message ?? e?.cause?.message ?? "");
  return listed ? listed[1]!.split(",").map((c) => c.trim()) : undefined;
}

/**
 * Whether a DynamoDB write failed because its condition did not hold (a conditional put,
 * update or delete, or a transaction cancelled because one of its conditions failed). A
 * transaction cancelled for another reason (a conflicting transaction, throttling) is not a
 * failed condition: the write may well succeed when tried again (`TransientDataError`).
 */
export function isConditionFailure(e: unknown): boolean {
  const err = e as MaybeAwsError | undefined;
  const names = [err?.name, err?.cause?.name];
  if (names.includes("ConditionalCheckFailedException")) return true;
  if (names.includes("TransactionCanceledException")) {
    return cancellationCodes(err)?.includes("ConditionalCheckFailed") ?? false;
  }
  return /ConditionalCheckFailed|conditional request failed/i.test(err?.message ?? "");
}

/** A write DynamoDB refused for now (conflict, throttling): transient, try again shortly. */
export class TransientDataError extends AppError {
  readonly transient = true;
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("service_unavailable", message, details, 503);
    this.name = "TransientDataError";
  }
}

/**
 * The outcome of `data.transaction.write(...).go()`: ElectroDB returns a cancelled
 * transaction instead of throwing. Turns it into the error its reasons call for: a failed
 * condition (the caller's business), or a transient refusal.
 */
export function assertCommitted(result: { canceled: boolean; data?: { code?: string }[] }): void {
  if (!result.canceled) return;
  const codes = (result.data ?? []).map((d) => d.code ?? "None");
  if (codes.includes("ConditionalCheckFailed")) {
    throw Object.assign(new Error(`transaction cancelled [${codes.join(", ")}]`), {
      name: "TransactionCanceledException",
      CancellationReasons: codes.map((Code) => ({ Code })),
    });
  }
  throw new TransientDataError(`DynamoDB cancelled the transaction for now [${codes.join(", ")}]`, {
    reasons: codes,
  });
}

/** Rethrows a thrown transaction cancellation that was not a failed condition as transient. */
export function asTransientCancellation(e: unknown): unknown {
  const err = e as MaybeAwsError;
  if ([err?.name, err?.cause?.name].includes("TransactionCanceledException") && !isConditionFailure(e)) {
    return new TransientDataError(
      `DynamoDB cancelled the transaction for now [${cancellationCodes(err)?.join(", ") ?? "?"}]`,
    );
  }
  return e;
}
