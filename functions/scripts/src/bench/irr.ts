/**
 * IRR prefix lists: how long bgpq4 takes to expand a member's 10,000-prefix as-set served by the
 * local IRRd stand-in, and how big the BIRD prefix sets written from the result are. The
 * stand-in answers from memory on loopback, so the figures are bgpq4's and ours, not a real IRR
 * server's (public servers add network time and their own query cost).
 */
import { spawnSync } from "node:child_process";
import { birdPrefixSet, expandOriginAsns, expandPrefixes } from "@ztix/irr";
import { generateLargeDataset, startWhoisStandIn } from "@ztix/irr/stand-in";
import { percentile } from "./_stats.ts";

const RUNS = 5;
const IPV4 = 8_000;
const IPV6 = 2_000;
const ASNS = 100;

function hasBgpq4(): boolean {
  return spawnSync("sh", ["-c", "command -v bgpq4"], { stdio: "ignore" }).status === 0;
}

async function median(fn: () => Promise<number>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await fn());
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

export async function run(): Promise<Record<string, unknown>> {
  if (!hasBgpq4()) return { skipped: "bgpq4 is not installed (Debian: apt-get install bgpq4)" };
  const data = generateLargeDataset({ asSet: "AS-BENCH", ipv4: IPV4, ipv6: IPV6, asns: ASNS, subSets: 10 });
  const figures: Record<string, unknown> = {
    member: `${data.asSet}: ${IPV4} IPv4 + ${IPV6} IPv6 route objects, ${ASNS} origin ASNs in 10 nested sets`,
    runs: RUNS,
  };

  // IRRd 4 (bgpq4 asks !a4/!a6 once each) and an older IRRd (one !g and one !6 per origin ASN).
  for (const [label, aQueries] of [
    ["irrd4", true],
    ["irrd_without_a", false],
  ] as const) {
    const irr = await startWhoisStandIn({ rpsl: data.rpsl, aQueries });
    try {
      const opts = { host: irr.host, port: irr.port, allowPrivateAsns: true, sources: ["TEST"] };
      let last = await expandPrefixes(data.asSet, opts);
      if (last.ipv4.length !== IPV4 || last.ipv6.length !== IPV6) {
        throw new Error(`expected ${IPV4}/${IPV6} prefixes, got ${last.ipv4.length}/${last.ipv6.length}`);
      }
      const buildMs = await median(async () => {
        last = await expandPrefixes(data.asSet, opts);
        return last.durationMs;
      });
      const originsMs = await median(async () => (await expandOriginAsns(data.asSet, opts)).durationMs);
      figures[label] = {
        bgpq4_build_ms_median: buildMs,
        bgpq4_stdout_bytes: last.bytes,
        origin_asns_ms_median: originsMs,
      };
      if (label === "irrd4") {
        const started = performance.now();
        const v4 = birdPrefixSet(last.ipv4);
        const v6 = birdPrefixSet(last.ipv6);
        const renderMs = performance.now() - started;
        figures.bird_prefix_set = {
          ipv4_bytes: Buffer.byteLength(v4),
          ipv6_bytes: Buffer.byteLength(v6),
          total_bytes: Buffer.byteLength(v4) + Buffer.byteLength(v6),
          bytes_per_prefix: Math.round((Buffer.byteLength(v4) + Buffer.byteLength(v6)) / (IPV4 + IPV6)),
          render_ms: Math.round(renderMs * 10) / 10,
        };
      }
    } finally {
      await irr.stop();
    }
  }
  return figures;
}
