import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SshTarget } from "@ztix/core";
import { type SshdInstance, sshdPresent, startSshd } from "@ztix/local-stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireSystem } from "../../../test/support/system.ts";
import { SshConnection, type SshError, sameFingerprint, shellQuote } from "../src/index.ts";

const run = requireSystem("sshd", sshdPresent());

describe("sameFingerprint", () => {
  it("ignores base64 padding and nothing else", () => {
    expect(sameFingerprint("SHA256:abc=", "SHA256:abc")).toBe(true);
    expect(sameFingerprint("SHA256:abc", "SHA256:abd")).toBe(false);
  });
});

describe.skipIf(!run)("SshConnection against a real OpenSSH server on loopback", () => {
  let sshd: SshdInstance;
  const open: SshConnection[] = [];

  const target = (overrides: Partial<SshTarget> = {}): SshTarget => ({
    host: "127.0.0.1",
    port: sshd.port,
    user: sshd.user,
    host_key_fingerprint: sshd.hostKeyFingerprint,
    private_key: { secret: "unused-here" },
    connect_timeout_ms: 5_000,
    ...overrides,
  });
  const connection = (overrides: Partial<SshTarget> = {}, key?: string) => {
    const c = new SshConnection(target(overrides), async () => key ?? sshd.userPrivateKey);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await sshd?.stop();
  });

  it("connects to the host whose key is pinned and runs a command", async () => {
    const ssh = connection();
    expect(await ssh.exec("echo hello; echo oops >&2; exit 3")).toEqual({
      code: 3,
      stdout: "hello\n",
      stderr: "oops\n",
    });
    expect(ssh.connected).toBe(true);
  });

  it("accepts the pinned fingerprint written with base64 padding", async () => {
    const ssh = connection({ host_key_fingerprint: `${sshd.hostKeyFingerprint}=` });
    expect((await ssh.exec("true")).code).toBe(0);
  });

  it("refuses a host whose key is not the pinned one, before authenticating", async () => {
    const loginsBefore = sshd.logins();
    const ssh = connection({ host_key_fingerprint: sshd.otherFingerprint });
    const err = (await ssh.exec("true").catch((e) => e)) as SshError;
    expect(err.code).toBe("ssh_host_key_mismatch");
    expect(err.transient).toBe(false);
    expect(err.details).toMatchObject({ host: "127.0.0.1", offered: sshd.hostKeyFingerprint });
    expect(err.message).toContain(sshd.hostKeyFingerprint);
    expect(err.message).toContain(sshd.otherFingerprint);
    expect(ssh.connected).toBe(false);
    expect(sshd.logins()).toBe(loginsBefore);
  });

  it("reports a key the server does not accept as ssh_auth_failed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ztix-stranger-"));
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "key")]);
    const stranger = readFileSync(join(dir, "key"), "utf8");
    rmSync(dir, { recursive: true, force: true });
    const err = (await connection({}, stranger)
      .exec("true")
      .catch((e) => e)) as SshError;
    expect(err.code).toBe("ssh_auth_failed");
    expect(err.transient).toBe(false);
  });

  it("reports a private key it cannot read as ssh_private_key_invalid", async () => {
    const err = (await connection({}, "not a key")
      .exec("true")
      .catch((e) => e)) as SshError;
    expect(err.code).toBe("ssh_private_key_invalid");
    expect(err.transient).toBe(false);
  });

  it("reports a port nobody listens on as a transient ssh_connect_failed", async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const err = (await connection({ port: closed })
      .exec("true")
      .catch((e) => e)) as SshError;
    expect(err.code).toBe("ssh_connect_failed");
    expect(err.transient).toBe(true);
  });

  it("abandons a command that outlives its timeout, and the connection still serves the next one", async () => {
    const ssh = connection();
    const started = Date.now();
    const err = (await ssh.exec("sleep 5", { timeoutMs: 300 }).catch((e) => e)) as SshError;
    expect(err.code).toBe("ssh_exec_timeout");
    expect(err.transient).toBe(true);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((await ssh.exec("echo still here")).stdout).toBe("still here\n");
  });

  it("refuses output beyond the limit instead of collecting it", async () => {
    const err = (await connection()
      .exec("head -c 100000 /dev/zero", { maxOutputBytes: 1_000 })
      .catch((e) => e)) as SshError;
    expect(err.code).toBe("ssh_output_too_large");
  });

  it("quotes any word so a real remote shell gets it back byte for byte", async () => {
    const ssh = connection();
    const words = [
      "",
      "plain",
      "two words",
      "it's",
      "''",
      `"double" and 'single'`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion, on purpose
      "$HOME `id` $(id) ${PATH}",
      "semi; colon && and || pipe | amp &",
      "glob * ? [a-z] ~user",
      "back\\slash \\' \\n",
      "new\nline\ttab",
      "-n",
      "ünïcödé ✓",
    ];
    for (const word of words) {
      const res = await ssh.exec(`printf %s ${shellQuote(word)}`);
      expect({ word, code: res.code, stdout: res.stdout }).toEqual({ word, code: 0, stdout: word });
    }
    // Nested: a quoted script run by `sh -c`, as the controller restore does.
    const script = `w='it'"'"'s'; printf '%s|' "$w" ${shellQuote("a b")}`;
    expect((await ssh.exec(`sh -c ${shellQuote(script)}`)).stdout).toBe("it's|a b|");
  });

  it("pipes stdin to the command", async () => {
    expect((await connection().exec("tr a-z A-Z", { stdin: "hello\n" })).stdout).toBe("HELLO\n");
  });

  it("forwards a TCP stream to a port as seen from the server (ssh -L)", async () => {
    const echo: Server = createServer((sock) => sock.pipe(sock));
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    const { port } = echo.address() as { port: number };
    try {
      const stream = await connection().forward("127.0.0.1", port);
      const reply = new Promise<string>((resolve) =>
        stream.once("data", (d: Buffer) => resolve(d.toString())),
      );
      stream.write("ping");
      expect(await reply).toBe("ping");
      stream.end();
    } finally {
      echo.close();
    }
  });

  it("reconnects by itself after the connection drops", async () => {
    const ssh = connection();
    await ssh.exec("true");
    const before = sshd.logins();
    sshd.dropConnections();
    await expect.poll(() => ssh.connected, { timeout: 5_000 }).toBe(false);
    expect((await ssh.exec("echo back")).stdout).toBe("back\n");
    expect(sshd.logins()).toBe(before + 1);
  });
});
