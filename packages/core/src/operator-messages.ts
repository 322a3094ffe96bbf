/**
 * What a network operator reads about a failure or a wait, by stable error code. The stored
 * message (an SSH error, a BIRD parse error, a controller remediation) is for admins: it names
 * hosts, ports and commands an operator can do nothing with. Operators get a plain sentence
 * that says what happened and what happens next, chosen by code alone.
 */

/** Who is affected and what the operator can do about it. */
interface OperatorWording {
  /** What happened, as a clause an operator understands ("The exchange could not …"). */
  what: string;
  /**
   * For the request's own problems (they fail it): what the operator or the exchange team
   * does next. Absent for dependency problems, which pass by themselves.
   */
  next?: string;
}

const controllerDown = "The exchange could not reach its ZeroTier controller";
const controllerMaintenance = "The exchange's ZeroTier controller is under maintenance";
const routeServerBusy = "A route server of the exchange is being updated or is unavailable";

/** Every code a request can carry as its last error or wait, with its operator wording. */
export const operatorWordings: Readonly<Record<string, OperatorWording>> = {
  // The controller, down or slow: passes by itself.
  controller_unreachable: { what: controllerDown },
  controller_timeout: { what: "The exchange's ZeroTier controller answered too slowly" },
  controller_server_error: { what: "The exchange's ZeroTier controller had an internal error" },
  controller_not_ready: { what: "The exchange's ZeroTier controller is starting up" },
  controller_gate_contended: { what: "The exchange's ZeroTier controller is busy" },
  preflight_interrupted: { what: "The exchange is checking its ZeroTier controller" },
  // The controller needs the exchange team (a token, a host key, a restore): the gate closes
  // and every request waits until they fix it.
  controller_unauthorized: { what: controllerMaintenance },
  controller_network_not_found: { what: controllerMaintenance },
  controller_write_mismatch: { what: controllerMaintenance },
  controller_bad_response: { what: controllerMaintenance },
  controller_host_key_mismatch: { what: controllerMaintenance },
  controller_ssh_auth_failed: { what: controllerMaintenance },
  controller_secret_missing: { what: controllerMaintenance },
  controller_not_restarted: { what: controllerMaintenance },
  controller_identity_changed: { what: controllerMaintenance },
  restore_in_progress: { what: controllerMaintenance },
  restore_failed: { what: controllerMaintenance },
  // Route servers, down or busy.
  route_server_unreachable: { what: routeServerBusy },
  route_server_bird_unreachable: { what: routeServerBusy },
  route_server_misconfigured: { what: routeServerBusy },
  route_server_confirm_late: { what: routeServerBusy },
  route_server_in_doubt: { what: routeServerBusy },
  route_server_busy: { what: routeServerBusy },
  route_server_rollout_busy: { what: routeServerBusy },
  // The exchange's own systems.
  service_unavailable: { what: "The exchange's systems are busy" },
  provisioning_error: { what: "The exchange's systems ran into a problem" },
  internal_error: { what: "The exchange's systems ran into a problem" },
  // The request's own problems: these fail it.
  address_pool_exhausted: {
    what: "No peering address is left on this network",
    next: "The exchange team has to free or add addresses; they can then retry your request.",
  },
  controller_rejected: {
    what: "The exchange's ZeroTier controller refused this member",
    next: "Check that the node id is right (zerotier-cli info on your router); the exchange team sees the details and can retry.",
  },
  route_server_rejected_member: {
    what: "A route server refused the BGP configuration made for this membership",
    next: "The exchange team sees why and can retry once it is fixed.",
  },
  validation_failed: {
    what: "This request's details could not be used to configure the exchange",
    next: "The exchange team sees the details and can retry once it is fixed.",
  },
  replaced_membership_gone: {
    what: "The membership this node move was for has ended",
    next: "Request to join again with the new node instead.",
  },
};

const fallback: OperatorWording = { what: "The exchange ran into a problem" };

function wordingOf(code: string | null | undefined): OperatorWording {
  return code && Object.hasOwn(operatorWordings, code) ? operatorWordings[code]! : fallback;
}

/**
 * The sentence an operator reads for a request that failed with `code`: what happened and
 * what comes next. Never includes the stored detail.
 */
export function operatorFailureMessage(code: string | null | undefined): string {
  const w = wordingOf(code);
  return `${w.what}. ${w.next ?? "The exchange team sees the details and can retry your request."}`;
}

/** The sentence an operator reads while a request waits on a dependency that shows `code`. */
export function operatorWaitMessage(code: string | null | undefined): string {
  return `${wordingOf(code).what}; your request will continue automatically.`;
}

/**
 * The error code at the head of a stored wait reason (`controller_unreachable: ssh to …`),
 * when it is one this module words; null otherwise.
 */
export function waitReasonCode(reason: string | null | undefined): string | null {
  const code = /^([a-z][a-z0-9_]*):/.exec(reason ?? "")?.[1];
  return code && Object.hasOwn(operatorWordings, code) ? code : null;
}
