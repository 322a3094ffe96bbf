import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { routeServerPolicySchema } from "@ztix/core";
import { afterAll, describe, expect, it } from "vitest";
import { hasCommand, requireSystem } from "../../../test/support/system.ts";
import { renderMainConfig, renderMember, renderPolicy } from "../src/index.ts";
import { birdParseError } from "./support/bird.ts";
import {
  manyMembers,
  memberFixture,
  networkFixture,
  policyFixture,
  routeServerFixture,
} from "./support/fixtures.ts";

describe.skipIf(!requireSystem("bird", hasCommand("bird")))("bird -p accepts what we render", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** Writes a route server's tree and returns bird's verdict on its main config. */
  function parse(
    rpki: Record<string, unknown>,
    policy: ReturnType<typeof policyFixture>,
    members = [memberFixture()],
  ) {
    const dir = mkdtempSync(join(tmpdir(), "ztix-rs-parse-"));
    dirs.push(dir);
    const rs = routeServerFixture({ rpki }, dir);
    mkdirSync(rs.paths.members_dir, { recursive: true });
    writeFileSync(rs.paths.main_config, renderMainConfig(rs));
    writeFileSync(rs.paths.policy_file, renderPolicy(rs, policy, [networkFixture()]));
    for (const m of members) {
      const r = renderMember(m, policy);
      writeFileSync(join(rs.paths.members_dir, r.fileName), r.text);
    }
    return birdParseError(rs.paths.main_config);
  }

  it("accepts the production policy with RTR caches and dual-stack, v4-only and v6-only members", async () => {
    const members = [
      memberFixture(),
      memberFixture({ asn: 64502, nodeId: "aaaaaaaaaa", ipv6: undefined, maxPrefix: { ipv4: 5000 } }),
      memberFixture({ asn: 4200000001, nodeId: "bbbbbbbbbb", ipv4: undefined, ipv6: "2001:db8::22" }),
    ];
    const rpki = {
      rtr_caches: [
        { host: "127.0.0.1", port: 8282 },
        { host: "rtr.example.net", port: 3323 },
      ],
    };
    expect(await parse(rpki, routeServerPolicySchema.parse({}), members)).toBeNull();
  });

  it("accepts the lab policy with static ROAs and no transit-free list", async () => {
    const rpki = {
      static_roas: [
        { prefix: "198.51.100.0/24", max_length: 24, asn: 64501 },
        { prefix: "2001:db8:100::/48", max_length: 48, asn: 64501 },
      ],
    };
    expect(await parse(rpki, policyFixture({ transit_free_asns: [] }))).toBeNull();
  });

  it("accepts a route server with many members and an empty members directory", async () => {
    expect(await parse({}, policyFixture(), manyMembers(200))).toBeNull();
    expect(await parse({}, policyFixture(), [])).toBeNull();
  });

  it("is a real check: a member file with an unknown template is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ztix-rs-parse-"));
    dirs.push(dir);
    const rs = routeServerFixture({}, dir);
    mkdirSync(rs.paths.members_dir, { recursive: true });
    writeFileSync(rs.paths.main_config, renderMainConfig(rs));
    writeFileSync(rs.paths.policy_file, "# no templates\n");
    writeFileSync(
      join(rs.paths.members_dir, "AS1_x.conf"),
      renderMember(memberFixture(), policyFixture()).text,
    );
    expect(await birdParseError(rs.paths.main_config)).toMatch(/AS1_x.conf:4:.*syntax error/);
  });

  it("is a real check: a member BIRD cannot run is refused with its file and line", async () => {
    const out = await parse({}, policyFixture(), [memberFixture({ ipv6: "fe80::1" })]);
    expect(out).toMatch(
      /AS64501_000001_0123456789\.conf:\d+:\d+ Link-local addresses require defined interface/,
    );
  });
});
