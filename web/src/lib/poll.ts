export interface PollOptions {
  /** First delay and the delay after every change, in ms. */
  baseMs?: number;
  /** The delay never grows past this. */
  maxMs?: number;
  /** Growth factor while nothing changes. */
  factor?: number;
}

/**
 * Calls `tick` repeatedly with a growing delay while it returns "unchanged", resets the delay
 * when it returns "changed", and stops for good on "stop" (a final status). While the tab is
 * hidden nothing runs; becoming visible again polls at once. Returns a stop function, so a
 * component can call it from its teardown.
 *
 * @example
 * const stop = poll(async () => (isFinal(await load()) ? "stop" : "unchanged"));
 */
export function poll(
  tick: () => Promise<"changed" | "unchanged" | "stop">,
  { baseMs = 2000, maxMs = 20_000, factor = 1.6 }: PollOptions = {},
): () => void {
  let delay = baseMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let running = false;

  const schedule = () => {
    clearTimeout(timer);
    if (!stopped && document.visibilityState === "visible") timer = setTimeout(run, delay);
  };

  async function run() {
    if (stopped || running) return;
    running = true;
    let outcome: "changed" | "unchanged" | "stop";
    try {
      outcome = await tick();
    } catch {
      // A failed poll (network blip) waits longer, like an unchanged one; the screen keeps its data.
      outcome = "unchanged";
    }
    running = false;
    if (outcome === "stop") return stop();
    delay = outcome === "changed" ? baseMs : Math.min(maxMs, Math.round(delay * factor));
    schedule();
  }

  const onVisibility = () => {
    if (document.visibilityState === "visible") {
      delay = baseMs;
      void run();
    } else clearTimeout(timer);
  };

  function stop() {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisibility);
  }

  document.addEventListener("visibilitychange", onVisibility);
  schedule();
  return stop;
}
