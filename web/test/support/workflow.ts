import type { DataService } from "@ztix/data";
import { transitionRequest } from "@ztix/data";

/**
 * Stand-ins for the provisioning worker (functions/worker has no handler yet): they make the
 * same status changes through the same repository function the worker uses, so the API and
 * the SPA see exactly what a real run leaves behind.
 */
async function load(data: DataService, requestId: string) {
  const { data: request } = await data.entities.joinRequest.get({ requestId }).go({ consistent: true });
  if (!request) throw new Error(`no request ${requestId}`);
  return request;
}

const system = { actorType: "system" as const, actorId: "worker", visibility: "operator" as const };

/** approved → provisioning → active, with the member's addresses and in-sync route servers. */
export async function provisionRequest(
  data: DataService,
  requestId: string,
  input: { ipv4: string; ipv6: string; routeServers: string[] },
) {
  const approved = await load(data, requestId);
  const provisioning = await transitionRequest(data, approved, "start", {
    audit: { ...system, message: "provisioning started" },
  });
  const at = new Date().toISOString();
  await data.entities.membership
    .create({
      requestId,
      networkId: approved.networkId,
      nodeId: approved.nodeId,
      asn: approved.asn,
      memberName: `AS${approved.asn}`,
      ipv4: input.ipv4,
      ipv6: input.ipv6,
      authorized: true,
      createdAt: at,
      updatedAt: at,
    })
    .go();
  for (const routeServerId of input.routeServers) {
    await data.entities.routeServerSync
      .create({ requestId, routeServerId, state: "in_sync", updatedAt: at })
      .go();
  }
  return transitionRequest(data, provisioning, "complete", {
    set: { activeAt: at },
    audit: { ...system, message: "member authorised and route servers configured" },
  });
}

/** approved → provisioning → failed, with an error the operator and admin see. */
export async function failProvisioning(
  data: DataService,
  requestId: string,
  error: { code: string; message: string },
) {
  const approved = await load(data, requestId);
  const provisioning = await transitionRequest(data, approved, "start", { audit: { ...system } });
  return transitionRequest(data, provisioning, "fail", {
    set: { lastErrorCode: error.code, lastErrorMessage: error.message },
    audit: { ...system, message: error.message },
  });
}
