import { describeError, finalStatuses, type RequestDetail } from "./api/index.ts";
import { poll } from "./poll.ts";

/**
 * Keeps a request fresh while it is not final: starts from the loaded value, polls with
 * backoff (see poll.ts), and restarts when the page navigates to another request.
 */
export function usePolledRequest(
  initial: () => RequestDetail,
  fetcher: (id: string) => Promise<RequestDetail>,
) {
  let current = $state(initial());
  let error = $state<string | null>(null);

  // A navigation to another id hands in new load data: adopt it.
  $effect.pre(() => {
    current = initial();
  });

  const fingerprint = (r: RequestDetail) =>
    JSON.stringify([r.status, r.updated_at, r.membership, r.route_servers, r.audit.length, r.last_error]);

  async function refresh(): Promise<"changed" | "unchanged"> {
    const next = await fetcher(current.request_id);
    error = null;
    const changed = fingerprint(next) !== fingerprint(current);
    current = next;
    return changed ? "changed" : "unchanged";
  }

  // Deriveds of primitives: the effect restarts the poller only when the id or finality changes,
  // not on every fetched copy (which would lose the backoff).
  const id = $derived(current.request_id);
  const final = $derived(finalStatuses.has(current.status));

  $effect(() => {
    if (final || !id) return;
    return poll(async () => {
      try {
        const outcome = await refresh();
        return finalStatuses.has(current.status) ? "stop" : outcome;
      } catch (e) {
        error = describeError(e);
        throw e;
      }
    });
  });

  return {
    get current() {
      return current;
    },
    get error() {
      return error;
    },
    refresh,
  };
}
