import { createHash } from "node:crypto";
import { createConnection } from "node:net";
import { AppError, type SshTarget } from "@ztix/core";
// ssh2 is CommonJS: its named exports do not survive Node's ESM interop at run time.
import ssh2 from "ssh2";

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The one thing the apply step needs from a route server: run a command, optionally with stdin. */
export interface RemoteShell {
  exec(command: string, options?: { stdin?: string; timeoutMs?: number }): Promise<ExecResult>;
  close(): void;
}

/** OpenSSH's `SHA256:<base64, unpadded>` fingerprint of a raw host key. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

const sameFingerprint = (a: string, b: string) => a.replace(/=+$/, "") === b.replace(/=+$/, "");

/**
 * Connects with the host key pinned: any other key is refused before authentication
 * (`ssh_host_key_mismatch`), never trusted on first use.
 */
export function connectSsh(target: SshTarget, privateKey: string): Promise<RemoteShell> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let offeredKey: string | undefined;
    let settled = false;
    const fail = (e: AppError) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(e);
    };
    client.on("ready", () => {
      settled = true;
      resolve(shellOf(client));
    });
    client.on("error", (err: Error) => {
      if (offeredKey !== undefined && !sameFingerprint(offeredKey, target.host_key_fingerprint)) {
        fail(
          new AppError(
            "ssh_host_key_mismatch",
            `host key ${offeredKey} of ${target.host} is not the pinned key`,
            {
              host: target.host,
              offered: offeredKey,
            },
          ),
        );
        return;
      }
      fail(
        new AppError("ssh_connect_failed", `ssh to ${target.host}:${target.port}: ${err.message}`, {
          host: target.host,
        }),
      );
    });
    // Small request/response exchanges: without TCP_NODELAY, Nagle + delayed ACKs add
    // tens of milliseconds to every remote command.
    const sock = createConnection({ host: target.host, port: target.port, noDelay: true });
    sock.once("error", (err) => {
      fail(
        new AppError("ssh_connect_failed", `ssh to ${target.host}:${target.port}: ${err.message}`, {
          host: target.host,
        }),
      );
    });
    client.connect({
      sock,
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey,
      readyTimeout: target.connect_timeout_ms,
      keepaliveInterval: 5_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        offeredKey = hostKeyFingerprint(key);
        return sameFingerprint(offeredKey, target.host_key_fingerprint);
      },
    });
  });
}

function shellOf(client: ssh2.Client): RemoteShell {
  let closed = false;
  client.on("close", () => {
    closed = true;
  });
  return {
    exec(command, options = {}) {
      return new Promise((resolve, reject) => {
        if (closed) {
          reject(new AppError("ssh_disconnected", "the SSH connection is closed"));
          return;
        }
        client.exec(command, (err, stream) => {
          if (err) {
            reject(new AppError("ssh_exec_failed", `ssh exec: ${err.message}`));
            return;
          }
          const out: Buffer[] = [];
          const errOut: Buffer[] = [];
          let code: number | null = null;
          const timer = setTimeout(() => {
            stream.close();
            reject(
              new AppError("ssh_exec_timeout", `remote command timed out after ${options.timeoutMs} ms`),
            );
          }, options.timeoutMs ?? 120_000);
          stream.on("data", (d: Buffer) => out.push(d));
          stream.stderr.on("data", (d: Buffer) => errOut.push(d));
          stream.on("exit", (c: number | null) => {
            code = c;
          });
          stream.on("close", () => {
            clearTimeout(timer);
            if (code === null && closed) {
              reject(new AppError("ssh_disconnected", "the SSH connection dropped during a remote command"));
              return;
            }
            resolve({
              code,
              stdout: Buffer.concat(out).toString("utf8"),
              stderr: Buffer.concat(errOut).toString("utf8"),
            });
          });
          stream.end(options.stdin ?? "");
        });
      });
    },
    close() {
      client.end();
    },
  };
}

/** Quotes one word for a POSIX shell. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
