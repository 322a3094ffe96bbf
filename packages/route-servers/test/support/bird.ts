import { existsSync } from "node:fs";
import { join } from "node:path";
import { eventually, execFileAsync, type Managed, startProcess } from "./processes.ts";

export interface BirdInstance {
  socket: string;
  /** Runs one birdc command against this instance; resolves with its output (errors included). */
  birdc(command: string): Promise<string>;
  stop(): Promise<void>;
  process: Managed;
}

/** birdc against a socket; BIRD's error replies come back as text, not exceptions. */
export async function birdc(socket: string, command: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync("birdc", ["-s", socket, command], { timeout: 10_000 });
    return stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return `${err.stdout ?? ""}${err.stderr ?? err.message}`;
  }
}

/** `bird -p`: the parse check a route server runs; null when the config is accepted. */
export async function birdParseError(config: string): Promise<string | null> {
  try {
    await execFileAsync("bird", ["-p", "-c", config], { timeout: 30_000 });
    return null;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return `${err.stdout ?? ""}${err.stderr ?? ""}` || err.message;
  }
}

/**
 * A BIRD daemon in the foreground (so we own its pid), with its own control socket, optionally
 * inside a network namespace. Resolves once the control socket answers.
 */
export async function startBird(options: {
  config: string;
  dir: string;
  name: string;
  netns?: string;
}): Promise<BirdInstance> {
  const socket = join(options.dir, `${options.name}.ctl`);
  const args = ["-f", "-c", options.config, "-s", socket, "-P", join(options.dir, `${options.name}.pid`)];
  const proc = options.netns
    ? startProcess("ip", ["netns", "exec", options.netns, "bird", ...args])
    : startProcess("bird", args);
  await eventually(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`bird ${options.name} exited: ${proc.output()}`);
      return existsSync(socket) && /Daemon is up/.test(await birdc(socket, "show status"));
    },
    `bird ${options.name} to answer on ${socket}`,
    10_000,
    100,
  ).catch((e) => {
    throw new Error(`${(e as Error).message}\n${proc.output()}`);
  });
  return { socket, birdc: (c) => birdc(socket, c), stop: () => proc.stop(), process: proc };
}

/** The protocols `show protocols` lists, by name → state and info columns. */
export async function protocolStates(socket: string): Promise<Map<string, { state: string; info: string }>> {
  const out = await birdc(socket, "show protocols");
  const map = new Map<string, { state: string; info: string }>();
  for (const line of out.split("\n").slice(2)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 4 && cols[0])
      map.set(cols[0], { state: cols[3] ?? "", info: cols.slice(5).join(" ") });
  }
  return map;
}
