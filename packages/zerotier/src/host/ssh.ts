import { Readable } from "node:stream";
import { type ExecResult, type SshConnection, shellQuote } from "@ztix/ssh";
import { errorForTransport } from "../errors.ts";
import { archiveCommand, type ControllerHost, restoreScript } from "./types.ts";

/** A controller's state is a few MB at most; this bounds a stalled archive stream, not a slow one. */
const ARCHIVE_TIMEOUT_MS = 10 * 60_000;

/**
 * The controller host over SSH (the same pinned-key connection type the API channel uses).
 * SSH failures come back as ControllerErrors (`controller_host_key_mismatch`,
 * `controller_unreachable`, ...), as the API channel's do.
 */
export function sshControllerHost(ssh: SshConnection, homeDir: string): ControllerHost {
  const run = (what: string, p: Promise<ExecResult>) =>
    p.catch((e: unknown) => {
      throw errorForTransport(e, what);
    });
  return {
    homeDir,
    exec: (command) => run("ssh exec", ssh.exec(command)),
    async readArchive(sink) {
      const res = await run(
        `archiving ${homeDir} over SSH`,
        ssh.exec(archiveCommand(homeDir), { stdout: sink, timeoutMs: ARCHIVE_TIMEOUT_MS }),
      );
      if (res.code !== 0)
        throw new Error(`archiving ${homeDir} over SSH failed (exit ${res.code}): ${res.stderr.trim()}`);
    },
    async writeArchive(archive) {
      const res = await run(
        `restoring into ${homeDir} over SSH`,
        ssh.exec(`sh -c ${shellQuote(restoreScript(homeDir))}`, {
          stdin: Readable.from([archive]),
          timeoutMs: ARCHIVE_TIMEOUT_MS,
        }),
      );
      if (res.code !== 0)
        throw new Error(`restoring into ${homeDir} over SSH failed (exit ${res.code}): ${res.stderr.trim()}`);
    },
    close: () => ssh.close(),
  };
}
