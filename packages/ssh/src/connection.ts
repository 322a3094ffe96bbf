import { createConnection } from "node:net";
import type { Duplex, Readable, Writable } from "node:stream";
import type { SshTarget } from "@ztix/core";
// ssh2 is CommonJS: its named exports do not survive Node's ESM interop at run time.
import ssh2 from "ssh2";
import { SshError } from "./errors.ts";
import { hostKeyFingerprint, sameFingerprint } from "./fingerprint.ts";

export interface ExecResult {
  /** The remote exit status; null when the command ended by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Piped to the command's stdin (a string is sent whole); without it stdin is closed. */
  stdin?: string | Readable;
  /** Streams stdout there instead of collecting it. */
  stdout?: Writable;
  /** The command is abandoned (and `ssh_exec_timeout` raised) after this long. */
  timeoutMs?: number;
  /** Collected output beyond this is an error (`ssh_output_too_large`), so a runaway command cannot exhaust memory. */
  maxOutputBytes?: number;
}

const DEFAULT_EXEC_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;

/**
 * One SSH connection to a host whose key is pinned: any other key is refused before
 * authentication (`ssh_host_key_mismatch`), never trusted on first use. Opened on first use
 * and reopened after it drops; the private key is fetched per connect, so a rotated key needs
 * no restart.
 */
export class SshConnection {
  private client: ssh2.Client | null = null;
  private connecting: Promise<ssh2.Client> | null = null;

  constructor(
    readonly target: SshTarget,
    private readonly privateKey: () => Promise<string>,
  ) {}

  /** Connects now (a no-op when connected); exec and forward do it themselves. */
  async open(): Promise<void> {
    await this.connect();
  }

  private connect(): Promise<ssh2.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.dial().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async dial(): Promise<ssh2.Client> {
    const { host, port } = this.target;
    const where = `ssh to ${host}:${port}`;
    const key = await this.privateKey();
    const client = new ssh2.Client();
    let offered: string | undefined;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (e: SshError) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(e);
      };
      client.once("ready", () => {
        settled = true;
        resolve();
      });
      client.on("error", (err: Error & { level?: string }) => {
        if (offered !== undefined && !sameFingerprint(offered, this.target.host_key_fingerprint)) {
          fail(
            new SshError(
              "ssh_host_key_mismatch",
              `${host}:${port} presented host key ${offered}, not the pinned ${this.target.host_key_fingerprint}`,
              false,
              { host, offered },
            ),
          );
        } else if (err.level === "client-authentication") {
          fail(new SshError("ssh_auth_failed", `${where}: the server refused our key`, false, { host }));
        } else {
          fail(new SshError("ssh_connect_failed", `${where}: ${err.message}`, true, { host }));
        }
      });
      // Small request/response exchanges: without TCP_NODELAY, Nagle + delayed ACKs add
      // tens of milliseconds to every remote command.
      const sock = createConnection({ host, port, noDelay: true });
      sock.once("error", (err) =>
        fail(new SshError("ssh_connect_failed", `${where}: ${err.message}`, true, { host })),
      );
      try {
        client.connect({
          sock,
          host,
          port,
          username: this.target.user,
          privateKey: key,
          readyTimeout: this.target.connect_timeout_ms,
          keepaliveInterval: 5_000,
          keepaliveCountMax: 3,
          hostVerifier: (hostKey: Buffer) => {
            offered = hostKeyFingerprint(hostKey);
            return sameFingerprint(offered, this.target.host_key_fingerprint);
          },
        });
      } catch (err) {
        // ssh2 parses the key before it speaks: a key it cannot read throws here, synchronously.
        sock.destroy();
        fail(
          new SshError(
            "ssh_private_key_invalid",
            `${where}: the private key cannot be used: ${(err as Error).message}`,
            false,
            { host },
          ),
        );
      }
    });
    const forget = () => {
      if (this.client === client) this.client = null;
    };
    client.on("close", forget);
    client.on("end", forget);
    client.on("error", forget);
    this.client = client;
    return client;
  }

  /**
   * Runs a command. Resolves with its exit status and output whatever the status (the caller
   * reads the real system's reply); rejects only when the command could not run to its end:
   * the connection dropped (`ssh_disconnected`), it timed out, or its output was too large.
   */
  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const client = await this.connect();
    const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    return new Promise<ExecResult>((resolve, reject) => {
      client.exec(command, (err, channel) => {
        if (err) {
          this.dropIfBroken(client);
          reject(new SshError("ssh_disconnected", `ssh exec: ${err.message}`, true));
          return;
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let size = 0;
        let code: number | null = null;
        let exited = false;
        let done = false;
        const finish = (e: SshError | null) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          if (e) {
            channel.close();
            reject(e);
            return;
          }
          resolve({
            code,
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(errOut).toString("utf8"),
          });
        };
        const timer = setTimeout(
          () =>
            finish(new SshError("ssh_exec_timeout", `remote command timed out after ${timeoutMs} ms`, true)),
          timeoutMs,
        );
        const collect = (into: Buffer[]) => (d: Buffer) => {
          size += d.length;
          if (size > maxOutput) {
            finish(new SshError("ssh_output_too_large", `remote output exceeded ${maxOutput} bytes`, false));
            return;
          }
          into.push(d);
        };
        if (options.stdout) channel.pipe(options.stdout);
        else channel.on("data", collect(out));
        channel.stderr.on("data", collect(errOut));
        channel.on("exit", (c: number | null) => {
          exited = true;
          code = c;
        });
        channel.on("close", () => {
          // A channel that closes without an exit status: the connection went, and the
          // command may or may not have run.
          if (!exited) {
            finish(
              new SshError("ssh_disconnected", "the SSH connection dropped during a remote command", true),
            );
          } else finish(null);
        });
        if (options.stdin === undefined) channel.end();
        else if (typeof options.stdin === "string") channel.end(options.stdin);
        else options.stdin.pipe(channel);
      });
    });
  }

  /** A TCP stream to `host:port` as seen from the SSH server (`ssh -L`). */
  async forward(host: string, port: number): Promise<Duplex> {
    const client = await this.connect();
    return new Promise<Duplex>((resolve, reject) => {
      client.forwardOut("127.0.0.1", 0, host, port, (err, channel) => {
        if (err) {
          // A refused channel on a connection that died under us: drop it so the retry reconnects.
          this.dropIfBroken(client);
          reject(new SshError("ssh_forward_failed", `ssh forward to ${host}:${port}: ${err.message}`, true));
        } else resolve(channel);
      });
    });
  }

  private dropIfBroken(client: ssh2.Client) {
    if (this.client === client) {
      this.client = null;
      client.end();
    }
  }

  /** Whether a connection is open now (it may still drop before the next command). */
  get connected(): boolean {
    return this.client !== null;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    client?.end();
  }
}
