import { spawn } from "node:child_process";
import type { Writable } from "node:stream";
import type { ExecResult } from "@ztix/ssh";
import { archiveCommand, type ControllerHost, restoreScript } from "./types.ts";

function run(command: string, io: { stdin?: Buffer; stdout?: Writable } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    if (io.stdout) child.stdout.pipe(io.stdout);
    else child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
    child.stdin.end(io.stdin);
  });
}

/** The controller home on this machine (the emulator's, in dev and tests). */
export function localControllerHost(homeDir: string): ControllerHost {
  return {
    homeDir,
    exec: (command) => run(command),
    async readArchive(sink) {
      const res = await run(archiveCommand(homeDir), { stdout: sink });
      if (res.code !== 0) throw new Error(`archiving ${homeDir} failed: ${res.stderr.trim()}`);
    },
    async writeArchive(archive) {
      const res = await run(restoreScript(homeDir), { stdin: archive });
      if (res.code !== 0) throw new Error(`restoring into ${homeDir} failed: ${res.stderr.trim()}`);
    },
    async close() {},
  };
}
