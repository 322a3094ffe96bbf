import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A tiny stand-in for ZeroTier Central's v1 API shapes (networks with settings under
 * `config`, members with `config.authorized` / `config.ipAssignments`), enough to
 * contract-test the compatibility provider offline. Networks must exist beforehand, as on
 * Central, where ids are chosen by Central.
 */
export async function startCentralFake(options: { token: string; networks: string[] }) {
  const networks = new Map<string, Record<string, unknown>>();
  const members = new Map<string, Record<string, unknown>>();
  for (const id of options.networks) {
    networks.set(id, {
      id,
      config: { name: "", private: true, mtu: 2800, routes: [], ipAssignmentPools: [] },
    });
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const send = (status: number, body?: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(body === undefined ? "" : JSON.stringify(body));
      };
      if (req.headers.authorization !== `token ${options.token}`)
        return send(401, { message: "unauthorized" });
      const body = chunks.length
        ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>)
        : {};
      const path = (req.url ?? "").replace(/^\/api\/v1/, "");
      let m = path.match(/^\/network\/([0-9a-f]{16})\/member\/([0-9a-f]{10})$/);
      if (m) {
        const [, nwid, id] = m as unknown as [string, string, string];
        if (!networks.has(nwid)) return send(404);
        const key = `${nwid}-${id}`;
        if (req.method === "GET") return members.has(key) ? send(200, members.get(key)) : send(404);
        if (req.method === "DELETE") return members.delete(key) ? send(200, {}) : send(404);
        const prev = members.get(key) ?? {
          id: key,
          networkId: nwid,
          nodeId: id,
          name: "",
          config: { authorized: false, ipAssignments: [] },
        };
        const config = { ...(prev.config as object), ...(body.config as object) };
        const next = { ...prev, name: typeof body.name === "string" ? body.name : prev.name, config };
        members.set(key, next);
        return send(200, next);
      }
      m = path.match(/^\/network\/([0-9a-f]{16})$/);
      if (m) {
        const network = networks.get(m[1]!);
        if (!network) return send(404);
        if (req.method === "POST")
          network.config = { ...(network.config as object), ...(body.config as object) };
        return send(200, network);
      }
      if (path === "/network") return send(200, [...networks.values()]);
      if (path === "/status") return send(200, { online: true, version: "central-fake" });
      return send(404);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/v1`,
    members,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
