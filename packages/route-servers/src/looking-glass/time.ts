/**
 * Times as BIRD prints them. BIRD 2's default protocol and route format (`iso short ms`) is
 * the time of day (`23:49:26.546`) for anything less than 20 hours old and the date alone
 * (`2026-11-30`) for anything older; `iso long` formats print both. Every one is the box's
 * local time, in a time zone we are not told. So a time is turned into an age on the box's
 * own clock (the `Current server time` of `show status`, read in the same remote command),
 * and only the age is carried over to our clock: no time zone, and no clock skew between the
 * box and us, enters the result.
 */

export interface BirdTimestamp {
  /** As BIRD printed it. */
  text: string;
  /** The box's local time it names: `YYYY-MM-DDTHH:MM:SS[.fff]`, or `YYYY-MM-DD` for a bare date. */
  local?: string;
  /** `day` when BIRD printed only the date: the age and instant are then those of the day's start. */
  precision: "ms" | "s" | "day";
  /** How long before the box's clock reading; absent without a reading to compare with. */
  ageMs?: number;
  /** The instant on our clock (ISO 8601, UTC): when we read the box minus the age. */
  at?: string;
}

/** The box's clock as `show status` printed it, and when (on our clock) that reply arrived. */
export interface BirdClock {
  /** BIRD's words: `2026-12-01 23:49:45.168`. */
  text: string;
  /** The box's local wall time as if it were UTC: only differences of these mean anything. */
  wallMs: number;
  /** Our clock when the reply was read (ms since the epoch). */
  observedAtMs: number;
}

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** A pattern matching one timestamp in any of the formats above (to find it inside a row). */
export const BIRD_TIME_PATTERN = String.raw`\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)?|\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?`;

function fraction(f: string | undefined): number {
  return f === undefined ? 0 : Math.floor(Number(`0.${f}`) * 1000);
}

/** Wall time fields → ms as if UTC; undefined for fields no calendar has (`2026-02-30`, `25:00`). */
function wall(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const back = new Date(t);
  // Date.UTC rolls 2026-02-30 over into March: a date BIRD cannot have printed.
  return back.getUTCDate() === d && back.getUTCMonth() === mo - 1 ? t : undefined;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

function localText(ms: number, precision: BirdTimestamp["precision"]): string {
  const d = new Date(ms);
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  if (precision === "day") return date;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return precision === "ms" ? `${date}T${time}.${pad(d.getUTCMilliseconds(), 3)}` : `${date}T${time}`;
}

/** `Current server time is …` → the clock reading, or undefined when the format is not one we read. */
export function parseBirdClock(text: string, observedAtMs: number): BirdClock | undefined {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return undefined;
  const wallMs = wall(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, fraction(m[7]));
  return wallMs === undefined ? undefined : { text: text.trim(), wallMs, observedAtMs };
}

/**
 * A time of day this far ahead of the box's clock was yesterday's. BIRD prints a time of day
 * only for the last 20 hours, so yesterday's read at least 4 hours ahead; a time a little
 * ahead is a change that happened between `show status` and the command that printed it.
 */
const YESTERDAY_THRESHOLD_MS = 60 * 60 * 1000;

/** One of BIRD's timestamps, dated against the box's clock when there is one. */
export function parseBirdTime(text: string, clock: BirdClock | undefined): BirdTimestamp {
  const t = text.trim();
  let wallMs: number | undefined;
  let precision: BirdTimestamp["precision"];
  const dateTime = DATE_TIME.exec(t);
  const date = DATE.exec(t);
  const time = TIME.exec(t);
  if (dateTime) {
    const [, y, mo, d, h, mi, s, f] = dateTime;
    precision = f === undefined ? "s" : "ms";
    wallMs = wall(+y!, +mo!, +d!, +h!, +mi!, +s!, fraction(f));
  } else if (date) {
    precision = "day";
    wallMs = wall(+date[1]!, +date[2]!, +date[3]!);
  } else if (time) {
    const [, h, mi, s, f] = time;
    precision = f === undefined ? "s" : "ms";
    const sinceMidnight = wall(1970, 1, 1, +h!, +mi!, +s!, fraction(f));
    // A bare time of day names no day: only the clock reading says which one.
    if (sinceMidnight === undefined || !clock) return { text: t, precision };
    const today = clock.wallMs - (((clock.wallMs % DAY_MS) + DAY_MS) % DAY_MS);
    wallMs = today + sinceMidnight;
    if (wallMs - clock.wallMs > YESTERDAY_THRESHOLD_MS) wallMs -= DAY_MS;
  } else {
    return { text: t, precision: "s" };
  }
  if (wallMs === undefined) return { text: t, precision };
  const result: BirdTimestamp = { text: t, local: localText(wallMs, precision), precision };
  if (clock) {
    // Never negative: a change a moment after the clock was read is "now", not the future.
    result.ageMs = Math.max(0, clock.wallMs - wallMs);
    result.at = new Date(clock.observedAtMs - result.ageMs).toISOString();
  }
  return result;
}

/**
 * Whether two readings of one of BIRD's times of day name the same moment. BIRD keeps times
 * on a monotonic clock and prints them as wall-clock time, so two reads of an untouched
 * session's "since" can differ by a millisecond; a session that restarted moves by far more.
 */
export function sameBirdTime(a: string, b: string | undefined, slackMs = 1000): boolean {
  if (b === undefined) return false;
  if (a.trim() === b.trim()) return true;
  const ms = (t: string) => {
    const m = TIME.exec(t.trim());
    return m ? wall(1970, 1, 1, +m[1]!, +m[2]!, +m[3]!, fraction(m[4])) : undefined;
  };
  const x = ms(a);
  const y = ms(b);
  return x !== undefined && y !== undefined && Math.abs(x - y) < slackMs;
}
