import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Json } from "./objects.ts";

/**
 * The controller's database as zerotier-one keeps it: loaded from
 * `controller.d/network/<nwid>.json` and `controller.d/network/<nwid>/member/<id>.json` once,
 * at start, then served from memory and written back record by record when a write changes
 * something. Files changed or deleted under it meanwhile are not seen until the next load
 * (a restart), exactly like the real controller, so a restore that forgets to restart the
 * controller is caught by the tests instead of hidden by them.
 */
export class ControllerDatabase {
  private readonly networks = new Map<string, Json>();
  /** Members per network, keyed by the lower-case id (records keep the id as it was sent). */
  private readonly members = new Map<string, Map<string, Json>>();

  private constructor(private readonly homeDir: string) {}

  static load(homeDir: string): ControllerDatabase {
    const db = new ControllerDatabase(homeDir);
    const dir = db.networkDir;
    if (!existsSync(dir)) return db;
    for (const file of readdirSync(dir).sort()) {
      const m = file.match(/^([0-9a-f]{16})\.json$/);
      if (!m) continue;
      const nwid = m[1]!;
      const network = readJson(join(dir, file));
      if (!network) continue;
      db.networks.set(nwid, network);
      const members = new Map<string, Json>();
      const memberDir = db.memberDir(nwid);
      if (existsSync(memberDir)) {
        for (const f of readdirSync(memberDir).sort()) {
          const mm = f.match(/^([0-9a-fA-F]{10})\.json$/);
          const member = mm ? readJson(join(memberDir, f)) : null;
          if (mm && member) members.set(mm[1]!.toLowerCase(), member);
        }
      }
      db.members.set(nwid, members);
    }
    return db;
  }

  private get networkDir() {
    return join(this.homeDir, "controller.d", "network");
  }

  private memberDir(nwid: string) {
    return join(this.networkDir, nwid, "member");
  }

  listNetworks(): string[] {
    return [...this.networks.keys()].sort();
  }

  getNetwork(nwid: string): Json | null {
    return copy(this.networks.get(nwid));
  }

  /**
   * Saves a network if it differs from the stored one (ignoring `revision`), bumping the
   * revision and writing its file; an identical record changes nothing. Returns what is stored.
   */
  saveNetwork(nwid: string, network: Json): Json {
    const saved = saveRecord(this.networks.get(nwid), network);
    if (saved !== this.networks.get(nwid)) {
      this.networks.set(nwid, saved);
      if (!this.members.has(nwid)) this.members.set(nwid, new Map());
      writeJson(join(this.networkDir, `${nwid}.json`), saved);
    }
    return copy(saved)!;
  }

  deleteNetwork(nwid: string): void {
    this.networks.delete(nwid);
    this.members.delete(nwid);
    rmSync(join(this.networkDir, `${nwid}.json`), { force: true });
    rmSync(join(this.networkDir, nwid), { recursive: true, force: true });
  }

  listMembers(nwid: string): Json[] {
    const members = this.members.get(nwid) ?? new Map<string, Json>();
    return [...members.keys()].sort().map((k) => copy(members.get(k))!);
  }

  getMember(nwid: string, id: string): Json | null {
    return copy(this.members.get(nwid)?.get(id.toLowerCase()));
  }

  /** As saveNetwork, for a member; the file is named by the lower-case id. */
  saveMember(nwid: string, id: string, member: Json): Json {
    const key = id.toLowerCase();
    const members = this.members.get(nwid);
    if (!members) throw new Error(`network ${nwid} does not exist`);
    const saved = saveRecord(members.get(key), member);
    if (saved !== members.get(key)) {
      members.set(key, saved);
      writeJson(join(this.memberDir(nwid), `${key}.json`), saved);
    }
    return copy(saved)!;
  }

  deleteMember(nwid: string, id: string): void {
    const key = id.toLowerCase();
    this.members.get(nwid)?.delete(key);
    rmSync(join(this.memberDir(nwid), `${key}.json`), { force: true });
  }
}

/** The stored record itself when nothing but the revision would change, else a new revision. */
function saveRecord(stored: Json | undefined, next: Json): Json {
  if (stored && canonical({ ...stored, revision: 0 }) === canonical({ ...next, revision: 0 })) return stored;
  return { ...copy(next), revision: Number(stored?.revision ?? 0) + 1 };
}

/** JSON with object keys sorted, as nlohmann::json (a sorted map) prints records. */
export function canonical(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object" && value !== null) {
    const obj = value as Json;
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .map((k) => [k, sortKeys(obj[k])]),
    );
  }
  return value;
}

function copy(value: Json | undefined): Json | null {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as Json);
}

function readJson(path: string): Json | null {
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : null;
  } catch {
    return null; // an unreadable record is skipped at load, not fatal to the whole database
  }
}

function writeJson(path: string, value: Json): void {
  mkdirSync(join(path, ".."), { recursive: true });
  // Write-then-rename, so a backup taken mid-write never archives half a file.
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, canonical(value, 2));
  renameSync(tmp, path);
}
