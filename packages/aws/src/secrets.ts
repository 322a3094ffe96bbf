import { readFile } from "node:fs/promises";
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SecretsBackend } from "./resources.ts";

/** Resolves secret names from runtime config to their values. */
export interface SecretStore {
  get(name: string): Promise<string>;
  /** Drops cached values so the next get sees a rotated secret (used by token reload). */
  invalidate(name?: string): void;
}

export class SecretNotFoundError extends Error {
  constructor(readonly secretName: string) {
    super(`secret "${secretName}" is not set`);
    this.name = "SecretNotFoundError";
  }
}

/** Caches values for `ttlMs`, so a Lambda does not call Secrets Manager on every request. */
function cached(fetch: (name: string) => Promise<string>, ttlMs: number, now = Date.now): SecretStore {
  const cache = new Map<string, { value: string; at: number }>();
  return {
    async get(name) {
      const hit = cache.get(name);
      if (hit && now() - hit.at < ttlMs) return hit.value;
      const value = await fetch(name);
      cache.set(name, { value, at: now() });
      return value;
    },
    invalidate(name) {
      if (name) cache.delete(name);
      else cache.clear();
    },
  };
}

/** Local runs: a git-ignored JSON file `{ "name": "value" }`. */
export function fileSecretStore(path: string, ttlMs = 0): SecretStore {
  return cached(async (name) => {
    const data = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    const value = data[name];
    if (typeof value !== "string") throw new SecretNotFoundError(name);
    return value;
  }, ttlMs);
}

/** AWS: one Secrets Manager secret per name, under a per-stage prefix. */
export function secretsManagerStore(
  client: SecretsManagerClient,
  prefix: string,
  ttlMs = 5 * 60_000,
): SecretStore {
  return cached(async (name) => {
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: `${prefix}${name}` }));
      if (out.SecretString === undefined) throw new SecretNotFoundError(name);
      return out.SecretString;
    } catch (e) {
      if ((e as { name?: string }).name === "ResourceNotFoundException") throw new SecretNotFoundError(name);
      throw e;
    }
  }, ttlMs);
}

export function secretStoreFor(backend: SecretsBackend, client: () => SecretsManagerClient): SecretStore {
  return backend.backend === "file"
    ? fileSecretStore(backend.path)
    : secretsManagerStore(client(), backend.prefix);
}
