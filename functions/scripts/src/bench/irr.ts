/**
 * IRR prefix lists: how long bgpq4 takes to expand a member's 10,000-prefix as-set served by the
 * local IRRd stand-in, how big the lists are as the worker stores them (gzip + base64, one
 * DynamoDB item of at most 400 KB), and how big the BIRD prefix sets and the member file rendered
 * from them are. The
 * stand-in answers from memory on loopback, so the figures are bgpq4's and ours, not a real IRR
 * server's (public servers add network time and their own query cost).
 */
import { spawnSync } from "node:child_process";
import { routeServerPolicySchema } from "@ztix/core";
import { decodeIrrLists, encodeIrrLists } from "@ztix/data";
import { birdPrefixSet, expandOriginAsns, expandPrefixes } from "@ztix/irr";
import { generateLargeDataset, startWhoisStandIn } from "@ztix/irr/stand-in";
import { parseMember, renderMember } from "@ztix/route-servers";
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

        // As the worker stores the lists, and as a reconcile reads them back and renders them.
        let t = performance.now();
        const stored = encodeIrrLists(last);
        const encodeMs = performance.now() - t;
        t = performance.now();
        const decoded = decodeIrrLists(stored)!;
        const decodeMs = performance.now() - t;
        const json = Buffer.byteLength(JSON.stringify({ ipv4: last.ipv4, ipv6: last.ipv6 }));
        figures.stored_lists = {
          json_bytes: json,
          gzip_base64_bytes: Buffer.byteLength(stored.listsGz),
          ratio: Math.round((json / Buffer.byteLength(stored.listsGz)) * 10) / 10,
          encode_ms: Math.round(encodeMs * 10) / 10,
          decode_ms: Math.round(decodeMs * 10) / 10,
        };
        const policy = routeServerPolicySchema.parse({ irr: { mode: "strict" } });
        t = performance.now();
        const member = parseMember({
          asn: 4_200_000_000,
          network: "000001",
          nodeId: "0123456789",
          ipv4: "192.0.2.11",
          ipv6: "2001:db8::11",
          receiveLimit: { ipv4: 9_600, ipv6: 2_400 },
          irr: { asSet: data.asSet, ipv4: decoded.ipv4, ipv6: decoded.ipv6 },
        });
        const parseMs = performance.now() - t;
        t = performance.now();
        const file = renderMember(member, policy);
        const fileMs = performance.now() - t;
        figures.member_file = {
          bytes: Buffer.byteLength(file.text),
          lines: file.text.split("\n").length - 1,
          validate_ms: Math.round(parseMs * 10) / 10,
          render_ms: Math.round(fileMs * 10) / 10,
        };
      }
    } finally {
      await irr.stop();
    }
  }
  return figures;
}
