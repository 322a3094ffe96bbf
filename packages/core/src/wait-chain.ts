/**
 * Names of wait chains: the current chain of queued copies of a job is recorded on what the
 * job is for, and a copy whose chain is older than the recorded one ends. A token sorts by
 * when it was issued, so "older" is a string comparison, in code and in a DynamoDB condition:
 * a write that timed out yet reached the table later (a database that hung, then came back)
 * can then never replace a newer chain and strand the copy that chain sent.
 */
export function newWaitToken(now: Date): string {
  return `${now.toISOString()}~${crypto.randomUUID()}`;
}

/** Whether a copy carrying `own` was superseded by the chain `recorded` on its request. */
export function isOlderChain(own: string | undefined, recorded: string | undefined): boolean {
  return own !== undefined && recorded !== undefined && own < recorded;
}
