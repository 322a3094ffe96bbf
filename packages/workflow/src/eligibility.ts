/**
 * Who may request what. The sign-in package owns both queries (the session endpoints show
 * the same lists); the workflow re-exports them so request eligibility has one definition:
 * - userAsns: the ASNs a user may act for (one Query on the user's partition);
 * - allowedNetworks: active IX networks, narrowed to the user's network-access rows when
 *   there are any (two Queries, run together).
 */
export { allowedNetworks, type UserAsn, userAsns } from "@ztix/auth";
