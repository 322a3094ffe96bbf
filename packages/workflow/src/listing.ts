import type { JoinRequestItem } from "@ztix/data";
import { type Position, positionKey } from "./cursor.ts";

export type SortOrder = "asc" | "desc";

/** One page of a listing sorted by (createdAt, requestId). */
export interface PageSpec {
  order: SortOrder;
  limit: number;
  /** Return only items strictly after this position (in `order`). */
  after?: Position;
  /** Return only items created at or before this instant (ISO). */
  createdAtMost?: string;
}

type SortKey = { createdAt: string; requestId?: string };
type GoOptions = { limit?: number; count?: number; pages?: number | "all"; order?: SortOrder };
/** An ElectroDB `where` callback (attributes, operations) → FilterExpression. */
// biome-ignore lint/suspicious/noExplicitAny: ElectroDB's attribute/operation types are per entity.
export type WhereFilter = (attr: any, op: any) => string;
interface Runnable {
  go(options: GoOptions): Promise<{ data: JoinRequestItem[] }>;
  where(filter: WhereFilter): Runnable;
}
/**
 * The slice of an ElectroDB query chain on a (createdAt, requestId) sort key that listings
 * use. ElectroDB's own chain types are too generic to name per index, so callers cast to this.
 */
export interface RangeQuery extends Runnable {
  lt(key: SortKey): Runnable;
  lte(key: SortKey): Runnable;
  gt(key: SortKey): Runnable;
  between(start: SortKey, end: SortKey): Runnable;
}

/** Narrows the sort key to the page's range, so DynamoDB reads only items the page may use. */
function ranged(query: RangeQuery, spec: PageSpec): Runnable {
  const { after, createdAtMost: cutoff } = spec;
  const afterKey = after && { createdAt: after.createdAt, requestId: after.requestId };
  if (spec.order === "asc") {
    if (afterKey && cutoff) return query.between(afterKey, { createdAt: cutoff });
    if (afterKey) return query.gt(afterKey);
    if (cutoff) return query.lte({ createdAt: cutoff });
    return query;
  }
  if (afterKey) return query.lt(afterKey);
  if (cutoff) return query.lte({ createdAt: cutoff });
  return query;
}

/** The items of the page's range (the bounds above are inclusive in places: re-check them). */
function inRange(spec: PageSpec) {
  const afterKey = spec.after && positionKey(spec.after);
  return (item: JoinRequestItem) => {
    if (spec.createdAtMost && item.createdAt > spec.createdAtMost) return false;
    if (!afterKey) return true;
    const key = positionKey(item);
    return spec.order === "asc" ? key > afterKey : key < afterKey;
  };
}

/**
 * Reads one partition for a page: a single Query with Limit = limit + 1 (the extra item says
 * whether there is more). With a `filter`, a FilterExpression may drop items after the Limit,
 * so ElectroDB keeps paging (`count`) within that one partition until it has enough.
 * The filter is applied after the sort-key range: ElectroDB's chain offers no range
 * conditions once `where` is called, so a filtered query with a cursor must be built this way.
 */
export async function readPartition(
  query: RangeQuery,
  spec: PageSpec,
  filter?: WhereFilter,
): Promise<JoinRequestItem[]> {
  const want = spec.limit + 1;
  const options: GoOptions = filter
    ? { count: want, pages: "all", order: spec.order }
    : { limit: want, order: spec.order };
  const range = ranged(query, spec);
  const out = await (filter ? range.where(filter) : range).go(options);
  return out.data.filter(inRange(spec));
}

/**
 * Merges per-partition reads (each already sorted and cut to limit + 1) into one page. Every
 * partition contributed its first limit + 1 items past the position, so the first `limit`
 * of the union are exactly the page, and anything beyond says there is a next page.
 */
export function mergePage(
  lists: JoinRequestItem[][],
  spec: PageSpec,
): { items: JoinRequestItem[]; next?: Position } {
  // Partitions are disjoint (one status or ASN each), but a request moving between statuses
  // while the page is read could show in two: keep its first sighting.
  const byId = new Map<string, JoinRequestItem>();
  for (const r of lists.flat()) if (!byId.has(r.requestId)) byId.set(r.requestId, r);
  const all = [...byId.values()];
  all.sort((a, b) => {
    const ka = positionKey(a);
    const kb = positionKey(b);
    const cmp = ka < kb ? -1 : ka > kb ? 1 : 0;
    return spec.order === "asc" ? cmp : -cmp;
  });
  const items = all.slice(0, spec.limit);
  const last = items.at(-1);
  const next =
    all.length > spec.limit && last ? { createdAt: last.createdAt, requestId: last.requestId } : undefined;
  return { items, next };
}
