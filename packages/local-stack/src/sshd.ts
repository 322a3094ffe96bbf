import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { assertPortFree, freePort, waitFor } from "./ports.ts";
import { type ManagedProcess, startManaged } from "./processes.ts";

const execFileAsync = promisify(execFile);

/** Where Debian's openssh-server puts the daemon (it is not on a normal user's PATH). */
export const SSHD = "/usr/sbin/sshd";

/** Whether this machine can run `startSshd`: the daemon and `ssh-keygen`. */
export function sshdPresent(): boolean {
  if (!existsSync(SSHD)) return false;
  try {
    execFileSync("sh", ["-c", "command -v ssh-keygen"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface SshdInstance {
  port: number;
  /** The login user: whoever runs the tests (sshd runs as them, public-key login only). */
  user: string;
  /** `SHA256:…` of the server's host key, as runtime config pins it. */
  hostKeyFingerprint: string;
  /** A fingerprint of a different key: what a man in the middle would present. */
  otherFingerprint: string;
  /** The client's private key (OpenSSH format), as the secret store would hold it. */
  userPrivateKey: string;
  /** The directory holding the keys and `sshd_config` (also HOME for remote commands). */
  dir: string;
  /** How many public-key logins sshd accepted (each SSH connection is one). */
  logins(): number;
  /** Kills the per-connection sshd processes: every open SSH connection drops, the listener stays. */
  dropConnections(): void;
  stop(): Promise<void>;
  process: ManagedProcess;
}

/** Makes an ed25519 key pair at `path` (unless `keep` and it exists); its `SHA256:…` fingerprint. */
async function keygen(path: string, keep = false): Promise<string> {
  if (!(keep && existsSync(path) && existsSync(`${path}.pub`))) {
    rmSync(path, { force: true });
    rmSync(`${path}.pub`, { force: true });
    await execFileAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ztix-test", "-f", path]);
  }
  const { stdout } = await execFileAsync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${path}.pub`]);
  return stdout.split(" ")[1]!;
}

export interface SshdKeys {
  hostKeyFingerprint: string;
  otherFingerprint: string;
  userPrivateKey: string;
}

/**
 * The host key, client key and a stranger's key `startSshd` uses in `dir`: made now where
 * missing, kept where present (`keep`), so a config can pin the host key before sshd runs.
 */
export async function ensureSshdKeys(dir: string, keep = true): Promise<SshdKeys> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const [hostKeyFingerprint, , otherFingerprint] = await Promise.all([
    keygen(join(dir, "host_key"), keep),
    keygen(join(dir, "user_key"), keep),
    keygen(join(dir, "other_key"), keep),
  ]);
  writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "user_key.pub")), { mode: 0o600 });
  return {
    hostKeyFingerprint,
    otherFingerprint,
    userPrivateKey: readFileSync(join(dir, "user_key"), "utf8"),
  };
}

export interface SshdOptions {
  /** Listen on this port (default: a free one). A port already taken is an error naming it. */
  port?: number;
  /** Keep the keys already in `dir` (made on first use), so the pinned host key survives restarts. */
  keepKeys?: boolean;
  /**
   * For a launcher: sshd in its own process group (the launcher stops it on Ctrl-C) that dies
   * with the launcher if that is killed outright.
   */
  daemon?: boolean;
}

/**
 * A real OpenSSH server on loopback (tests and local runs), with throw-away host and user keys
 * made now: public-key login for the current user only, TCP forwarding allowed (`ssh -L`, as
 * the controller channel uses). It keeps its files in `dir` (created if missing), else in a
 * fresh temporary directory that `stop` removes. Debian's sshd needs /run/sshd; StrictModes is
 * off because the keys sit in a temporary directory.
 */
export async function startSshd(dir?: string, options: SshdOptions = {}): Promise<SshdInstance> {
  const ownDir = dir === undefined;
  const home = dir ?? mkdtempSync(join(tmpdir(), "ztix-sshd-"));
  mkdirSync(home, { recursive: true });
  // Its privilege-separation directory: needed (and creatable) only when sshd runs as root.
  if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const { hostKeyFingerprint, otherFingerprint, userPrivateKey } = await ensureSshdKeys(
    home,
    options.keepKeys ?? false,
  );
  let port: number;
  if (options.port !== undefined) {
    await assertPortFree(options.port, "sshd");
    port = options.port;
  } else port = await freePort();
  const user = execFileSync("id", ["-un"], { encoding: "utf8" }).trim();
  const config = join(home, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${join(home, "host_key")}`,
      `PidFile ${join(home, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(home, "authorized_keys")}`,
      "StrictModes no",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      "AllowTcpForwarding yes",
      "UsePAM no",
      // VERBOSE logs each accepted login, which `logins()` counts.
      "LogLevel VERBOSE",
      // Root's real ~/.bashrc on dev machines can cost hundreds of ms per remote command.
      `SetEnv HOME=${home}`,
      "",
    ].join("\n"),
  );
  const proc = startManaged(SSHD, ["-D", "-e", "-f", config], {
    ownProcessGroup: options.daemon ?? false,
    dieWithParent: options.daemon ?? false,
  });
  let logins = 0;
  let partial = "";
  proc.child.stderr?.on("data", (d: Buffer) => {
    const lines = (partial + d.toString()).split("\n");
    partial = lines.pop() ?? "";
    logins += lines.filter((l) => l.includes("Accepted publickey")).length;
  });
  try {
    await waitFor(
      () =>
        new Promise<boolean>((resolve, reject) => {
          if (proc.child.exitCode !== null) return reject(new Error(`sshd exited: ${proc.output()}`));
          const sock = connect(port, "127.0.0.1");
          sock.once("connect", () => {
            sock.destroy();
            resolve(true);
          });
          sock.once("error", () => resolve(false));
        }),
      10_000,
      `sshd on 127.0.0.1:${port}`,
    );
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return {
    port,
    user,
    hostKeyFingerprint,
    otherFingerprint,
    userPrivateKey,
    dir: home,
    logins: () => logins,
    dropConnections() {
      const pid = proc.child.pid!;
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
    async stop() {
      await proc.stop();
      if (ownDir) rmSync(home, { recursive: true, force: true });
    },
    process: proc,
  };
}
