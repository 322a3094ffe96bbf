import { describe, expect, it } from "vitest";
import { safeNext } from "../src/lib/guards.ts";

const ORIGIN = "https://ix.example.net";

/** What the login page reads from `/login?next=...` (URLSearchParams decodes %-escapes). */
const nextOf = (query: string) => new URL(`${ORIGIN}/login?${query}`).searchParams.get("next");

describe("the post-login destination (safeNext)", () => {
  it.each([
    ["/dashboard", "/dashboard"],
    ["/requests/abc?tab=log#events", "/requests/abc?tab=log#events"],
    ["/requests/a%2Fb", "/requests/a%2Fb"],
    ["/admin/requests?status=pending&q=AS64500", "/admin/requests?status=pending&q=AS64500"],
    [`${ORIGIN}/admin/requests?status=pending`, "/admin/requests?status=pending"],
    // Still encoded after decoding once: a harmless path segment on this site.
    ["/%5Cevil.example/x", "/%5Cevil.example/x"],
  ])("keeps the same-origin destination %j as %j", (next, expected) => {
    expect(safeNext(next, ORIGIN)).toBe(expected);
  });

  it.each([
    "//evil.example/x",
    "///evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example/x",
    "/\\/evil.example/x",
    "/\t/evil.example/x",
    "/\n/evil.example/x",
    "/\r\n/evil.example/x",
    "\t//evil.example/x",
    " //evil.example/x",
    "/.//evil.example/x",
    "https://evil.example/x",
    "http://ix.example.net/dashboard",
    "https://ix.example.net.evil.example/",
    "https://ix.example.net@evil.example/",
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
  ])("rejects a next that leaves the site: %j", (next) => {
    expect(safeNext(next, ORIGIN)).toBeNull();
  });

  it.each([
    "next=/%5Cevil.example/x",
    "next=/%5C%5Cevil.example",
    "next=/%09/evil.example",
    "next=/%0A/evil.example",
    "next=%2F%2Fevil.example",
    "next=https%3A%2F%2Fevil.example",
    "next=javascript%3Aalert(1)",
  ])("rejects the encoded attack in /login?%s once the query is decoded", (query) => {
    expect(safeNext(nextOf(query), ORIGIN)).toBeNull();
  });

  it("rejects a missing or empty next, and has no destination without an origin to resolve against", () => {
    expect(safeNext(null, ORIGIN)).toBeNull();
    expect(safeNext("", ORIGIN)).toBeNull();
    // Outside a browser (no window.location) nothing can be shown to be same-origin.
    expect(safeNext("/dashboard")).toBeNull();
  });
});
