import { createHash } from "node:crypto";

/**
 * A content hash of named texts (null = the file must be absent), independent of key order:
 * `sha256:<hex>`. Used as the desired/applied config hash of a member on a route server.
 */
export function contentHash(files: Record<string, string | null>): string {
  const h = createHash("sha256");
  for (const name of Object.keys(files).sort()) {
    const text = files[name];
    // Length-prefixed fields, so no two different inputs can serialize to the same bytes.
    h.update(`${name.length}:${name}`);
    h.update(text === null ? "-" : `${Buffer.byteLength(text)}:${text}`);
  }
  return `sha256:${h.digest("hex")}`;
}

/** sha256 hex of one text, as `sha256sum` prints it. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
