import { type DataService, isConditionFailure } from "@ztix/data";

type WriteBuilder = Parameters<DataService["transaction"]["write"]>[0];
/** The entities as a transaction builder receives them. */
export type TransactEntities = Parameters<WriteBuilder>[0];
/** One item of a transaction, as the builder returns it. */
export type TransactItem = ReturnType<WriteBuilder>[number];

/**
 * The outcome of one TransactWrite: committed, or cancelled with DynamoDB's reason per item
 * in the order they were given ("None", "ConditionalCheckFailed", "TransactionConflict", …).
 * A cancellation whose reasons DynamoDB did not return has an empty list.
 */
export type TransactOutcome = { ok: true } | { ok: false; reasons: string[] };

export async function transact(data: DataService, build: WriteBuilder): Promise<TransactOutcome> {
  try {
    const out = await data.transaction.write(build).go();
    if (!out.canceled) return { ok: true };
    const reasons = out.data as Array<{ code?: string } | null>;
    return { ok: false, reasons: reasons.map((r) => r?.code ?? "None") };
  } catch (e) {
    // A conflicting concurrent transaction is contention, not a failure: the caller re-reads.
    if (isConditionFailure(e) || /TransactionConflict/i.test((e as Error).message ?? "")) {
      return { ok: false, reasons: [] };
    }
    throw e;
  }
}

/** Whether item `i` of a cancelled transaction failed its own condition. */
export function failedCondition(outcome: TransactOutcome, i: number): boolean {
  return !outcome.ok && outcome.reasons[i] === "ConditionalCheckFailed";
}

/** Whether item `i` of a cancelled transaction passed (so another item caused the cancel). */
export function passed(outcome: TransactOutcome, i: number): boolean {
  return !outcome.ok && outcome.reasons[i] === "None";
}

/**
 * A short random pause after losing a race, growing with the attempt, so a burst of
 * concurrent jobs spreads out instead of colliding on every round.
 */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(100, 5 * 2 ** Math.min(attempt, 5));
  return new Promise((resolve) => setTimeout(resolve, ms));
}
