/** What a route server holds, read in one remote command (`readBoxCommand`). */
export interface BoxState {
  /** sha256 of every `*.conf` in the members directory, by name (the digest file included). */
  files: Map<string, string>;
  /** `*.conf` names the members directory holds that no safe command can name (left alone). */
  unsafeNames: string[];
  /** sha256 of the policy file; undefined when there is none. */
  policyHash?: string;
  /** The include lines the main config lacks (both are needed); `null` when it is missing. */
  missingIncludes: string[] | null;
  /** What `birdc eval ZTIX_CONFIG_DIGEST` answered: the digest BIRD runs, or null when its config has none. */
  runningDigest: string | null;
  /** The member protocols BIRD runs (`show protocols`): a hand reload shows up here. */
  runningProtocols: Set<string>;
  /** Set when birdc could not reach BIRD at all (its words). */
  birdUnreachable?: string;
}
