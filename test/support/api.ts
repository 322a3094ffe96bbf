import { fileSecretStore } from "@ztix/aws";
import { createLogger, type RuntimeConfig } from "@ztix/core";
import { createApp } from "../../functions/api/src/app.ts";
import type { AppDeps } from "../../functions/api/src/env.ts";
import { TEST_ORIGIN, testConfig } from "./config.ts";
import type { TestStack } from "./stack.ts";

/** The real HTTP app wired to a test stack (DynamoDB Local + fauxqs), quiet logs. */
export function testApp(stack: TestStack, options: { config?: RuntimeConfig; deps?: Partial<AppDeps> } = {}) {
  const deps: AppDeps = {
    config: options.config ?? testConfig(),
    data: stack.data,
    dynamo: stack.dynamo,
    tableName: stack.names.tableName,
    sqs: stack.sqs,
    queueUrl: stack.queueUrl,
    secrets: fileSecretStore(stack.secretsPath),
    log: createLogger({ level: (process.env.TEST_LOG_LEVEL as "debug") ?? "error" }),
    now: () => new Date(),
    ...options.deps,
  };
  const app = createApp(deps);
  return { app, deps, client: () => new ApiClient(app) };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

type Fetcher = { request: (input: string, init?: RequestInit) => Response | Promise<Response> };

/**
 * Talks to the app like the SPA in a browser does: keeps cookies, sends Origin and the
 * CSRF header on writes. `raw()` sends exactly what it is given, for negative tests.
 */
export class ApiClient {
  readonly cookies = new Map<string, string>();
  constructor(private readonly app: Fetcher) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private absorb(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (!value || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async raw(path: string, init: RequestInit = {}): Promise<ApiResponse> {
    const headers = new Headers(init.headers);
    if (this.cookies.size && !headers.has("cookie")) headers.set("cookie", this.cookieHeader());
    const res = await this.app.request(`${TEST_ORIGIN}${path}`, { ...init, headers });
    this.absorb(res);
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {}
    return { status: res.status, body, headers: res.headers };
  }

  get<T = any>(path: string): Promise<ApiResponse<T>> {
    return this.raw(path) as Promise<ApiResponse<T>>;
  }

  /** A write as the SPA sends it (CSRF cookie fetched first if needed). */
  async send<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    if (!this.cookies.has("ztix_csrf")) await this.raw("/api/v1/health");
    const headers: Record<string, string> = {
      origin: TEST_ORIGIN,
      "x-csrf-token": this.cookies.get("ztix_csrf") ?? "",
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    return this.raw(path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    }) as Promise<ApiResponse<T>>;
  }

  post<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.send<T>("POST", path, body);
  }
}
