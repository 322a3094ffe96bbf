import { Readable } from "node:stream";
import type { SshConnection } from "../ssh.ts";
import { archiveCommand, type ControllerHost, restoreScript, shellQuote } from "./types.ts";

/** The controller host over SSH (the same pinned-key connection type the API channel uses). */
export function sshControllerHost(ssh: SshConnection, homeDir: string): ControllerHost {
  return {
    homeDir,
    exec: (command) => ssh.exec(command),
    async readArchive(sink) {
      const res = await ssh.exec(archiveCommand(homeDir), { stdout: sink });
      if (res.code !== 0)
        throw new Error(`archiving ${homeDir} over SSH failed (exit ${res.code}): ${res.stderr.trim()}`);
    },
    async writeArchive(archive) {
      const res = await ssh.exec(`sh -c ${shellQuote(restoreScript(homeDir))}`, {
        stdin: Readable.from([archive]),
      });
      if (res.code !== 0)
        throw new Error(`restoring into ${homeDir} over SSH failed (exit ${res.code}): ${res.stderr.trim()}`);
    },
    close: () => ssh.close(),
  };
}
