import type { RuntimeConfig } from "@ztix/core";
import { DEMO_RPSL, startWhoisStandIn, type WhoisStandIn } from "@ztix/irr/stand-in";
import { type PeeringDbStandIn, startPeeringDbStandIn } from "@ztix/peeringdb/stand-in";
import type { DevSettings } from "./settings.ts";

/**
 * Route objects of the local `operator` account's network (its PeeringDB record names
 * `AS64511:AS-CUSTOMERS AS64511`), beside the demo RPSL of the irr package.
 */
export const DEV_EXTRA_RPSL = `
as-set:     AS64511:AS-CUSTOMERS
descr:      the local operator's customer cone
members:    AS64511
source:     TEST

aut-num:    AS64511
as-name:    LOCALOP
source:     TEST

route:      203.0.113.0/24
origin:     AS64511
source:     TEST

route6:     2001:db8:511::/48
origin:     AS64511
source:     TEST
`;

const LOCAL_HOSTS = ["127.0.0.1", "localhost"];

/** Where the PeeringDB REST stand-in listens: `peeringdb_api.base_url`, which must be on this machine. */
export function peeringDbStandInPort(config: RuntimeConfig): number {
  const url = new URL(config.peeringdb_api.base_url);
  if (
    url.protocol !== "http:" ||
    !LOCAL_HOSTS.includes(url.hostname) ||
    (url.pathname !== "/" && url.pathname !== "")
  ) {
    throw new Error(
      `stand_ins.peeringdb in .ztix/dev.yaml: the stand-in runs on this machine, so peeringdb_api.base_url must be http://127.0.0.1:<port> (it is ${config.peeringdb_api.base_url})`,
    );
  }
  return Number(url.port || 80);
}

/** Where the whois stand-in listens: `irr_sources.host:port`, which must be on this machine. */
export function irrStandInPort(config: RuntimeConfig): number {
  const { host, port } = config.irr_sources;
  if (!host || !LOCAL_HOSTS.includes(host)) {
    throw new Error(
      `stand_ins.irr in .ztix/dev.yaml: the stand-in runs on this machine, so irr_sources.host must be 127.0.0.1 (it is ${host ?? "not set"})`,
    );
  }
  return port;
}

export interface DataStandIns {
  peeringdb?: PeeringDbStandIn;
  whois?: WhoisStandIn;
  stop(): Promise<void>;
}

/** Starts the PeeringDB REST and IRR whois stand-ins that the dev settings switch on, and only those. */
export async function startDataStandIns(
  config: RuntimeConfig,
  settings: DevSettings,
  apiKey: () => Promise<string>,
): Promise<DataStandIns> {
  const out: DataStandIns = {
    async stop() {
      await Promise.allSettled([out.peeringdb?.stop(), out.whois?.stop()]);
    },
  };
  try {
    if (settings.stand_ins.peeringdb) {
      const port = peeringDbStandInPort(config);
      if (!config.peeringdb_api.api_key) {
        throw new Error(
          "stand_ins.peeringdb in .ztix/dev.yaml: the stand-in wants a key; set peeringdb_api.api_key",
        );
      }
      out.peeringdb = await startPeeringDbStandIn({ apiKey: await apiKey(), port });
    }
    if (settings.stand_ins.irr) {
      const port = irrStandInPort(config);
      out.whois = await startWhoisStandIn({ rpsl: `${DEMO_RPSL}\n${DEV_EXTRA_RPSL}`, port });
    }
  } catch (e) {
    await out.stop();
    throw e;
  }
  return out;
}
