/**
 * Checks a ZeroTier node id as the user types. Mirrors `nodeIdInputSchema` of @ztix/core, which
 * the API reads bodies with (it cannot be bundled: it pulls in node:net);
 * web/test/node-id.test.ts keeps the two in step.
 * Any letter case is fine (the id is sent lower-cased). Returns null when the value is valid,
 * else a sentence saying what is wrong.
 */
export function nodeIdProblem(raw: string): string | null {
  const value = normaliseNodeId(raw);
  if (value === "") return "Enter your node id: 10 hex digits.";
  if (/[^0-9a-f]/.test(value)) return "Only the digits 0–9 and letters a–f are allowed.";
  if (value.length < 10) return `Too short: ${value.length} of 10 hex digits.`;
  if (value.length > 10) return `Too long: ${value.length} hex digits; a node id has 10.`;
  if (value.startsWith("ff"))
    return "Node ids starting with ff are reserved; check you copied the right value.";
  if (value === "0000000000") return "0000000000 is reserved in ZeroTier and is never a node's id.";
  return null;
}

/**
 * Normalises pasted input to what the API reads: `zerotier-cli info` prints
 * `200 info <node id> <version> ONLINE`; any case becomes lower case.
 */
export function normaliseNodeId(raw: string): string {
  const match = /^\s*200 info ([0-9a-fA-F]{10})\b/.exec(raw);
  return (match ? match[1]! : raw).trim().toLowerCase();
}
