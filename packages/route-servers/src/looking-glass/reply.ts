/**
 * The lines of one `birdc -v` reply. birdc prints a line of the server's as `NNNN-text` (more
 * follows) or `NNNN text` (the last), and a continuation of the same code as five spaces and
 * the text, so every line keeps the indentation BIRD gave it once those five columns are cut.
 * Anything else birdc itself printed (it cannot reach the socket, `??? <…>` for a line it did
 * not understand) is kept apart: it is never mistaken for BIRD's reply.
 */

export interface ReplyLine {
  code: number;
  text: string;
}

export interface Reply {
  lines: ReplyLine[];
  /** Lines that were not part of BIRD's reply (birdc's own messages, stderr), at most a few. */
  other: string[];
  /** A line longer than the parser takes was cut: the reply is not complete. */
  cut: boolean;
  /**
   * birdc's greeting (`0001 BIRD 2.0.12 ready.`): proof that BIRD answered. An empty listing
   * is nothing but the greeting, since birdc does not print the closing `0000` line.
   */
  greeting?: string;
}

/** Longer lines are cut: a BGP UPDATE is at most 64 KiB, and even its text fits in this. */
export const MAX_LINE_CHARS = 256 * 1024;
const MAX_OTHER_LINES = 20;
const MAX_OTHER_CHARS = 500;

const CODE_LINE = /^(\d{4})([ -])/;

export function splitReply(text: string | readonly string[]): Reply {
  const raw = typeof text === "string" ? text.split("\n") : text;
  const lines: ReplyLine[] = [];
  const other: string[] = [];
  let cut = false;
  let greeting: string | undefined;
  let last: number | undefined;
  for (let line of raw) {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.length > MAX_LINE_CHARS) {
      cut = true;
      line = line.slice(0, MAX_LINE_CHARS);
    }
    const m = CODE_LINE.exec(line);
    if (m) {
      last = Number(m[1]);
      // 0001 is birdc's greeting ("BIRD 2.0.12 ready."), not part of any command's reply.
      if (last !== 1) lines.push({ code: last, text: line.slice(5) });
      else greeting ??= line.slice(5, 5 + MAX_OTHER_CHARS);
    } else if (line.startsWith("     ") && last !== undefined) {
      lines.push({ code: last, text: line.slice(5) });
    } else if (line.trim() !== "" && other.length < MAX_OTHER_LINES) {
      other.push(line.slice(0, MAX_OTHER_CHARS));
    }
  }
  return { lines, other, cut, ...(greeting === undefined ? {} : { greeting }) };
}

/** BIRD's reply codes this module reads (BIRD 2.0.12, `doc/reply_codes`). */
export const ReplyCode = {
  status: 1000,
  protocolRow: 1002,
  protocolDetail: 1006,
  route: 1007,
  routeType: 1008,
  statusDetail: 1011,
  routeAttributes: 1012,
  protocolHeader: 2002,
  daemonUp: 13,
  /** "Network not found": a lookup that matched nothing; an answer, not a failure. */
  notFound: 8001,
} as const;

export type ReplyProblem =
  /** birdc never got a reply from BIRD (no socket, permission, BIRD not running). */
  | { kind: "unreachable"; message: string }
  /** The command named a symbol BIRD does not know: the protocol is not configured. */
  | { kind: "unknown_protocol"; message: string }
  /** `show route export` of a protocol with no channel up ("No valid tables"). */
  | { kind: "no_tables"; message: string }
  | { kind: "not_found"; message: string }
  | { kind: "error"; code: number; message: string };

/**
 * What went wrong with a command, or undefined when BIRD answered it. Reads the error code
 * BIRD gave (8xxx run-time, 9xxx parse) and, for the two answers that mean "nothing to
 * show", its words as BIRD 2.0.12 prints them.
 */
export function replyProblem(reply: Reply): ReplyProblem | undefined {
  const err = reply.lines.find((l) => l.code >= 8000);
  if (err) {
    const message = err.text.slice(0, MAX_OTHER_CHARS);
    if (err.code === ReplyCode.notFound) return { kind: "not_found", message };
    // `show protocols all x` / `show route protocol x` of an undefined symbol: a syntax error.
    if (err.code === 9001 && /CF_SYM_UNDEFINED/.test(err.text)) return { kind: "unknown_protocol", message };
    if (err.code === 9001 && /^No valid tables/.test(err.text)) return { kind: "no_tables", message };
    return { kind: "error", code: err.code, message };
  }
  if (reply.greeting === undefined) {
    return { kind: "unreachable", message: reply.other.join("; ") || "no reply from BIRD" };
  }
  return undefined;
}
