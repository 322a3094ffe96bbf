import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A stand-in ZeroTier identity: `identity.public` is `<address>:0:<public hex>` and
 * `identity.secret` adds `:<private hex>`, like zerotier-one's files. The address fixes the
 * network-id prefix, so a restore without these files orphans every network (as for real).
 */
export function ensureIdentity(homeDir: string): string {
  const publicPath = join(homeDir, "identity.public");
  if (!existsSync(publicPath)) {
    let address = "";
    // ZeroTier never uses addresses starting with ff (reserved) or 00.
    while (!/^[0-9a-f]{10}$/.test(address) || address.startsWith("ff") || address.startsWith("00")) {
      address = randomBytes(5).toString("hex");
    }
    const pub = randomBytes(64).toString("hex");
    const priv = randomBytes(64).toString("hex");
    writeFileSync(publicPath, `${address}:0:${pub}\n`);
    writeFileSync(join(homeDir, "identity.secret"), `${address}:0:${pub}:${priv}\n`, { mode: 0o600 });
  }
  return readIdentity(homeDir).address;
}

export function readIdentity(homeDir: string): { address: string; publicIdentity: string } {
  const text = readFileSync(join(homeDir, "identity.public"), "utf8").trim();
  const address = text.split(":")[0] ?? "";
  if (!/^[0-9a-f]{10}$/.test(address)) throw new Error(`identity.public in ${homeDir} is malformed`);
  return { address, publicIdentity: text };
}

/** The API token: `authtoken.secret`, created with a random value when missing. */
export function ensureToken(homeDir: string, token?: string): string {
  const path = join(homeDir, "authtoken.secret");
  if (token !== undefined) writeFileSync(path, token, { mode: 0o600 });
  else if (!existsSync(path)) writeFileSync(path, randomBytes(12).toString("hex"), { mode: 0o600 });
  return readFileSync(path, "utf8").trim();
}
