import type { AdminContext } from "@ztix/auth";
import { describe, expect, it } from "vitest";
import { testConfig } from "../../../test/support/config.ts";
import { runUsersCommand } from "../src/users.ts";

/** A context whose table must not be touched: ASN checks run before anything is read or written. */
const noTable = {
  config: testConfig(),
  get data(): AdminContext["data"] {
    throw new Error("the table was touched");
  },
  actor: "ops:test",
} as AdminContext;

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runUsersCommand(argv, noTable, {
    readStdin: async () => "a long enough password\n",
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("npm run users -- … --asn", () => {
  it.each(["99999999999", "AS99999999999", "4294967296", "0"])(
    "tells an ASN out of range (%s) the range, not 'must be digits'",
    async (asn) => {
      const res = await run(["create", "--username", "alice", "--password-stdin", "--asn", asn]);
      expect(res.code).toBe(1);
      expect(res.err).toBe(
        "error (validation_failed): invalid input: asn: ASN must be between 1 and 4294967295",
      );
    },
  );

  it("still says 'digits' for an ASN that is not a number", async () => {
    const res = await run(["create", "--username", "alice", "--password-stdin", "--asn", "sixty"]);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/asn: must be digits, optionally prefixed AS/);
  });
});
