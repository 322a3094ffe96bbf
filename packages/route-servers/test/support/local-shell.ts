import { spawn } from "node:child_process";
import { SshError } from "@ztix/ssh";
import type { LookingGlassShell } from "../../src/looking-glass/index.ts";

export interface LocalShell extends LookingGlassShell {
  /** Every command run, in order: a test counts remote commands with it. */
  readonly commands: string[];
}

/**
 * `SshConnection.exec` on this machine: `sh -c <command>`, the same failures with the same
 * codes (`ssh_exec_timeout`, `ssh_output_too_large`), so the collector cannot tell it from a
 * route server reached over SSH. A command that runs too long is killed with its whole
 * process group (it runs in its own), so nothing it started outlives the test.
 */
export function localShell(): LocalShell {
  const commands: string[] = [];
  return {
    commands,
    exec(command, { timeoutMs, maxOutputBytes }) {
      commands.push(command);
      return new Promise((resolve, reject) => {
        const child = spawn("sh", ["-c", command], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let size = 0;
        let done = false;
        const killGroup = () => {
          try {
            if (child.pid) process.kill(-child.pid, "SIGKILL");
          } catch {
            // Already gone.
          }
        };
        const fail = (e: Error) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          killGroup();
          reject(e);
        };
        const timer = setTimeout(
          () => fail(new SshError("ssh_exec_timeout", `command timed out after ${timeoutMs} ms`, true)),
          timeoutMs,
        );
        const collect = (into: Buffer[]) => (d: Buffer) => {
          size += d.length;
          if (size > maxOutputBytes) {
            fail(new SshError("ssh_output_too_large", `output exceeded ${maxOutputBytes} bytes`, false));
            return;
          }
          into.push(d);
        };
        child.stdout.on("data", collect(out));
        child.stderr.on("data", collect(err));
        child.once("error", (e) => fail(e));
        child.once("close", (code) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          resolve({
            code,
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(err).toString("utf8"),
          });
        });
      });
    },
  };
}
