import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** A long-running child we started; `stop` ends exactly this process (by pid) and waits for it. */
export interface ManagedProcess {
  child: ChildProcess;
  /** The last 20,000 characters it wrote (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `cmd` with piped output kept in memory; `stop` sends SIGTERM, then SIGKILL after 3 s. */
export function startManaged(
  cmd: string,
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    /**
     * In its own process group: a Ctrl-C in the terminal reaches only the launcher, which then
     * stops the daemon itself (instead of the daemon dying first and looking like a crash).
     */
    ownProcessGroup?: boolean;
    /**
     * Linux: the kernel sends it SIGTERM when this process dies, even by SIGKILL (through
     * util-linux `setpriv --pdeathsig`, where installed), so a launcher killed outright leaves
     * no daemon behind.
     */
    dieWithParent?: boolean;
  } = {},
) {
  const setpriv =
    options.dieWithParent && process.platform === "linux" ? findExecutable("setpriv") : undefined;
  if (setpriv) {
    args = ["--pdeathsig", "TERM", "--", cmd, ...args];
    cmd = setpriv;
  }
  const child = spawn(cmd, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ?? process.env,
    detached: options.ownProcessGroup ?? false,
  });
  let out = "";
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  // A missing binary is reported by output() and exitCode, never as an unhandled error.
  child.on("error", (e) => keep(Buffer.from(`${cmd}: ${e.message}\n`)));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  const managed: ManagedProcess = {
    child,
    output: () => out,
    async stop() {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
        child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return managed;
}

/**
 * Where `name` is installed: on PATH, else in the sbin directories a normal user's PATH lacks
 * (Debian puts bird, birdc and sshd there). Undefined when it is nowhere.
 */
export function findExecutable(name: string, extraDirs = ["/usr/sbin", "/usr/local/sbin", "/sbin"]) {
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The pids of running processes whose command line contains every one of `needles` (from
 * /proc), as whole arguments or, for daemons that rewrite their title (sshd shows
 * `sshd: /usr/sbin/sshd -D -f … [listener]`), inside it.
 */
export function processesMatching(needles: string[]): number[] {
  if (!existsSync("/proc")) return [];
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    const args = cmdline.split("\0").filter(Boolean);
    const title = args.join(" ").split(" ");
    if (args.length > 0 && needles.every((n) => args.includes(n) || title.includes(n)))
      pids.push(Number(entry));
  }
  return pids;
}

/** Ends the given pids (SIGTERM, then SIGKILL after `graceMs`) and waits until they are gone. */
export async function endProcesses(pids: number[], graceMs = 3_000): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
    } catch {
      return false;
    }
  };
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
