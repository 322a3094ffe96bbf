import type { LogSink } from "./logger.ts";

export type MetricUnit = "Count" | "Milliseconds" | "Seconds" | "Bytes" | "None";

/**
 * Writes one CloudWatch Embedded Metric Format line: CloudWatch turns it into a metric,
 * and locally it is just another JSON log line.
 */
export function emitMetric(
  name: string,
  value: number,
  unit: MetricUnit,
  dimensions: Record<string, string> = {},
  options: { namespace?: string; sink?: LogSink; properties?: Record<string, unknown> } = {},
): void {
  // ZTIX_METRICS=off silences the default sink (test runs); an explicit sink always writes.
  if (!options.sink && process.env.ZTIX_METRICS === "off") return;
  const sink: LogSink = options.sink ?? ((line) => process.stdout.write(`${line}\n`));
  const line = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: options.namespace ?? "ZTIX",
          Dimensions: [Object.keys(dimensions)],
          Metrics: [{ Name: name, Unit: unit }],
        },
      ],
    },
    ...options.properties,
    ...dimensions,
    [name]: value,
  };
  sink(JSON.stringify(line));
}
