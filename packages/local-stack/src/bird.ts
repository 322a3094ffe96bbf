import { execFile } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { promisify } from "node:util";
import { waitFor } from "./ports.ts";
import {
  endProcesses,
  findExecutable,
  type ManagedProcess,
  processesMatching,
  startManaged,
} from "./processes.ts";

const execFileAsync = promisify(execFile);

/** Where BIRD 2 is installed on this machine. */
export interface BirdInstallation {
  bird: string;
  birdc: string;
  /** e.g. `2.0.12` */
  version: string;
}

/**
 * BIRD 2 (`bird` and `birdc`, Debian's `bird2` package), or why not: missing, or BIRD 1
 * (Debian's `bird` package), whose config language the route-server policy does not speak.
 */
export async function findBird(): Promise<({ ok: true } & BirdInstallation) | { ok: false; reason: string }> {
  const bird = findExecutable("bird");
  const birdc = findExecutable("birdc");
  if (!bird || !birdc) return { ok: false, reason: "bird2 is not installed (no bird/birdc)" };
  try {
    const { stdout, stderr } = await execFileAsync(bird, ["--version"], { timeout: 5_000 });
    const version = /BIRD version (\S+)/.exec(`${stdout}${stderr}`)?.[1] ?? "unknown";
    if (!version.startsWith("2.")) return { ok: false, reason: `${bird} is BIRD ${version}, not BIRD 2` };
    return { ok: true, bird, birdc, version };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    // Some builds print the version to stderr and exit non-zero.
    const version = /BIRD version (\S+)/.exec(`${err.stdout ?? ""}${err.stderr ?? ""}`)?.[1];
    if (version?.startsWith("2.")) return { ok: true, bird, birdc, version };
    return { ok: false, reason: `${bird} --version failed: ${err.message}` };
  }
}

/** One birdc command; BIRD's error replies come back as text, not exceptions. */
export async function birdcCommand(
  birdc: string,
  socket: string,
  command: string,
  timeoutMs = 10_000,
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(birdc, ["-s", socket, command], { timeout: timeoutMs });
    return stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return `${err.stdout ?? ""}${err.stderr ?? err.message}`;
  }
}

export interface BirdDaemon {
  name: string;
  socket: string;
  pid: number;
  process: ManagedProcess;
  birdc(command: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A BIRD daemon in the foreground (so we own its pid) with its own config, control socket and
 * pid file, optionally inside a network namespace (its socket stays reachable by path from
 * the host). A BIRD left running with the same config by an earlier run that was killed is
 * ended first (`stale` reports its pids). Resolves once the socket answers.
 */
export async function startBirdDaemon(options: {
  install: BirdInstallation;
  name: string;
  config: string;
  socket: string;
  pidFile: string;
  netns?: string;
  onStale?: (pids: number[]) => void;
}): Promise<BirdDaemon> {
  const { install } = options;
  const stale = processesMatching([install.bird, "-c", options.config]);
  if (stale.length > 0) {
    options.onStale?.(stale);
    await endProcesses(stale);
  }
  rmSync(options.socket, { force: true });
  const args = ["-f", "-c", options.config, "-s", options.socket, "-P", options.pidFile];
  // `ip netns exec` execs BIRD in place: the pid we hold is BIRD's.
  // Its own process group: a Ctrl-C in the terminal reaches the launcher, which stops BIRD;
  // and it dies with the launcher if that is killed outright.
  const managed = { ownProcessGroup: true, dieWithParent: true };
  const proc = options.netns
    ? startManaged("ip", ["netns", "exec", options.netns, install.bird, ...args], managed)
    : startManaged(install.bird, args, managed);
  const birdc = (command: string) => birdcCommand(install.birdc, options.socket, command);
  try {
    await waitFor(
      async () => {
        if (proc.child.exitCode !== null || proc.child.signalCode !== null)
          throw new Error(`bird ${options.name} exited: ${proc.output().trim()}`);
        return existsSync(options.socket) && /Daemon is up/.test(await birdc("show status"));
      },
      15_000,
      `BIRD ${options.name} on ${options.socket}`,
    );
  } catch (e) {
    await proc.stop();
    throw new Error(`${(e as Error).message}\n${proc.output().trim()}`.trim());
  }
  return {
    name: options.name,
    socket: options.socket,
    pid: proc.child.pid!,
    process: proc,
    birdc,
    async stop() {
      await proc.stop();
      rmSync(options.socket, { force: true });
    },
  };
}

/** `show protocols` as name → proto, state ("up", "start", …) and info ("Established", "Active", …). */
export function parseProtocols(output: string): Map<string, { proto: string; state: string; info: string }> {
  const map = new Map<string, { proto: string; state: string; info: string }>();
  for (const line of output.split("\n")) {
    // Name Proto Table State Since Info; Table is `---` when there is none. The banner and
    // the header are skipped.
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5 || cols[0] === "Name" || cols[0] === "BIRD") continue;
    // Since is a time, or a date and a time for protocols up longer than a day.
    const sinceWidth = /^\d{4}-\d\d-\d\d$/.test(cols[4] ?? "") ? 2 : 1;
    map.set(cols[0]!, { proto: cols[1]!, state: cols[3]!, info: cols.slice(4 + sinceWidth).join(" ") });
  }
  return map;
}
