import type { DataService, JoinRequestItem, MembershipItem } from "@ztix/data";
import { compareMember } from "../compare.ts";
import { networkIdFor } from "../network-settings.ts";
import type { ControllerProvider } from "../types.ts";

/**
 * Stable codes for a member that DynamoDB says is active but the restored controller does
 * not carry as recorded. The remediation is what an admin reads next to the code.
 */
export const memberDriftCodes = {
  restore_member_missing: {
    remediation:
      "the member is not on the controller (the backup predates it): re-create it with the recorded name and addresses, authorized",
  },
  restore_member_unauthorized: {
    remediation:
      "the member exists but is not authorized (it was authorized after the backup): authorize it again on the controller",
  },
  restore_member_addresses_differ: {
    remediation:
      "the member's ipAssignments differ from the addresses allocated in DynamoDB: set them to the recorded addresses",
  },
} as const;

export type MemberDriftCode = keyof typeof memberDriftCodes;

export interface MemberDrift {
  code: MemberDriftCode;
  remediation: string;
  requestId: string;
  networkId: string;
  nodeId: string;
  asn: number;
  /** The addresses DynamoDB recorded (absent when the membership record itself is missing). */
  expected?: string[];
  actual?: string[];
}

export interface MemberCheckReport {
  /** Active requests compared with the controller. */
  checked: number;
  drift: MemberDrift[];
}

async function activeRequests(data: DataService, networkId: string): Promise<JoinRequestItem[]> {
  const out = await data.entities.joinRequest.query
    .byNetworkStatus({ networkId, status: "active" })
    .go({ pages: "all" });
  return out.data;
}

/**
 * Compares every active request's member (DynamoDB `membership`: authorized, addresses) with
 * the controller's member on each configured network. Read-only: it reports what a restore
 * from an older backup lost, it does not write to the controller.
 */
export async function checkRestoredMembers(deps: {
  data: DataService;
  provider: ControllerProvider;
  controllerAddress: string;
  networkSuffixes: string[];
}): Promise<MemberCheckReport> {
  const report: MemberCheckReport = { checked: 0, drift: [] };
  for (const suffix of deps.networkSuffixes) {
    const networkId = networkIdFor(deps.controllerAddress, suffix);
    for (const request of await activeRequests(deps.data, networkId)) {
      report.checked += 1;
      const membership: MembershipItem | null = (
        await deps.data.entities.membership.get({ requestId: request.requestId }).go()
      ).data;
      const nodeId = (membership?.nodeId ?? request.nodeId).toLowerCase();
      const expected = membership
        ? [membership.ipv4, membership.ipv6].filter((ip): ip is string => Boolean(ip))
        : undefined;
      const member = await deps.provider.getMember(networkId, nodeId);
      const base = { requestId: request.requestId, networkId, nodeId, asn: request.asn, expected };
      const drift = (code: MemberDriftCode, actual?: string[]) =>
        report.drift.push({ code, remediation: memberDriftCodes[code].remediation, ...base, actual });
      if (!member) drift("restore_member_missing");
      else if (!member.authorized) drift("restore_member_unauthorized", member.ipAssignments);
      else if (
        expected &&
        compareMember(member, { ...member, ipAssignments: expected }).includes("ipAssignments")
      )
        drift("restore_member_addresses_differ", member.ipAssignments);
    }
  }
  return report;
}
