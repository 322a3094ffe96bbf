import { createHash } from "node:crypto";
import { addNamespace, deleteNamespace, ipCommand } from "@ztix/local-stack";

/**
 * The demo peering LAN (root only): a bridge, the route servers and the demo members in
 * network namespaces, three at most. The first route server's namespace holds the bridge and
 * has its addresses on it; every other route server gets its own namespace on a veth port;
 * the demo members share one namespace (their BIRDs bind their own addresses). BIRD control
 * sockets are files, so the loopback sshd on the host reaches every route server by path.
 */
export interface DemoLan {
  /** The namespace of a route server's BIRD. */
  nsOf(routeServerId: string): string | undefined;
  /** The namespace the demo members' routers live in; its LAN interface is `eth0`. */
  membersNs: string;
  namespaces: string[];
  /** Adds `addresses` (`ip/len`) to the members' LAN interface; removes `remove`. */
  setMemberAddresses(add: string[], remove: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** A short tag from the data directory, so two dev stacks (a test and npm run dev) never collide. */
export function lanTag(dir: string): string {
  return createHash("sha256").update(dir).digest("hex").slice(0, 6);
}

export async function startDemoLan(options: {
  tag: string;
  routeServers: { id: string; ipv4: string; ipv6?: string }[];
  ipv4Length: number;
  ipv6Length: number;
}): Promise<DemoLan> {
  const name = (suffix: string) => `ztix-${options.tag}-${suffix}`.slice(0, 40);
  const namespaces: string[] = [];
  const byRs = new Map<string, string>();
  const stop = async () => {
    for (const ns of namespaces.splice(0).reverse()) await deleteNamespace(ns);
  };
  const addr = (ip: string) => `${ip}/${ip.includes(":") ? options.ipv6Length : options.ipv4Length}`;
  const addAddresses = async (ns: string, dev: string, ips: string[]) => {
    for (const ip of ips) {
      await ipCommand([
        "-n",
        ns,
        "addr",
        "add",
        addr(ip),
        "dev",
        dev,
        ...(ip.includes(":") ? ["nodad"] : []),
      ]);
    }
  };
  try {
    const [first, ...others] = options.routeServers;
    if (!first) throw new Error("the demo LAN needs a route server");
    const bridgeNs = name(first.id);
    await addNamespace(bridgeNs);
    namespaces.push(bridgeNs);
    byRs.set(first.id, bridgeNs);
    await ipCommand(["-n", bridgeNs, "link", "add", "br0", "type", "bridge"]);
    await ipCommand(["-n", bridgeNs, "link", "set", "br0", "up"]);
    await addAddresses(bridgeNs, "br0", [first.ipv4, ...(first.ipv6 ? [first.ipv6] : [])]);
    // A host on the LAN: its own namespace whose eth0 is a port of the bridge.
    const plug = async (suffix: string, port: string) => {
      const ns = name(suffix);
      await addNamespace(ns);
      namespaces.push(ns);
      await ipCommand([
        "-n",
        bridgeNs,
        "link",
        "add",
        port,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        ns,
      ]);
      await ipCommand(["-n", bridgeNs, "link", "set", port, "master", "br0", "up"]);
      await ipCommand(["-n", ns, "link", "set", "eth0", "up"]);
      return ns;
    };
    for (const [i, rs] of others.entries()) {
      const ns = await plug(rs.id, `rs${i + 2}`);
      await addAddresses(ns, "eth0", [rs.ipv4, ...(rs.ipv6 ? [rs.ipv6] : [])]);
      byRs.set(rs.id, ns);
    }
    const membersNs = await plug("members", "members");
    return {
      nsOf: (id) => byRs.get(id),
      membersNs,
      namespaces: [...namespaces],
      async setMemberAddresses(add, remove) {
        for (const ip of remove) {
          await ipCommand(["-n", membersNs, "addr", "del", addr(ip), "dev", "eth0"]).catch(() => undefined);
        }
        await addAddresses(membersNs, "eth0", add);
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
