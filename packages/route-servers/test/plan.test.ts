import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { restoreScript, stageAndSwapScript } from "../src/box/scripts.ts";
import {
  type BoxState,
  buildDesiredTree,
  DIGEST_FILE_NAME,
  digestFileText,
  parseBirdOutput,
  parseBoxState,
  parseErrorLocation,
  planApply,
  protocolNames,
  readBoxCommand,
  sha256Hex,
  treeDigest,
} from "../src/index.ts";
import { memberFixture, routeServerFixture, runtimeConfigFixture } from "./support/fixtures.ts";

const rs = routeServerFixture({}, "/srv/rs1");
const config = runtimeConfigFixture([rs]);
const alice = memberFixture({ asn: 64501, nodeId: "a000000001", ipv4: "192.0.2.11" });
const bob = memberFixture({ asn: 64502, nodeId: "b000000002", ipv4: "192.0.2.12" });

/** The box exactly as a previous apply of `members` left it, BIRD running it. */
function boxRunning(members: (typeof alice)[]): BoxState {
  const tree = buildDesiredTree(config, rs, members);
  const files = new Map([...tree.members].map(([n, f]) => [n, f.hash]));
  const digest = treeDigest(tree.policyHash, files);
  files.set(DIGEST_FILE_NAME, sha256Hex(digestFileText(digest)));
  return {
    files,
    unsafeNames: [],
    policyHash: tree.policyHash,
    missingIncludes: [],
    runningDigest: digest,
    runningProtocols: new Set([...tree.members.values()].flatMap((f) => f.protocols)),
  };
}

describe("planning an apply", () => {
  it("has nothing to do when the box and BIRD already match", () => {
    const plan = planApply(buildDesiredTree(config, rs, [alice, bob]), boxRunning([alice, bob]));
    expect(plan).toMatchObject({
      needsApply: false,
      writes: [],
      removes: [],
      added: [],
      changed: [],
      removed: [],
    });
  });

  it("writes only what changes: a new member and the digest, never the rest", () => {
    const plan = planApply(buildDesiredTree(config, rs, [alice, bob]), boxRunning([alice]));
    expect(plan.added).toEqual(["AS64502_000001_b000000002.conf"]);
    expect(plan.writes.map((w) => w.name).sort()).toEqual([
      "AS64502_000001_b000000002.conf",
      DIGEST_FILE_NAME,
    ]);
    expect(plan.policyText).toBeUndefined();
    expect(plan.required.has("m_as64502_000001_b000000002_v4")).toBe(true);
  });

  it("removes members no longer desired, and files of any other name (earlier schemes)", () => {
    const box = boxRunning([alice, bob]);
    box.files.set("AS64501_a000000001.conf", "0".repeat(64));
    const plan = planApply(buildDesiredTree(config, rs, [alice]), box);
    expect(plan.removed).toEqual(["AS64501_a000000001.conf", "AS64502_000001_b000000002.conf"]);
    expect(plan.allowed.has("m_as64502_000001_b000000002_v4")).toBe(false);
  });

  it("rewrites a member whose file differs, and the policy when it changes", () => {
    const box = boxRunning([alice]);
    box.files.set("AS64501_000001_a000000001.conf", "f".repeat(64));
    box.policyHash = "e".repeat(64);
    const plan = planApply(buildDesiredTree(config, rs, [alice]), box);
    expect(plan.changed).toEqual(["AS64501_000001_a000000001.conf"]);
    expect(plan.policyText).toContain("template bgp ztix_member_000001_v4");
  });

  it("reconfigures when BIRD runs another tree or other protocols, even with the files right", () => {
    const desired = buildDesiredTree(config, rs, [alice]);
    const reverted = { ...boxRunning([alice]), runningDigest: "old" };
    expect(planApply(desired, reverted)).toMatchObject({ needsApply: true, writes: [] });
    const handLoaded = boxRunning([alice]);
    handLoaded.runningProtocols.add("m_as64599_000001_dddddddddd_v4");
    expect(planApply(desired, handLoaded)).toMatchObject({ needsApply: true, writes: [] });
    const lostOne = boxRunning([alice]);
    lostOne.runningProtocols.delete("m_as64501_000001_a000000001_v6");
    expect(planApply(desired, lostOne).needsApply).toBe(true);
  });

  it("leaves a refused member as the box has it, and its digest follows the box", () => {
    const box = boxRunning([alice]);
    const changedAlice = { ...alice, maxPrefix: { ipv4: 500 } };
    const desired = buildDesiredTree(config, rs, [changedAlice, bob]);
    const name = "AS64501_000001_a000000001.conf";
    const plan = planApply(desired, box, new Set([name]));
    expect(plan.writes.map((w) => w.name)).not.toContain(name);
    expect(plan.removes).not.toContain(name);
    expect(plan.allowed.has("m_as64501_000001_a000000001_v4")).toBe(true);
    expect(plan.required.has("m_as64501_000001_a000000001_v4")).toBe(false);
    const expected = new Map([
      [name, box.files.get(name)!],
      ["AS64502_000001_b000000002.conf", desired.members.get("AS64502_000001_b000000002.conf")!.hash],
    ]);
    expect(plan.digest).toBe(treeDigest(desired.policyHash, expected));
  });

  it("gives a different digest for any change of any file", () => {
    const one = new Map([["a.conf", "1"]]);
    expect(treeDigest("p", one)).not.toBe(treeDigest("p", new Map([["a.conf", "2"]])));
    expect(treeDigest("p", one)).not.toBe(treeDigest("q", one));
    expect(treeDigest("p", one)).not.toBe(treeDigest("p", new Map([["b.conf", "1"]])));
    expect(
      treeDigest(
        "p",
        new Map([
          ["a", "1"],
          ["b", "2"],
        ]),
      ),
    ).toBe(
      treeDigest(
        "p",
        new Map([
          ["b", "2"],
          ["a", "1"],
        ]),
      ),
    );
  });
});

describe("reading what a route server holds", () => {
  it("parses the one-command read: hashes, includes, running digest and member protocols", () => {
    const { marker } = readBoxCommand(rs, "m");
    const out = [
      "@@m members",
      `${"a".repeat(64)}  ./AS64501_000001_a000000001.conf`,
      `${"b".repeat(64)}  ./${DIGEST_FILE_NAME}`,
      `\\${"c".repeat(64)}  ./we\\nird.conf`,
      `${"d".repeat(64)}  ./.AS64501_000001_a000000001.conf.ztix-new.conf`,
      "@@m policy",
      `${"e".repeat(64)}  -`,
      "@@m main",
      "1",
      "0",
      "@@m bird",
      "0001 BIRD 2.0.12 ready.",
      "0023 abc",
      "@@m protocols",
      "0001 BIRD 2.0.12 ready.",
      "2002-Name       Proto      Table      State  Since         Info",
      "1002-device1    Device     ---        up     21:36:54.362  ",
      "     m_as64501_000001_a000000001_v4 BGP ---  start  21:36:54.362  Active",
      "@@m end",
    ].join("\n");
    const box = parseBoxState(rs, out, marker);
    expect([...box.files.keys()]).toEqual(["AS64501_000001_a000000001.conf", DIGEST_FILE_NAME]);
    expect(box.unsafeNames).toEqual(["we\\nird.conf"]);
    expect(box.policyHash).toBe("e".repeat(64));
    expect(box.missingIncludes).toEqual(['include "/srv/rs1/ztix/members/*.conf";']);
    expect(box.runningDigest).toBe("abc");
    expect([...box.runningProtocols]).toEqual(["m_as64501_000001_a000000001_v4"]);
    expect(box.birdUnreachable).toBeUndefined();
  });

  it("tells an unreachable BIRD from one whose config has no digest yet, and refuses a cut-off read", () => {
    const base = ["@@m members", "@@m policy", "@@m main", "1", "1", "@@m bird"];
    const noDigest = parseBoxState(
      rs,
      [
        ...base,
        "0001 BIRD 2.0.12 ready.",
        "9001 syntax error, unexpected CF_SYM_UNDEFINED",
        "@@m protocols",
        "@@m end",
      ].join("\n"),
      "m",
    );
    expect(noDigest.runningDigest).toBeNull();
    expect(noDigest.birdUnreachable).toBeUndefined();
    const down = parseBoxState(
      rs,
      [
        ...base,
        "Unable to connect to server control socket (/run/bird/bird.ctl): No such file or directory",
        "@@m protocols",
        "@@m end",
      ].join("\n"),
      "m",
    );
    expect(down.birdUnreachable).toMatch(/Unable to connect/);
    expect(() => parseBoxState(rs, base.join("\n"), "m")).toThrow(/could not be read completely/);
  });

  it("reads BIRD's replies by code, continuation lines included", () => {
    const lines = parseBirdOutput(
      "0001 BIRD 2.0.12 ready.\n0002-Reading configuration from /etc/bird/bird.conf\n8002 /etc/bird/ztix/members/AS1_000001_0000000001.conf:9:12 Link-local addresses require defined interface\n",
    );
    expect(lines.map((l) => l.code)).toEqual([2, 8002]);
    expect(parseErrorLocation(lines[1]!.text)).toEqual({
      file: "/etc/bird/ztix/members/AS1_000001_0000000001.conf",
      line: 9,
      message: "Link-local addresses require defined interface",
    });
    expect(parseErrorLocation("Reconfigured")).toBeUndefined();
    expect([
      ...protocolNames(
        parseBirdOutput("2002-Name Proto\n1002-device1 Device\n     s1 Static\n     s2 Static\n"),
      ),
    ]).toEqual(["device1", "s1", "s2"]);
  });
});

describe("the shell scripts an apply sends", () => {
  it("refuses file names that are not plain names, before anything is sent", () => {
    for (const name of ["../etc/passwd.conf", "a b.conf", "x'; rm -rf /.conf", "-x.conf"]) {
      expect(() =>
        stageAndSwapScript(rs, "/srv/rs1/staging/ztix-t", { writes: [{ name, text: "" }], removes: [] }),
      ).toThrow(/unsafe file name/);
      expect(() => restoreScript(rs, "/srv/rs1/staging/ztix-t", [name])).toThrow(/unsafe file name/);
    }
  });

  it("swaps files in byte for byte, keeps what it replaced, and its restore puts that back", () => {
    const dir = mkdtempSync(join(tmpdir(), "ztix-scripts-"));
    try {
      const local = routeServerFixture({}, dir);
      const members = local.paths.members_dir;
      mkdirSync(members, { recursive: true });
      writeFileSync(join(members, "old.conf"), "old\n");
      writeFileSync(join(members, "gone.conf"), "gone\n");
      const text = "line\nZTIX_EOF_\n'quoted' $HOME `uname` \\ \n";
      const txn = join(local.paths.staging_dir, "ztix-t");
      const swap = stageAndSwapScript(local, txn, {
        writes: [
          { name: "new.conf", text },
          { name: "old.conf", text: "replaced\n" },
        ],
        removes: ["gone.conf"],
      });
      expect(execFileSync("sh", ["-s"], { input: swap }).toString()).toContain("ztix-swapped");
      expect(readFileSync(join(members, "new.conf"), "utf8")).toBe(text);
      expect(readFileSync(join(members, "old.conf"), "utf8")).toBe("replaced\n");
      expect(readdirSync(members).sort()).toEqual(["new.conf", "old.conf"]);
      execFileSync("sh", ["-s"], { input: restoreScript(local, txn) });
      expect(readdirSync(members).sort()).toEqual(["gone.conf", "old.conf"]);
      expect(readFileSync(join(members, "old.conf"), "utf8")).toBe("old\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
