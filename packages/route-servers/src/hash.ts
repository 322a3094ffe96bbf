import { createHash } from "node:crypto";

/** sha256 hex of one text, as `sha256sum` prints it. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
