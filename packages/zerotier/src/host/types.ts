import type { Writable } from "node:stream";
import { type ExecResult, shellQuote } from "@ztix/ssh";

/** The files a controller backup holds: the database and the identity that prefixes every network id. */
export const BACKUP_PATHS = ["controller.d", "identity.public", "identity.secret"] as const;

/**
 * The machine the controller runs on, as backup and restore need it: run a command, stream
 * the state out as tar.gz, put a tar.gz back. An SSH implementation for real hosts and a
 * local one for the emulator's home in dev and tests.
 */
export interface ControllerHost {
  readonly homeDir: string;
  exec(command: string): Promise<ExecResult>;
  /** Streams a tar.gz of BACKUP_PATHS (relative to the home dir) into `sink`. */
  readArchive(sink: Writable): Promise<void>;
  /** Replaces BACKUP_PATHS with the archive's content; the old state stays if extraction fails. */
  writeArchive(archive: Buffer): Promise<void>;
  close(): Promise<void>;
}

export function archiveCommand(homeDir: string): string {
  return `tar czf - -C ${shellQuote(homeDir)} ${BACKUP_PATHS.join(" ")}`;
}

/**
 * Extracts into a fresh directory beside the live state, checks it holds a controller, then
 * swaps it in: a corrupt archive fails before the live files are touched.
 */
export function restoreScript(homeDir: string): string {
  return [
    "set -e",
    `cd ${shellQuote(homeDir)}`,
    "tmp=$(mktemp -d .ztix-restore.XXXXXX)",
    "trap 'rm -rf \"$tmp\" controller.d.ztix-old' EXIT",
    'tar xzf - -C "$tmp"',
    'test -d "$tmp/controller.d" && test -f "$tmp/identity.public" && test -f "$tmp/identity.secret"',
    "rm -rf controller.d.ztix-old",
    "if [ -d controller.d ]; then mv controller.d controller.d.ztix-old; fi",
    'mv "$tmp/controller.d" controller.d',
    'cp -p "$tmp/identity.public" "$tmp/identity.secret" .',
  ].join("\n");
}
