import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ControllerEmulator, startControllerEmulator } from "./server.ts";

/** A controller emulator in a fresh home dir. */
export async function freshEmulator(
  options: { token?: string; ready?: boolean } = {},
): Promise<ControllerEmulator> {
  const homeDir = mkdtempSync(join(tmpdir(), "ztix-zt-home-"));
  return startControllerEmulator({ homeDir, token: options.token ?? "test-token-1", ready: options.ready });
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
}

/** Raw HTTP to the emulator, to check the documented shapes byte for byte. */
export async function raw(
  emu: ControllerEmulator,
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string>; auth?: boolean } = {},
): Promise<RawResponse> {
  const headers = { ...(options.auth === false ? {} : { "X-ZT1-Auth": emu.token }), ...options.headers };
  const res = await fetch(emu.url + path, { method, headers, body: options.body });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}
