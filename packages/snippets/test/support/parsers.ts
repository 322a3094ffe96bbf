import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** Runs a checker on `text` written to a scratch file; null when it exits 0, else what it said. */
async function verdict(
  fileName: string,
  text: string,
  command: (dir: string, file: string) => [string, string[]],
): Promise<string | null> {
  const dir = mkdtempSync(join(tmpdir(), "ztix-snippet-"));
  try {
    const file = join(dir, fileName);
    writeFileSync(file, text);
    const [cmd, args] = command(dir, file);
    await execFileAsync(cmd, args, { timeout: 30_000 });
    return null;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return `${err.stdout ?? ""}${err.stderr ?? ""}` || err.message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A member's bird.conf around a snippet: a router id and the member's own prefix sets, the
 * two things the snippet leaves to the member. `defineOwn: false` leaves the sets out.
 */
export function birdMemberConfig(snippets: readonly string[], options: { defineOwn?: boolean } = {}): string {
  const own =
    options.defineOwn === false
      ? []
      : [
          "define ZTIX_OWN_V4 = [ 198.51.100.0/24, 203.0.113.0/24+ ];",
          "define ZTIX_OWN_V6 = [ 2001:db8:1000::/36 ];",
        ];
  return ["router id 192.0.2.10;", ...own, "", ...snippets].join("\n");
}

/** `bird -p`: BIRD's own parser and config checks, without starting the daemon. */
export function birdParseError(config: string): Promise<string | null> {
  return verdict("bird.conf", config, (_dir, file) => ["bird", ["-p", "-c", file]]);
}

/**
 * `vtysh -C -f`: FRR's dry run, vtysh's own command grammar (every daemon's commands are
 * compiled into vtysh) applied node by node, without any daemon running. `--config_dir`
 * points it at a scratch directory holding an empty vtysh.conf, so the check neither reads
 * /etc/frr (mode 0750, frr:frr on Debian: unreadable to a non-root user) nor depends on what
 * is there. A line it cannot place is reported as `line N: % Unknown command` and the exit
 * status is non-zero.
 */
export function frrParseError(config: string): Promise<string | null> {
  return verdict("frr.conf", config, (dir, file) => {
    writeFileSync(join(dir, "vtysh.conf"), "");
    return ["vtysh", ["--config_dir", dir, "-C", "-f", file]];
  });
}

/** Where Debian's frr package puts the daemons (its sbindir). */
export const bgpdPath = "/usr/lib/frr/bgpd";

/**
 * `bgpd -C`: the BGP daemon's own dry run. Where vtysh only checks that each line is a
 * command of its node, bgpd executes the config against a real BGP instance, so it also
 * refuses commands that are well formed but wrong where they stand (a neighbor used before
 * its `remote-as`). It always exits 0 and logs each refusal as `... on config line N: ...`,
 * so the verdict is read from its log. `-S` skips the switch to the frr user and `-p 0`
 * opens no BGP port, so it runs unprivileged; `-Z` leaves zebra out; the vty socket and pid
 * file go to the scratch directory, so nothing outside it is touched.
 */
export async function bgpdParseError(config: string): Promise<string | null> {
  const dir = mkdtempSync(join(tmpdir(), "ztix-snippet-"));
  try {
    const file = join(dir, "bgpd.conf");
    writeFileSync(file, config);
    const args = ["-C", "-S", "-Z", "-p", "0", "-f", file, "--vty_socket", dir, "-i", join(dir, "bgpd.pid")];
    const { stdout, stderr } = await execFileAsync(bgpdPath, args, { timeout: 30_000 });
    // Only the refusals count: unprivileged, bgpd also warns that it cannot make its crash-log directory.
    const refusals = `${stdout}${stderr}`.split("\n").filter((l) => /on config line \d+:|^% /.test(l));
    return refusals.length === 0 ? null : refusals.join("\n");
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return `${err.stdout ?? ""}${err.stderr ?? ""}` || err.message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
