import { createHash } from "node:crypto";
import type { Duplex, Readable, Writable } from "node:stream";
import type { SshTarget } from "@ztix/core";
import ssh2 from "ssh2";
import { ControllerError, errorForTransport } from "./errors.ts";

/** OpenSSH's fingerprint of a raw public key blob: `SHA256:<base64, no padding>`. */
export function sshFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * One SSH connection to a pinned host, opened on first use and reopened after it drops.
 * The host key must match the configured fingerprint; anything else is refused (no trust on
 * first use). The private key is fetched through `privateKey()` so rotation needs no restart.
 */
export class SshConnection {
  private client: ssh2.Client | null = null;
  private connecting: Promise<ssh2.Client> | null = null;

  constructor(
    private readonly target: SshTarget,
    private readonly privateKey: () => Promise<string>,
  ) {}

  private connect(): Promise<ssh2.Client> {
    if (this.client) return Promise.resolve(this.client);
    if (this.connecting) return this.connecting;
    this.connecting = (async () => {
      const key = await this.privateKey();
      const expected = this.target.host_key_fingerprint.replace(/=+$/, "");
      let presented: string | undefined;
      const client = new ssh2.Client();
      try {
        await new Promise<void>((resolve, reject) => {
          client.once("ready", () => resolve());
          client.once("error", (e) => {
            if (presented !== undefined && presented !== expected) {
              reject(
                new ControllerError(
                  "controller_host_key_mismatch",
                  `${this.target.host}:${this.target.port} presented host key ${presented}, expected ${expected}`,
                ),
              );
            } else reject(errorForTransport(e, `ssh ${this.target.host}:${this.target.port}`));
          });
          client.connect({
            host: this.target.host,
            port: this.target.port,
            username: this.target.user,
            privateKey: key,
            readyTimeout: this.target.connect_timeout_ms,
            keepaliveInterval: 15_000,
            hostVerifier: (hostKey: Buffer) => {
              presented = sshFingerprint(hostKey);
              return presented === expected;
            },
          });
        });
      } catch (e) {
        client.end();
        throw e;
      }
      const forget = () => {
        if (this.client === client) this.client = null;
      };
      client.on("close", forget);
      client.on("end", forget);
      client.on("error", forget);
      this.client = client;
      return client;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  /** A TCP stream to `host:port` as seen from the SSH server (`ssh -L`). */
  async forward(host: string, port: number): Promise<Duplex> {
    const client = await this.connect();
    return new Promise<Duplex>((resolve, reject) => {
      client.forwardOut("127.0.0.1", 0, host, port, (err, channel) => {
        if (err) {
          // A refused channel on a connection that died under us: drop it so the retry reconnects.
          this.dropIfBroken(client);
          reject(errorForTransport(err, `ssh forward to ${host}:${port}`));
        } else resolve(channel);
      });
    });
  }

  /** Runs a command; `stdin` is piped in, stdout streamed to `stdout` when given, else collected. */
  async exec(command: string, io: { stdin?: Readable; stdout?: Writable } = {}): Promise<ExecResult> {
    const client = await this.connect();
    return new Promise<ExecResult>((resolve, reject) => {
      client.exec(command, (err, channel) => {
        if (err) return reject(errorForTransport(err, "ssh exec"));
        const out: Buffer[] = [];
        const errChunks: Buffer[] = [];
        let code = -1;
        if (io.stdout) channel.pipe(io.stdout);
        else channel.on("data", (c: Buffer) => out.push(c));
        channel.stderr.on("data", (c: Buffer) => errChunks.push(c));
        channel.on("exit", (c: number | null) => {
          code = c ?? -1;
        });
        channel.on("close", () =>
          resolve({
            code,
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(errChunks).toString("utf8"),
          }),
        );
        channel.on("error", (e: Error) => reject(errorForTransport(e, "ssh exec")));
        if (io.stdin) io.stdin.pipe(channel);
        else channel.end();
      });
    });
  }

  private dropIfBroken(client: ssh2.Client) {
    if (this.client === client) {
      this.client = null;
      client.end();
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    client?.end();
  }
}
