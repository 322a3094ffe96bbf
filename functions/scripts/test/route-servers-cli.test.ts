import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@ztix/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { birdParseError } from "../../../packages/route-servers/test/support/bird.ts";
import {
  type ReconcileLab,
  startReconcileLab,
} from "../../../packages/route-servers/test/support/reconcile-lab.ts";
import { hasCommand, requireSystem } from "../../../test/support/system.ts";
import type { WorkerDeps } from "../../worker/src/deps.ts";
import { type Poller, startPoller } from "../../worker/src/poller.ts";
import { type RouteServersContext, runRouteServersCommand } from "../src/route-servers.ts";

const present =
  requireSystem("bird", hasCommand("bird") && hasCommand("birdc")) &&
  requireSystem("sshd", existsSync("/usr/sbin/sshd") && hasCommand("ssh-keygen"));

function recorder() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) },
    out,
    err,
    last: () => JSON.parse(out.at(-1)!),
  };
}

describe.skipIf(!present)("npm run route-servers", () => {
  let lab: ReconcileLab;
  let poller: Poller;
  let dir: string;
  const ctx = (): RouteServersContext => {
    const deps = lab.deps();
    return {
      config: lab.config,
      data: lab.stack.data,
      secrets: deps.secrets,
      workflow: {
        config: lab.config,
        data: lab.stack.data,
        sqs: lab.stack.sqs,
        queueUrl: lab.stack.queueUrl,
        log: deps.log,
        now: () => new Date(),
      },
      actor: "ops:test",
      async close() {},
    };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ztix-rs-cli-"));
    lab = await startReconcileLab(["rs-a"]);
    await lab.putMember({ asn: 64501, nodeId: "a000000001", host: 11 });
    await lab.putMember({ asn: 64502, nodeId: "a000000002", host: 12 });
    // The worker that takes the queued reconciles (only reconciles run here: no controller).
    const deps: WorkerDeps = {
      ...lab.deps(),
      provider: () => {
        throw new Error("no controller in this test");
      },
      sqs: lab.stack.sqs,
      queueUrl: lab.stack.queueUrl,
      log: createLogger({ level: "error", sink: () => undefined }),
    };
    poller = startPoller({ deps, sqs: lab.stack.sqs, queueUrl: lab.stack.queueUrl, waitTimeSeconds: 1 });
  }, 60_000);
  afterAll(async () => {
    await poller?.stop();
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("diff shows what a reconcile would change without changing it", async () => {
    const r = recorder();
    expect(await runRouteServersCommand(["diff", "rs-a"], ctx, r.io)).toBe(0);
    expect(r.last()).toMatchObject({
      route_server_id: "rs-a",
      added: ["AS64501_000001_a000000001.conf", "AS64502_000001_a000000002.conf"],
      policy: true,
      in_sync: false,
    });
    expect(readdirSync(lab.hosts.get("rs-a")!.config.paths.members_dir)).toEqual([]);
  });

  it("reconcile goes through the queue and waits for the worker, then status and diff show it in sync", async () => {
    const r = recorder();
    expect(await runRouteServersCommand(["reconcile", "rs-a"], ctx, r.io)).toBe(0);
    expect(r.last()).toMatchObject({
      route_server_id: "rs-a",
      done: true,
      condition: "in_sync",
      member_count: 2,
    });
    expect(await runRouteServersCommand(["status"], ctx, r.io)).toBe(0);
    expect(r.last()).toEqual([
      expect.objectContaining({
        route_server_id: "rs-a",
        condition: "in_sync",
        revision: 1,
        member_count: 2,
        desired_members: 2,
        reconcile_pending: false,
        last_error: null,
      }),
    ]);
    expect(await runRouteServersCommand(["diff", "rs-a"], ctx, r.io)).toBe(0);
    expect(r.last()).toMatchObject({ in_sync: true, added: [], changed: [], removed: [] });
    const trail = await lab.stack.data.entities.auditEvent.query
      .bySubject({ subject: "route-server#rs-a" })
      .go();
    expect(trail.data).toEqual([
      expect.objectContaining({ action: "route_server.reconcile_requested", actorId: "ops:test" }),
    ]);
  });

  it("render writes a tree from a members file that BIRD itself accepts", async () => {
    const membersFile = join(dir, "members.json");
    writeFileSync(
      membersFile,
      JSON.stringify([
        {
          asn: 64501,
          node_id: "a000000001",
          network: "000001",
          ipv4: "192.0.2.2",
          ipv6: "2001:db8:a::2",
          max_prefix: { ipv4: 50 },
        },
        { asn: 64502, node_id: "a000000002", network: "000002", ipv4: "198.51.100.3" },
      ]),
    );
    const out = join(dir, "render");
    const r = recorder();
    const config = () => lab.config;
    expect(
      await runRouteServersCommand(
        ["render", "--rs", "rs-a", "--members", membersFile, "--out", out],
        ctx,
        r.io,
        config,
      ),
    ).toBe(0);
    expect(r.last()).toMatchObject({
      members: 2,
      files: expect.arrayContaining(["bird.conf", "policy.conf", "members/AS64501_000001_a000000001.conf"]),
    });
    expect(await birdParseError(join(out, "bird.conf"))).toBeNull();
  });

  it("refuses bad input with a usage error naming the problem", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify([{ asn: 64501, node_id: "NOT-HEX", network: "000001", ipv4: "192.0.2.2" }]),
    );
    const cases: [string[], RegExp][] = [
      [["render", "--rs", "rs-a", "--members", bad, "--out", dir], /nodeId/],
      [["render", "--rs", "nope", "--members", bad, "--out", dir], /no route server nope/],
      [["reconcile"], /name a route server/],
      [["frobnicate"], /unknown command/],
    ];
    for (const [argv, message] of cases) {
      const r = recorder();
      expect(await runRouteServersCommand(argv, ctx, r.io, () => lab.config)).toBe(2);
      expect(r.err.join("\n")).toMatch(message);
    }
  });
});
