/**
 * Plays the browser between the SPA and the OpenID provider: follows redirects by hand
 * (Node's fetch keeps no cookies), keeps the provider's cookies, fills in its login form
 * and stops at our redirect URI, returning what the SPA's /auth/callback page would post.
 */
export interface ProviderReturn {
  code?: string;
  state?: string;
  error?: string;
  iss?: string;
}

export async function signInAtProvider(
  authorizationUrl: string,
  redirectUri: string,
  credentials: { username: string; password: string },
): Promise<ProviderReturn> {
  const jar = new Map<string, string>();
  const absorb = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (!value || /expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
  };
  const go = async (url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    absorb(res);
    return res;
  };

  let url = authorizationUrl;
  let init: RequestInit = {};
  let loggedIn = false;
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(redirectUri)) {
      const params = new URL(url).searchParams;
      const out: ProviderReturn = {};
      for (const key of ["code", "state", "error", "iss"] as const) {
        const v = params.get(key);
        if (v !== null) out[key] = v;
      }
      return out;
    }
    const res = await go(url, init);
    init = {};
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).toString();
      continue;
    }
    const body = await res.text();
    const form = /<form method="post" action="([^"]+)"/.exec(body);
    if (res.status === 200 && form && !loggedIn) {
      loggedIn = true;
      url = new URL(form[1]!, url).toString();
      init = {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(credentials).toString(),
      };
      continue;
    }
    throw new Error(`provider answered ${res.status} at ${url}: ${body.slice(0, 300)}`);
  }
  throw new Error("too many redirects at the provider");
}
