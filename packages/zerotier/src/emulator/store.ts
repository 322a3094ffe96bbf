import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type Json = Record<string, unknown>;

/**
 * The controller's file-backed database, laid out like zerotier-one's:
 * `controller.d/network/<nwid>.json` and `controller.d/network/<nwid>/member/<id>.json`.
 * Synchronous on purpose: each HTTP request then reads and writes atomically with respect to
 * the others, and the files are the only state, so a restore of the files is a restore.
 */
export class FileStore {
  constructor(private readonly homeDir: string) {}

  private get networkDir() {
    return join(this.homeDir, "controller.d", "network");
  }

  private networkPath(nwid: string) {
    return join(this.networkDir, `${nwid}.json`);
  }

  private memberDir(nwid: string) {
    return join(this.networkDir, nwid, "member");
  }

  listNetworks(): string[] {
    if (!existsSync(this.networkDir)) return [];
    return readdirSync(this.networkDir)
      .filter((f) => /^[0-9a-f]{16}\.json$/.test(f))
      .map((f) => f.slice(0, 16))
      .sort();
  }

  getNetwork(nwid: string): Json | null {
    return readJson(this.networkPath(nwid));
  }

  putNetwork(nwid: string, network: Json): void {
    writeJson(this.networkPath(nwid), network);
  }

  deleteNetwork(nwid: string): void {
    rmSync(this.networkPath(nwid), { force: true });
    rmSync(join(this.networkDir, nwid), { recursive: true, force: true });
  }

  listMembers(nwid: string): Json[] {
    const dir = this.memberDir(nwid);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => readJson(join(dir, f)))
      .filter((m): m is Json => m !== null);
  }

  getMember(nwid: string, id: string): Json | null {
    return readJson(join(this.memberDir(nwid), `${id}.json`));
  }

  putMember(nwid: string, id: string, member: Json): void {
    writeJson(join(this.memberDir(nwid), `${id}.json`), member);
  }

  deleteMember(nwid: string, id: string): void {
    rmSync(join(this.memberDir(nwid), `${id}.json`), { force: true });
  }
}

function readJson(path: string): Json | null {
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, "utf8")) as Json;
}

function writeJson(path: string, value: Json): void {
  mkdirSync(join(path, ".."), { recursive: true });
  // Write-then-rename, so a backup taken mid-write never archives half a file.
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2));
  renameSync(tmp, path);
}
