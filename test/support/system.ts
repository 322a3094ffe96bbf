import { execFileSync } from "node:child_process";

/** True when CI demands the system tests (BIRD, sshd, netns, chromium) run rather than skip. */
export const systemTestsRequired = process.env.ZTIX_REQUIRE_SYSTEM_TESTS === "1";

/** Whether an executable is on PATH (or at an absolute path). */
export function hasCommand(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${JSON.stringify(cmd)}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides whether a system test suite runs. Missing tools skip it with a notice, unless
 * ZTIX_REQUIRE_SYSTEM_TESTS=1, where a missing tool is an error (CI installs them all).
 * Use as: `describe.skipIf(!requireSystem("bird", hasCommand("bird")))(...)`.
 */
export function requireSystem(name: string, present: boolean): boolean {
  if (present) return true;
  if (systemTestsRequired) {
    throw new Error(`${name} is required (ZTIX_REQUIRE_SYSTEM_TESTS=1) but missing on this machine`);
  }
  console.warn(`[skip] ${name} is not available here: its system tests are skipped`);
  return false;
}

/** Root can create network namespaces only where the kernel and sandbox allow it. */
export function canUseNetns(): boolean {
  if (!hasCommand("ip")) return false;
  const name = `ztix-probe-${process.pid}`;
  try {
    execFileSync("ip", ["netns", "add", name], { stdio: "ignore" });
    execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
