import { randomBytes } from "node:crypto";
import { execFileAsync } from "./processes.ts";

const ip = (args: string[]) => execFileAsync("ip", args, { timeout: 10_000 });

/** A peering LAN of network namespaces: a bridge in its own namespace, one veth port per host. */
export interface PeeringLan {
  /** A new host on the LAN (its own namespace, `eth0` plugged into the bridge) with these `ip/len` addresses. */
  addHost(name: string, addresses: string[]): Promise<string>;
  /** Deletes every namespace it made (their veths go with them). */
  destroy(): Promise<void>;
}

/**
 * Builds a LAN that real BIRDs can peer across, as on an exchange's switch. Names carry a
 * random tag so parallel runs never collide. Needs root and `ip netns` (canUseNetns()).
 */
export async function createPeeringLan(label = "lan"): Promise<PeeringLan> {
  const tag = randomBytes(3).toString("hex");
  const namespaces: string[] = [];
  const addNs = async (suffix: string) => {
    const ns = `ztix-${tag}-${suffix}`;
    await ip(["netns", "add", ns]);
    namespaces.push(ns);
    await ip(["-n", ns, "link", "set", "lo", "up"]);
    return ns;
  };
  const bridgeNs = await addNs(label);
  await ip(["-n", bridgeNs, "link", "add", "br0", "type", "bridge"]);
  await ip(["-n", bridgeNs, "link", "set", "br0", "up"]);
  return {
    async addHost(name, addresses) {
      const ns = await addNs(name);
      const port = `p-${name}`.slice(0, 15);
      await ip(["-n", bridgeNs, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      await ip(["-n", bridgeNs, "link", "set", port, "master", "br0", "up"]);
      // One `ip -batch` for many addresses: a member host may carry dozens.
      const batch = addresses
        .map((a) => `addr add ${a} dev eth0${a.includes(":") ? " nodad" : ""}`)
        .concat("link set eth0 up")
        .join("\n");
      await execFileAsync("sh", ["-c", `ip -n ${ns} -batch - <<'EOF'\n${batch}\nEOF`], { timeout: 20_000 });
      return ns;
    },
    async destroy() {
      for (const ns of namespaces.splice(0).reverse()) await ip(["netns", "del", ns]).catch(() => undefined);
    },
  };
}
