/** "3 min", "2 h", "5 d": how long ago `iso` was, relative to `now`. */
export function age(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function when(iso: string | null | undefined): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : dateTime.format(t);
}

/** The first block of a UUID, enough to tell requests apart in a table. */
export function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 8) : id;
}

export function asnLabel(asn: number): string {
  return `AS${asn}`;
}

/**
 * "12 minutes", "45 seconds": a wait as people say it. Under a minute in seconds; otherwise
 * in minutes, rounded up (a wait of 61 s is "2 minutes": never a promise that comes too early).
 */
export function humanDuration(totalSeconds: number): string {
  const seconds = Math.max(1, Math.ceil(totalSeconds));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** How admin pages name a person: display name, else username, else the id. */
export function personLabel(p: {
  user_id: string;
  display_name?: string | null;
  username?: string | null;
}): string {
  return p.display_name || p.username || p.user_id;
}
