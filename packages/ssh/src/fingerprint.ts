import { createHash } from "node:crypto";

/** OpenSSH's `SHA256:<base64, unpadded>` fingerprint of a raw host key (`ssh-keygen -lf`). */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** Fingerprints compare equal with or without base64 padding. */
export function sameFingerprint(a: string, b: string): boolean {
  return a.replace(/=+$/, "") === b.replace(/=+$/, "");
}
