import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@ztix/local-stack";
import { hasCommand } from "../../../../test/support/system.ts";

export const SSHD = "/usr/sbin/sshd";
export const sshdPresent = () => hasCommand(SSHD) && hasCommand("ssh-keygen");

export interface TestSshd {
  port: number;
  user: string;
  hostKeyFingerprint: string;
  /** The fingerprint of a different key, for the "wrong host key" case. */
  otherFingerprint: string;
  userPrivateKey: string;
  /** How many public-key logins sshd accepted (each SSH connection is one). */
  logins(): number;
  /** Kills the per-connection sshd processes: every open SSH connection drops. */
  dropConnections(): void;
  stop(): Promise<void>;
}

function keygen(path: string) {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ztix-test", "-f", path]);
}

function fingerprint(pubPath: string): string {
  return execFileSync("ssh-keygen", ["-lf", pubPath], { encoding: "utf8" }).split(" ")[1]!;
}

/**
 * A real OpenSSH server on loopback with throw-away host and user keys made at test time.
 * It runs as the current user (root here: StrictModes off, /run/sshd created as Debian needs).
 */
export async function startSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), "ztix-sshd-"));
  keygen(join(dir, "host_key"));
  keygen(join(dir, "user_key"));
  keygen(join(dir, "other_key"));
  writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "user_key.pub")));
  mkdirSync("/run/sshd", { recursive: true });
  const port = await freePort();
  const user = execFileSync("id", ["-un"], { encoding: "utf8" }).trim();
  writeFileSync(
    join(dir, "sshd_config"),
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
      "AllowTcpForwarding yes",
      "UsePAM no",
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
  );
  let log = "";
  const child: ChildProcess = spawn(SSHD, ["-D", "-e", "-f", join(dir, "sshd_config")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  await waitForPort(port, child, () => log);
  return {
    port,
    user,
    hostKeyFingerprint: fingerprint(join(dir, "host_key.pub")),
    otherFingerprint: fingerprint(join(dir, "other_key.pub")),
    userPrivateKey: readFileSync(join(dir, "user_key"), "utf8"),
    logins: () => (log.match(/Accepted publickey/g) ?? []).length,
    dropConnections() {
      const pid = child.pid!;
      let children: string[] = [];
      try {
        children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
          .trim()
          .split(/\s+/)
          .filter(Boolean);
      } catch {
        return;
      }
      for (const c of children) {
        try {
          process.kill(Number(c), "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on ${port}: ${log()}`);
}
