import { createServer } from "node:net";

/** A TCP port free on loopback right now (DynamoDB Local cannot pick one itself). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Polls `probe` until it resolves true or the deadline passes. */
export async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${what} not ready after ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ""}`,
  );
}

/** A port another process holds: the message names the port, what wanted it and how to change it. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly what: string,
    hint?: string,
  ) {
    super(`port ${port} (${what}) is already in use${hint ? `: ${hint}` : ""}`);
    this.name = "PortInUseError";
  }
}

/** Whether something can listen on `host:port` right now (it is released again at once). */
export function portFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Throws a PortInUseError naming `what` (and `hint`) when `port` is taken on loopback. */
export async function assertPortFree(port: number, what: string, hint?: string): Promise<void> {
  if (!(await portFree(port))) throw new PortInUseError(port, what, hint);
}
