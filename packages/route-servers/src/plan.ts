import type { BoxState } from "./box/state.ts";
import { type DesiredTree, digestFileText, treeDigest } from "./desired.ts";
import { sha256Hex } from "./hash.ts";
import { DIGEST_FILE_NAME, type Family, MEMBER_PROTOCOL_PREFIX, memberProtocolName } from "./names.ts";

/** What one apply writes and removes, and what BIRD must run afterwards. */
export interface ApplyTarget {
  /** Files to write in the members directory (member files and the digest file). */
  writes: { name: string; text: string }[];
  /** The policy file's new text, when it changes. */
  policyText?: string;
  /** Files to delete from the members directory. */
  removes: string[];
  /** The digest BIRD must report after the apply. */
  digest: string;
  /** Member protocols that must exist afterwards. */
  required: Set<string>;
  /** Member protocols that may exist afterwards (those of every member file in the tree). */
  allowed: Set<string>;
  /** Member files, for reports: what is new, what changes, what goes. */
  added: string[];
  changed: string[];
  removed: string[];
  /** Whether BIRD must be reconfigured (files change, or it runs something else). */
  needsApply: boolean;
}

/** The protocol names a member file may define, from its name (`AS<asn>_<network>_<node>.conf`). */
export function protocolsOfFileName(name: string): string[] {
  const m = /^AS(\d+)_([0-9a-f]{6})_([0-9a-f]{10})\.conf$/.exec(name);
  if (!m) return [];
  const identity = { asn: Number(m[1]), network: m[2]!, nodeId: m[3]! };
  return (["ipv4", "ipv6"] as Family[]).map((f) => memberProtocolName(identity, f));
}

/**
 * The difference between the desired tree and the box, as one apply. `leaveAlone` names
 * member files the apply must not touch (BIRD refused their desired version, or their member's
 * data cannot be rendered): the box keeps what it has for them. Everything else in the members
 * directory that is not desired is removed, which also migrates earlier naming schemes.
 */
export function planApply(
  desired: DesiredTree,
  box: BoxState,
  leaveAlone: ReadonlySet<string> = new Set(),
): ApplyTarget {
  const writes: ApplyTarget["writes"] = [];
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  const required = new Set<string>();
  const allowed = new Set<string>();
  const targetHashes = new Map<string, string>();

  for (const [name, file] of desired.members) {
    const live = box.files.get(name);
    if (leaveAlone.has(name)) continue;
    targetHashes.set(name, file.hash);
    for (const p of file.protocols) {
      required.add(p);
      allowed.add(p);
    }
    if (live === undefined) {
      added.push(name);
      writes.push({ name, text: file.text });
    } else if (live !== file.hash) {
      changed.push(name);
      writes.push({ name, text: file.text });
    }
  }
  for (const [name, live] of box.files) {
    if (name === DIGEST_FILE_NAME) continue;
    if (leaveAlone.has(name)) {
      targetHashes.set(name, live);
      for (const p of protocolsOfFileName(name)) allowed.add(p);
    } else if (!desired.members.has(name)) removed.push(name);
  }

  const digest = treeDigest(desired.policyHash, targetHashes);
  const digestText = digestFileText(digest);
  if (box.files.get(DIGEST_FILE_NAME) !== sha256Hex(digestText)) {
    writes.push({ name: DIGEST_FILE_NAME, text: digestText });
  }
  const policyChanges = box.policyHash !== desired.policyHash;
  const needsApply =
    writes.length > 0 || removed.length > 0 || policyChanges || !runsTarget(box, digest, required, allowed);
  return {
    writes,
    ...(policyChanges ? { policyText: desired.policyText } : {}),
    removes: removed,
    digest,
    required,
    allowed,
    added: added.sort(),
    changed: changed.sort(),
    removed: removed.sort(),
    needsApply,
  };
}

/** Whether BIRD runs the target: its digest, every required member protocol, no other. */
export function runsTarget(
  box: Pick<BoxState, "runningDigest" | "runningProtocols">,
  digest: string,
  required: ReadonlySet<string>,
  allowed: ReadonlySet<string>,
): boolean {
  if (box.runningDigest !== digest) return false;
  for (const p of required) if (!box.runningProtocols.has(p)) return false;
  for (const p of box.runningProtocols) if (!allowed.has(p)) return false;
  return true;
}

/** Whether a protocol name is one of ours (member sessions); others are the operator's. */
export const isMemberProtocol = (name: string) => name.startsWith(MEMBER_PROTOCOL_PREFIX);
