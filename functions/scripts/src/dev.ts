/**
 * `npm run dev`: the whole product on one machine, no cloud account. Starts DynamoDB Local
 * (data under .ztix/), fauxqs (SQS FIFO + DLQ, S3), bootstraps them, runs what the runtime
 * config and .ztix/dev.yaml ask for (controller emulator, stand-ins, BIRD route servers, demo
 * member routers) and serves the API and the SPA on http://localhost:8787. Ctrl-C stops
 * everything it started.
 */
import { quietDevConsole } from "./dev/quiet.ts";

// Before anything imports a library that prints notices at load time.
quietDevConsole();
// A terminal that went away (EIO, EPIPE) must not end the launcher half-way through stopping.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
const { startLocalRuntime } = await import("./dev/runtime.ts");

type Runtime = Awaited<ReturnType<typeof startLocalRuntime>>;
let runtime: Runtime | undefined;
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  if (!runtime) {
    // Still starting: exiting runs the launcher's exit hook, which ends the daemons it started
    // so far (by pid) and deletes its namespaces.
    console.log(`\n[ztix] ${signal} while starting: stopping what started`);
    process.exit(130);
  }
  console.log(`\n[ztix] ${signal}: stopping…`);
  const timer = setTimeout(() => {
    console.error("[ztix] still stopping after 20 s: exiting (the daemons it started are killed on exit)");
    process.exit(1);
  }, 20_000);
  await runtime.stop();
  clearTimeout(timer);
  console.log("[ztix] stopped.");
  process.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(signal, () => void shutdown(signal));

runtime = await startLocalRuntime().catch((e: Error) => {
  console.error(`\nnpm run dev failed: ${e.message}`);
  process.exit(1);
});
