/**
 * The nearest-rank percentile of an ascending list (p in 0..100), as every bench section
 * reports it: p50 of [1..10] is 5, p99 is 10.
 */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
