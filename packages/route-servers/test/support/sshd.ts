import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { eventually, execFileAsync, freePort, type Managed, startProcess } from "./processes.ts";

export interface SshdInstance {
  port: number;
  /** `SHA256:…` of the server's host key, as runtime config pins it. */
  hostKeyFingerprint: string;
  /** The client's private key (OpenSSH format), as the secret store would hold it. */
  userPrivateKey: string;
  /** A fingerprint of a different key: what a man in the middle would present. */
  otherFingerprint: string;
  stop(): Promise<void>;
  process: Managed;
}

async function keygen(path: string): Promise<string> {
  await execFileAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ztix-test", "-f", path]);
  const { stdout } = await execFileAsync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${path}.pub`]);
  return stdout.split(" ")[1]!;
}

/**
 * A real OpenSSH server on loopback with keys made for this test: public-key login for the
 * current user only. Debian's sshd needs /run/sshd; StrictModes is off because keys sit in /tmp.
 */
export async function startSshd(dir: string): Promise<SshdInstance> {
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const hostKeyFingerprint = await keygen(join(dir, "host_key"));
  await keygen(join(dir, "user_key"));
  const otherFingerprint = await keygen(join(dir, "other_key"));
  writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "user_key.pub")), { mode: 0o600 });
  const port = await freePort();
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${join(dir, "host_key")}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "StrictModes no",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      "UsePAM no",
      "LogLevel ERROR",
      // Root's real ~/.bashrc on dev machines can cost hundreds of ms per remote command.
      `SetEnv HOME=${dir}`,
      "",
    ].join("\n"),
  );
  const proc = startProcess("/usr/sbin/sshd", ["-D", "-e", "-f", config]);
  await eventually(
    () =>
      new Promise<boolean>((resolve) => {
        if (proc.child.exitCode !== null) throw new Error(`sshd exited: ${proc.output()}`);
        const sock = connect(port, "127.0.0.1");
        sock.once("connect", () => {
          sock.destroy();
          resolve(true);
        });
        sock.once("error", () => resolve(false));
      }),
    "sshd to listen",
    10_000,
    100,
  );
  return {
    port,
    hostKeyFingerprint,
    otherFingerprint,
    userPrivateKey: readFileSync(join(dir, "user_key"), "utf8"),
    stop: () => proc.stop(),
    process: proc,
  };
}
