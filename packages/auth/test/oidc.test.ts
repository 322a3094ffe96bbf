import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { clearDiscoveryCache, discover, LoginRefused, redirectUri } from "@ztix/auth";
import { afterEach, describe, expect, it } from "vitest";
import { testConfig } from "../../../test/support/config.ts";

/** A provider's discovery endpoint on this machine, answering as `answer` says. */
async function provider(answer: (issuer: string, req: IncomingMessage, res: ServerResponse) => void) {
  let issuer = "";
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? "");
    answer(issuer, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(server);
  return { issuer, requests };
}
const servers: Server[] = [];

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};
const documentFor = (issuer: string) => ({
  issuer,
  authorization_endpoint: `${issuer}/auth`,
  token_endpoint: `${issuer}/token`,
  userinfo_endpoint: `${issuer}/me`,
  jwks_uri: `${issuer}/jwks`,
});

/** The refusal `discover` ends with (it must refuse). */
async function refusalOf(issuer: string, now?: number): Promise<LoginRefused> {
  const e = await discover(issuer, now).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LoginRefused);
  return e as LoginRefused;
}

afterEach(async () => {
  clearDiscoveryCache();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

describe("PeeringDB discovery", () => {
  it("reads the provider's endpoints from its discovery document", async () => {
    const idp = await provider((issuer, _req, res) => json(res, 200, documentFor(issuer)));
    const { doc } = await discover(`${idp.issuer}/`);
    expect(idp.requests).toEqual(["/.well-known/openid-configuration"]);
    expect(doc).toMatchObject({ issuer: idp.issuer, token_endpoint: `${idp.issuer}/token` });
  });

  it("fetches the document once an hour, not at every sign-in", async () => {
    const idp = await provider((issuer, _req, res) => json(res, 200, documentFor(issuer)));
    const t0 = Date.now();
    await discover(idp.issuer, t0);
    await discover(idp.issuer, t0 + 59 * 60_000);
    expect(idp.requests).toHaveLength(1);
    await discover(idp.issuer, t0 + 60 * 60_000);
    expect(idp.requests).toHaveLength(2);
  });

  it("refuses plain http to a provider off this machine before sending anything", async () => {
    const e = await refusalOf("http://auth.example.net/");
    expect(e).toMatchObject({ code: "auth_misconfigured", reason: "issuer_not_https" });
  });

  it("refuses a document that names another issuer (mix-up) with provider_unavailable", async () => {
    const idp = await provider((_issuer, _req, res) =>
      json(res, 200, documentFor("https://auth.example.net")),
    );
    const e = await refusalOf(idp.issuer);
    expect(e).toMatchObject({
      code: "provider_unavailable",
      reason: "discovery_issuer_mismatch",
      status: 503,
    });
  });

  it("refuses a document without a userinfo endpoint at the start, not halfway through a sign-in", async () => {
    const idp = await provider((issuer, _req, res) => {
      const { userinfo_endpoint: _dropped, ...rest } = documentFor(issuer);
      json(res, 200, rest);
    });
    const e = await refusalOf(idp.issuer);
    expect(e).toMatchObject({ code: "provider_unavailable", reason: "discovery_invalid" });
  });

  it("answers provider_unavailable when discovery fails, and does not cache the failure", async () => {
    let up = false;
    const idp = await provider((issuer, _req, res) =>
      up ? json(res, 200, documentFor(issuer)) : json(res, 500, { error: "server_error" }),
    );
    const e = await refusalOf(idp.issuer);
    expect(e).toMatchObject({ code: "provider_unavailable", reason: "discovery_failed" });
    up = true;
    await expect(discover(idp.issuer)).resolves.toMatchObject({ doc: { issuer: idp.issuer } });
  });

  it("gives up on a provider that never answers after ten seconds", { timeout: 20_000 }, async () => {
    const idp = await provider(() => {
      // Accept the connection, never answer.
    });
    const started = Date.now();
    const e = await refusalOf(idp.issuer);
    const waited = Date.now() - started;
    expect(e).toMatchObject({ code: "provider_unavailable", reason: "discovery_failed" });
    expect(waited).toBeGreaterThanOrEqual(9_500);
    expect(waited).toBeLessThan(15_000);
  });
});

describe("the redirect URI", () => {
  it("is the public URL and the callback path, written the same way in every request", () => {
    const config = testConfig({ public_url: "HTTP://LocalHost:8787/" });
    expect(redirectUri(config)).toBe("http://localhost:8787/auth/callback");
  });
});
