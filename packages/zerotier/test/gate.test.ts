import { AppError } from "@ztix/core";
import { auditTrail, type ControllerStateItem, type DataService } from "@ztix/data";
import { SshError } from "@ztix/ssh";
import { beforeEach, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import {
  ControllerError,
  type ControllerErrorCode,
  controllerErrorCodes,
  errorForStatus,
  errorForTransport,
  isRequestRejection,
} from "../src/errors.ts";
import { closeGate, readGate, setGate } from "../src/lifecycle/gate.ts";

let stack: TestStack;
beforeEach(async () => {
  stack = await testStack();
});

const SINGLETON = { singleton: "controller" } as const;

/** What `createBackup` does to the item: another writer, bumping the version as every writer must. */
const backupPatch = (key: string) =>
  stack.data.entities.controllerState
    .patch(SINGLETON)
    .set({ lastBackupKey: key, updatedAt: new Date().toISOString() })
    .add({ version: 1 })
    .go();

/**
 * The data service, except that the next `times` gate puts are each preceded by `meanwhile`:
 * another writer slipping in between setGate's read and its write.
 */
function racing(meanwhile: () => Promise<unknown>, times: number): DataService {
  const entity = stack.data.entities.controllerState;
  let left = times;
  const put = (item: ControllerStateItem) => {
    const chain = entity.put(item);
    return {
      where: (cb: Parameters<typeof chain.where>[0]) => {
        const conditioned = chain.where(cb);
        return {
          go: async () => {
            if (left-- > 0) await meanwhile();
            return conditioned.go();
          },
        };
      },
    };
  };
  const bound = <T extends object>(target: T, name: PropertyKey, swap: Record<PropertyKey, unknown>) => {
    if (name in swap) return swap[name];
    const value = Reflect.get(target, name);
    return typeof value === "function" ? value.bind(target) : value;
  };
  const controllerState = new Proxy(entity, { get: (t, n) => bound(t, n, { put }) });
  const entities = new Proxy(stack.data.entities, { get: (t, n) => bound(t, n, { controllerState }) });
  return new Proxy(stack.data, { get: (t, n) => bound(t, n, { entities }) });
}

describe("gate writes are conditional on the version they read", () => {
  it("numbers every write, and a write that lost the race is re-decided on the fresh item, keeping the other write", async () => {
    await setGate(stack.data, { open: true, controllerAddress: "1122334455" });
    expect((await readGate(stack.data))?.version).toBe(1);

    const result = await setGate(
      racing(() => backupPatch("controller-backups/test/raced.tar.gz"), 1),
      { open: false, reasonCode: "controller_not_ready", reasonMessage: "503" },
    );

    expect(result).toMatchObject({ applied: true, reopened: false });
    // 1, then the backup's patch (2), then this write, retried on top of it (3).
    expect(await readGate(stack.data)).toMatchObject({
      version: 3,
      gateOpen: false,
      reasonCode: "controller_not_ready",
      lastBackupKey: "controller-backups/test/raced.tar.gz",
    });
  });

  it("gives up with controller_gate_contended, a transient error, when every attempt loses", async () => {
    await setGate(stack.data, { open: true, controllerAddress: "1122334455" });
    const always = racing(
      () => backupPatch("controller-backups/test/again.tar.gz"),
      Number.POSITIVE_INFINITY,
    );
    const attempt = setGate(always, { open: false, reasonCode: "controller_unreachable" });
    await expect(attempt).rejects.toMatchObject({ code: "controller_gate_contended", transient: true });
    expect((await readGate(stack.data))?.gateOpen).toBe(true);
  });

  it("writes over an item from before versions existed only while it still has none", async () => {
    await stack.data.entities.controllerState
      .put({
        ...SINGLETON,
        gateOpen: true,
        controllerAddress: "1122334455",
        updatedAt: "2026-01-01T00:00:00.000Z",
      })
      .go();
    await setGate(stack.data, { open: false, reasonCode: "controller_not_ready" });
    expect(await readGate(stack.data)).toMatchObject({ version: 1, controllerAddress: "1122334455" });
  });
});

describe("a gate a restore holds", () => {
  const hold = {
    open: false,
    reasonCode: "restore_in_progress",
    reasonMessage: "restoring k",
    restoreKey: "k",
  };

  it.each([
    ["opened by a preflight", { open: true, controllerAddress: "1122334455" }],
    ["closed for another reason by a worker", { open: false, reasonCode: "controller_unreachable" }],
  ])("is not %s", async (_what, change) => {
    await setGate(stack.data, { open: true, controllerAddress: "1122334455" });
    await setGate(stack.data, hold, { actorType: "admin" }, { restore: true });
    const audits = (await auditTrail(stack.data, "controller")).length;

    expect(await setGate(stack.data, change)).toMatchObject({ applied: false, refused: "restore_hold" });
    expect(await readGate(stack.data)).toMatchObject({
      gateOpen: false,
      reasonCode: "restore_in_progress",
      restoreKey: "k",
    });
    expect(await auditTrail(stack.data, "controller")).toHaveLength(audits);
  });

  it("is reopened by the restore's own write, which reports it reopened and clears the restore's record", async () => {
    await setGate(stack.data, hold, { actorType: "admin" }, { restore: true });
    const result = await setGate(stack.data, { open: true, controllerAddress: "1122334455" }, undefined, {
      restore: true,
    });
    expect(result).toMatchObject({ applied: true, reopened: true });
    const gate = await readGate(stack.data);
    expect(gate?.gateOpen).toBe(true);
    expect(gate?.restoreKey).toBeUndefined();
  });
});

describe("an opening write based on an older version", () => {
  it("does not undo a close written after that version was read", async () => {
    await setGate(stack.data, {
      open: true,
      controllerAddress: "1122334455",
      lastPreflightAt: "2026-01-01T00:00:00.000Z",
    });
    const readAtStart = (await readGate(stack.data))!.version!;
    await closeGate({ data: stack.data }, new ControllerError("controller_unauthorized", "HTTP 401"));

    const late = await setGate(
      stack.data,
      { open: true, controllerAddress: "1122334455", lastPreflightAt: "2026-01-01T00:01:00.000Z" },
      undefined,
      { expectedVersion: readAtStart },
    );
    expect(late).toMatchObject({ applied: false, refused: "closed_meanwhile" });
    expect(await readGate(stack.data)).toMatchObject({
      gateOpen: false,
      reasonCode: "controller_unauthorized",
    });
  });

  it("refreshes a gate another preflight refreshed meanwhile only if its own check is newer", async () => {
    await setGate(stack.data, {
      open: true,
      controllerAddress: "1122334455",
      lastPreflightAt: "2026-01-01T00:00:00.000Z",
    });
    const readAtStart = (await readGate(stack.data))!.version!;
    await setGate(stack.data, { open: true, lastPreflightAt: "2026-01-01T00:02:00.000Z" });

    const older = { open: true, lastPreflightAt: "2026-01-01T00:01:00.000Z" };
    expect(await setGate(stack.data, older, undefined, { expectedVersion: readAtStart })).toMatchObject({
      applied: false,
      reopened: false,
    });
    expect((await readGate(stack.data))?.lastPreflightAt).toBe("2026-01-01T00:02:00.000Z");
    const newer = { open: true, lastPreflightAt: "2026-01-01T00:03:00.000Z" };
    expect(await setGate(stack.data, newer, undefined, { expectedVersion: readAtStart })).toMatchObject({
      applied: true,
    });
    expect((await readGate(stack.data))?.lastPreflightAt).toBe("2026-01-01T00:03:00.000Z");
  });
});

describe("which controller errors are the request's, and which close the gate", () => {
  const dependencyProblems: [string, ControllerError][] = [
    ["a 401 (token no longer accepted)", errorForStatus(401, "POST member")!],
    ["a 404 on a member write (network missing)", errorForStatus(404, "POST member")!],
    ["a 503 (database loading)", errorForStatus(503, "GET /controller")!],
    ["a 500", errorForStatus(500, "POST member")!],
    ["a changed host key", errorForTransport(new Error("Host key verification failed"), "ssh")],
    [
      "a refused SSH key",
      errorForTransport(Object.assign(new Error("auth"), { level: "client-authentication" }), "ssh"),
    ],
    ["a timeout", errorForTransport(Object.assign(new Error("t"), { level: "client-timeout" }), "ssh")],
    [
      "no route to the host",
      errorForTransport(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }), "http"),
    ],
    ["a missing secret", new ControllerError("controller_secret_missing", "controller_token is not set")],
    [
      "a write the controller trimmed",
      new ControllerError("controller_write_mismatch", "did not keep ipAssignments"),
    ],
  ];

  it("a 400 for a bad member is a rejection of the request", () => {
    const rejected = errorForStatus(400, "POST member");
    expect(rejected?.code).toBe("controller_rejected");
    expect(isRequestRejection(rejected)).toBe(true);
  });

  it.each(dependencyProblems)("%s is the controller's problem, not the request's", (_what, e) => {
    expect(isRequestRejection(e)).toBe(false);
  });

  it("nothing but a ControllerError is a rejection", () => {
    expect(isRequestRejection(new AppError("controller_rejected", "not from the controller"))).toBe(false);
    expect(isRequestRejection(new Error("boom"))).toBe(false);
    expect(isRequestRejection(undefined)).toBe(false);
  });

  it.each([
    ["ssh_host_key_mismatch", false, "controller_host_key_mismatch", false],
    ["ssh_auth_failed", false, "controller_ssh_auth_failed", false],
    ["ssh_private_key_invalid", false, "controller_ssh_auth_failed", false],
    ["ssh_exec_timeout", true, "controller_timeout", true],
    ["ssh_connect_failed", true, "controller_unreachable", true],
    ["ssh_disconnected", true, "controller_unreachable", true],
    ["ssh_forward_failed", true, "controller_unreachable", true],
  ] as const)(
    "an SSH failure %s keeps its meaning as a controller error",
    (sshCode, sshTransient, code, transient) => {
      const e = errorForTransport(
        new SshError(sshCode, "from ssh", sshTransient, { host: "h" }),
        "GET /status",
      );
      expect(e).toMatchObject({ code, transient, message: "GET /status: from ssh" });
      expect(e.details).toMatchObject({ host: "h", ssh_code: sshCode });
    },
  );

  it("says truthfully which codes pass by themselves", () => {
    const transient = (code: ControllerErrorCode) => new ControllerError(code, "x").transient;
    expect(transient("controller_unauthorized")).toBe(false);
    expect(transient("controller_not_restarted")).toBe(false);
    expect(transient("restore_in_progress")).toBe(false);
    expect(transient("restore_failed")).toBe(false);
    expect(transient("controller_gate_contended")).toBe(true);
    expect(transient("controller_unreachable")).toBe(true);
    for (const [code, spec] of Object.entries(controllerErrorCodes)) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)+$/);
      expect(spec.remediation.length).toBeGreaterThan(10);
    }
  });

  it("closeGate closes on a dependency problem and leaves the gate alone on a rejection or a foreign error", async () => {
    await setGate(stack.data, { open: true, controllerAddress: "1122334455" });
    expect(await closeGate({ data: stack.data }, errorForStatus(400, "POST member"))).toMatchObject({
      applied: false,
    });
    expect(await closeGate({ data: stack.data }, new Error("DynamoDB throttled"))).toMatchObject({
      applied: false,
    });
    expect((await readGate(stack.data))?.gateOpen).toBe(true);

    const closed = await closeGate({ data: stack.data }, errorForStatus(401, "POST member"));
    expect(closed).toMatchObject({
      applied: true,
      gate: { gateOpen: false, reasonCode: "controller_unauthorized" },
    });
    expect((await auditTrail(stack.data, "controller")).at(-1)).toMatchObject({
      action: "controller.gate_closed",
      actorId: "worker",
      metadata: { code: "controller_unauthorized" },
    });
  });
});
