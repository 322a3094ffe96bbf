import { startFauxqs } from "fauxqs";
import type { RunningService } from "./dynamodb-local.ts";
import { freePort } from "./ports.ts";

/** Starts fauxqs (SQS + S3 emulator) in this process. */
export async function startFauxqsServer(options: { port?: number } = {}): Promise<RunningService> {
  const port = options.port ?? (await freePort());
  const server = await startFauxqs({ port, host: "127.0.0.1", logger: false });
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    stop: () => server.stop(),
  };
}
