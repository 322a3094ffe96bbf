import { handle, type LambdaEvent } from "hono/aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { testApp } from "../../../test/support/api.ts";
import { TEST_ORIGIN, testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { createApp } from "../src/app.ts";
import { cloudFrontFront } from "../src/deps.ts";
import { ORIGIN_SECRET_HEADER, VIEWER_ADDRESS_HEADER } from "../src/front.ts";

/**
 * The deployed path: CloudFront's router → the API's public Lambda function URL → hono's
 * aws-lambda handler. Requests are function URL events (payload 2.0), so the source address
 * is where AWS puts it; the router's own headers are added only to "through the router" calls.
 */

const ORIGIN_SECRET = "0123456789abcdef0123456789abcdef-test-origin-secret";
/** A CloudFront edge: what the function URL sees as the source of every routed request. */
const EDGE_IP = "130.176.0.1";
const MAX_PER_ADDRESS = 5;

type Handler = ReturnType<typeof handle>;
/** A function URL's answer (payload 2.0): cookies come back as their own list. */
type UrlResult = { statusCode: number; body?: string; cookies?: string[] };

interface Answer {
  status: number;
  body: any;
}

/** A browser (cookies, CSRF header, Origin) calling either through the router or straight at the URL. */
class FunctionUrlCaller {
  private readonly cookies = new Map<string, string>();
  constructor(
    private readonly handler: Handler,
    private readonly route: { sourceIp: string; headers: Record<string, string> },
  ) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {
      host: "apiurl.lambda-url.us-east-1.on.aws",
      ...this.route.headers,
      ...extra,
    };
    if (method !== "GET") {
      headers.origin = TEST_ORIGIN;
      headers["x-csrf-token"] = this.cookies.get("ztix_csrf") ?? "";
    }
    if (body !== undefined) headers["content-type"] = "application/json";
    const event = {
      version: "2.0",
      routeKey: "$default",
      rawPath: path,
      rawQueryString: "",
      cookies: [...this.cookies].map(([k, v]) => `${k}=${v}`),
      headers,
      requestContext: {
        accountId: "anonymous",
        apiId: "apiurl",
        domainName: "apiurl.lambda-url.us-east-1.on.aws",
        domainPrefix: "apiurl",
        http: { method, path, protocol: "HTTP/1.1", sourceIp: this.route.sourceIp, userAgent: "test" },
        requestId: crypto.randomUUID(),
        routeKey: "$default",
        stage: "$default",
        time: new Date().toUTCString(),
        timeEpoch: Date.now(),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      isBase64Encoded: false,
    } as LambdaEvent;
    const result = (await this.handler(event)) as UrlResult;
    for (const line of result.cookies ?? []) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : null };
  }

  async login(username: string, password: string, extra: Record<string, string> = {}) {
    if (!this.cookies.has("ztix_csrf")) await this.call("GET", "/api/v1/auth/csrf");
    return this.call("POST", "/api/v1/auth/local/login", { username, password }, extra);
  }
}

/** Headers a client may forge: none of them is the router's own pair. */
const forgedAddress = (ip: string) => ({
  "x-forwarded-for": ip,
  "cloudfront-viewer-address": `${ip}:443`,
  "x-real-ip": ip,
});

describe("the API behind its CloudFront router (Lambda function URL)", () => {
  let stack: TestStack;
  let handler: Handler;
  const config = testConfig({
    auth: {
      local: {
        throttle: {
          max_failures_per_username: 3,
          max_failures_per_address: MAX_PER_ADDRESS,
          window_seconds: 900,
        },
      },
    },
  });

  beforeAll(async () => {
    stack = await testStack();
    // A clock stopped just inside one throttle window: a window ending mid-test would reset the counts.
    const now = new Date(Math.floor(Date.now() / 900_000) * 900_000 + 1_000);
    const { deps } = testApp(stack, { config, deps: { now: () => now } });
    const app = createApp({ ...deps, front: cloudFrontFront(() => ({ value: ORIGIN_SECRET })) });
    handler = handle(app);
  });

  /** A viewer at `viewerIp` reaching the API through the router (which adds its two headers). */
  const viaRouter = (viewerIp: string) =>
    new FunctionUrlCaller(handler, {
      sourceIp: EDGE_IP,
      headers: { [ORIGIN_SECRET_HEADER]: ORIGIN_SECRET, [VIEWER_ADDRESS_HEADER]: viewerIp },
    });
  /** Someone calling the public function URL itself, writing whatever headers they like. */
  const direct = (sourceIp: string, headers: Record<string, string> = {}) =>
    new FunctionUrlCaller(handler, { sourceIp, headers });

  it("answers a request that came through the router", async () => {
    const res = await viaRouter("198.51.100.10").call("GET", "/api/v1/auth/methods");
    expect(res.status).toBe(200);
    expect(res.body.local.enabled).toBe(true);
  });

  it("refuses with 403 a request straight to the function URL, before reading the table", async () => {
    const attempts = [
      direct("203.0.113.50"),
      direct("203.0.113.50", { [ORIGIN_SECRET_HEADER]: "guess" }),
      direct("203.0.113.50", { [ORIGIN_SECRET_HEADER]: ORIGIN_SECRET.replace(/.$/, "x") }),
      direct("203.0.113.50", { [ORIGIN_SECRET_HEADER]: ORIGIN_SECRET.slice(0, -1) }),
    ];
    for (const caller of attempts) {
      stack.calls.reset();
      const res = await caller.call("GET", "/api/v1/health");
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ code: "forbidden", details: { reason: "origin" } });
      expect(stack.calls.count.total).toBe(0);
    }
  });

  it("never lets a direct caller's forged addresses reach the password check", async () => {
    stack.calls.reset();
    for (let i = 0; i < 30; i++) {
      const forged = `198.51.100.${100 + i}`;
      const caller = direct("203.0.113.60", { ...forgedAddress(forged), [VIEWER_ADDRESS_HEADER]: forged });
      const res = await caller.login(`direct-spray-${i}`, "wrong password");
      expect(res.status).toBe(403);
    }
    // No counter, no audit row, no session lookup: nothing was read or written.
    expect(stack.calls.count.total).toBe(0);
  });

  it("counts 30 usernames sprayed through the router under 30 forged addresses against the viewer's one address", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const forged = `192.0.2.${100 + i}`;
      const res = await viaRouter("203.0.113.70").login(
        `spray-${i}`,
        "wrong password",
        forgedAddress(forged),
      );
      statuses.push(res.status);
      if (res.status === 429) expect(res.body.error.code).toBe("too_many_requests");
    }
    expect(statuses.slice(0, MAX_PER_ADDRESS)).toEqual(Array(MAX_PER_ADDRESS).fill(401));
    expect(statuses.slice(MAX_PER_ADDRESS)).toEqual(Array(30 - MAX_PER_ADDRESS).fill(429));
    const rows = (await stack.data.entities.loginThrottle.scan.go({ pages: "all" })).data;
    expect(rows.map((r) => r.key).filter((k) => k.startsWith("address:"))).toEqual(["address:203.0.113.70"]);
  });

  it("gives each viewer behind the same edge its own counter", async () => {
    for (let i = 0; i < MAX_PER_ADDRESS; i++) {
      expect((await viaRouter("203.0.113.80").login(`edge-a-${i}`, "nope")).status).toBe(401);
    }
    expect((await viaRouter("203.0.113.80").login("edge-a-last", "nope")).status).toBe(429);
    expect((await viaRouter("203.0.113.81").login("edge-b", "nope")).status).toBe(401);
  });

  it("fails loudly, rather than serving anyone, when the origin secret is not linked", async () => {
    expect(() => cloudFrontFront(() => undefined).originSecret()).toThrow(/ApiOriginSecret link is missing/);
    expect(() => cloudFrontFront(() => ({ value: "too-short" })).originSecret()).toThrow(
      /shorter than 32 characters/,
    );
    const { deps } = testApp(stack, { config });
    const unlinked = handle(createApp({ ...deps, front: cloudFrontFront(() => undefined) }));
    const res = await new FunctionUrlCaller(unlinked, {
      sourceIp: EDGE_IP,
      headers: { [ORIGIN_SECRET_HEADER]: ORIGIN_SECRET },
    }).call("GET", "/api/v1/auth/methods");
    expect(res.status).toBe(500);
  });
});
