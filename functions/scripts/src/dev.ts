/**
 * `npm run dev`: the whole product on one machine, no cloud account. Starts DynamoDB Local
 * (data under .ztix/), fauxqs (SQS FIFO + DLQ, S3), bootstraps them, and serves the API and
 * the SPA on http://localhost:8787. Ctrl-C stops everything it started.
 */
import { startLocalRuntime } from "./dev/runtime.ts";

// Local runs are on Node 20; Lambda runs 22. The SDK's upgrade notice would repeat on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const runtime = await startLocalRuntime().catch((e: Error) => {
  console.error(`\nnpm run dev failed: ${e.message}`);
  process.exit(1);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  await runtime.stop();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
