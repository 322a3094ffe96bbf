import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { findExecutable } from "./processes.ts";

const execFileAsync = promisify(execFile);

/** Runs `ip …`; rejects with ip's own message. */
export async function ipCommand(args: string[], timeoutMs = 10_000): Promise<string> {
  try {
    const { stdout } = await execFileAsync("ip", args, { timeout: timeoutMs });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(" ")}: ${(err.stderr ?? "").trim() || err.message}`);
  }
}

/**
 * Whether this process can build network namespaces: root, `ip` installed, and a probe
 * namespace can be added and deleted (containers without CAP_SYS_ADMIN fail there).
 */
export async function netnsUsable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (process.getuid?.() !== 0) return { ok: false, reason: "not running as root" };
  if (!findExecutable("ip")) return { ok: false, reason: "iproute2 (ip) is not installed" };
  const probe = `ztix-probe-${randomBytes(3).toString("hex")}`;
  try {
    await ipCommand(["netns", "add", probe]);
  } catch (e) {
    return { ok: false, reason: `ip netns does not work here (${(e as Error).message})` };
  }
  await ipCommand(["netns", "del", probe]).catch(() => undefined);
  return { ok: true };
}

/** The network namespaces that exist now, by name. */
export async function listNamespaces(): Promise<string[]> {
  const out = await ipCommand(["netns", "list"]).catch(() => "");
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter(Boolean);
}

/** Adds a namespace with its loopback up; one of that exact name from an earlier run is deleted first. */
export async function addNamespace(name: string): Promise<void> {
  if ((await listNamespaces()).includes(name)) await ipCommand(["netns", "del", name]);
  await ipCommand(["netns", "add", name]);
  await ipCommand(["-n", name, "link", "set", "lo", "up"]);
}

/** Deletes a namespace (its veths go with it); a missing one is fine. */
export async function deleteNamespace(name: string): Promise<void> {
  await ipCommand(["netns", "del", name]).catch(() => undefined);
}
