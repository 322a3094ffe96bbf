/**
 * The VPC the worker and the controller backup run in. Managed NAT gateways give them internet
 * egress (SSH to the controller and route servers) from fixed Elastic IPs, which operators
 * allow-list on those hosts' firewalls.
 */
export function createNetwork() {
  const vpc = new sst.aws.Vpc("Vpc", { az: 2, nat: "managed" });
  return { vpc };
}

export type Network = ReturnType<typeof createNetwork>;
