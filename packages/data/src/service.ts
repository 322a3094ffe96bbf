import { Service } from "electrodb";
import {
  addressAllocationEntity,
  addressClaimEntity,
  addressPoolEntity,
  addressPoolFreeEntity,
} from "./entities/address.ts";
import { auditEventEntity } from "./entities/audit-event.ts";
import type { EntityConfig } from "./entities/config.ts";
import { controllerStateEntity, leaseEntity } from "./entities/controller-state.ts";
import { ixNetworkEntity } from "./entities/ix-network.ts";
import { joinRequestEntity } from "./entities/join-request.ts";
import { localCredentialEntity } from "./entities/local-credential.ts";
import { membershipEntity } from "./entities/membership.ts";
import {
  irrPrefixListEntity,
  neverViaListEntity,
  peeringDbRecordEntity,
  policyDataGenerationEntity,
} from "./entities/policy-data.ts";
import { requestSlotEntity } from "./entities/request-slot.ts";
import { routeServerMemberEntity } from "./entities/route-server-member.ts";
import { routeServerStateEntity } from "./entities/route-server-state.ts";
import { routeServerSyncEntity } from "./entities/route-server-sync.ts";
import { loginThrottleEntity, oauthStateEntity, sessionEntity } from "./entities/session.ts";
import { userEntity } from "./entities/user.ts";
import { userAsnEntity } from "./entities/user-asn.ts";
import { userNetworkAccessEntity } from "./entities/user-network-access.ts";

/** All entities of the table, bound to one client and table name. */
export function createService(config: EntityConfig) {
  return new Service(
    {
      user: userEntity(config),
      localCredential: localCredentialEntity(config),
      userAsn: userAsnEntity(config),
      userNetworkAccess: userNetworkAccessEntity(config),
      ixNetwork: ixNetworkEntity(config),
      joinRequest: joinRequestEntity(config),
      requestSlot: requestSlotEntity(config),
      membership: membershipEntity(config),
      addressAllocation: addressAllocationEntity(config),
      addressClaim: addressClaimEntity(config),
      addressPool: addressPoolEntity(config),
      addressPoolFree: addressPoolFreeEntity(config),
      routeServerMember: routeServerMemberEntity(config),
      routeServerSync: routeServerSyncEntity(config),
      routeServerState: routeServerStateEntity(config),
      auditEvent: auditEventEntity(config),
      session: sessionEntity(config),
      oauthState: oauthStateEntity(config),
      loginThrottle: loginThrottleEntity(config),
      controllerState: controllerStateEntity(config),
      lease: leaseEntity(config),
      peeringDbRecord: peeringDbRecordEntity(config),
      neverViaList: neverViaListEntity(config),
      irrPrefixList: irrPrefixListEntity(config),
      policyDataGeneration: policyDataGenerationEntity(config),
    },
    config,
  );
}

export type DataService = ReturnType<typeof createService>;
export type Entities = DataService["entities"];
