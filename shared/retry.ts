/**
 * The one retry loop of the project, and the backoff schedules it waits by. Pure: no SDK, no
 * clock of its own (the sleep is injectable), so every caller's schedule is unit-testable.
 *
 * An attempt says what it came to with a {@link RetryDecision}:
 * - {@link succeed}: done, here is the value;
 * - {@link retryWith}: failed in a way a later attempt may fix; try again if attempts remain;
 * - {@link stopWith}: failed in a way no retry can fix; stop now.
 *
 * An exception thrown by an attempt is not a decision: it propagates at once, unretried.
 * State that an attempt carries to the next (say, only the entries that failed) lives in the
 * caller's closure; the loop only counts, waits and stops.
 */

export type RetryDecision<T, F> =
  | { readonly kind: "success"; readonly value: T }
  | { readonly kind: "retry"; readonly failure: F }
  | { readonly kind: "stop"; readonly failure: F };

export const succeed = <T>(value: T): RetryDecision<T, never> => ({ kind: "success", value });
export const retryWith = <F>(failure: F): RetryDecision<never, F> => ({ kind: "retry", failure });
export const stopWith = <F>(failure: F): RetryDecision<never, F> => ({ kind: "stop", failure });

export type RetryResult<T, F> =
  | { readonly ok: true; readonly value: T; readonly attempts: number }
  | {
      readonly ok: false;
      /** What the last attempt failed with. */
      readonly failure: F;
      readonly attempts: number;
      /** `exhausted`: every attempt asked for a retry; `stopped`: one said no retry can help. */
      readonly reason: "exhausted" | "stopped";
    };

export interface RetryOptions<F> {
  /** Attempts in all, the first included (at least 1). */
  attempts: number;
  /**
   * The wait after failed attempt `attempt` (1-based) before the next one; `failure` is what
   * it failed with (a server's Retry-After, say). Never called after the last attempt.
   */
  delayMs: (attempt: number, failure: F) => number;
  /** Default: a timer. Tests inject a recorder; a CLI injects one its abort signal cancels. */
  sleep?: (ms: number) => Promise<void>;
  /** Called before each wait, e.g. to tell a user what is being retried and when. */
  onRetry?: (info: { attempt: number; delayMs: number; failure: F }) => void;
}

export const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt(1)`, `attempt(2)`, … until one succeeds or stops, or `attempts` have failed,
 * waiting `delayMs(n, failure)` after failed attempt `n` (but never after the last).
 */
export async function retry<T, F>(
  attempt: (attempt: number) => Promise<RetryDecision<T, F>> | RetryDecision<T, F>,
  options: RetryOptions<F>,
): Promise<RetryResult<T, F>> {
  if (!Number.isInteger(options.attempts) || options.attempts < 1) {
    throw new RangeError(`attempts must be a positive integer, got ${options.attempts}`);
  }
  const sleep = options.sleep ?? sleepFor;
  for (let n = 1; ; n++) {
    const decision = await attempt(n);
    if (decision.kind === "success") return { ok: true, value: decision.value, attempts: n };
    if (decision.kind === "stop")
      return { ok: false, failure: decision.failure, attempts: n, reason: "stopped" };
    if (n >= options.attempts) {
      return { ok: false, failure: decision.failure, attempts: n, reason: "exhausted" };
    }
    const delayMs = options.delayMs(n, decision.failure);
    options.onRetry?.({ attempt: n, delayMs, failure: decision.failure });
    await sleep(delayMs);
  }
}

export interface ExponentialBackoff {
  /** The wait after the first failed attempt (its ceiling, with full jitter); doubles per attempt. */
  baseMs: number;
  /** Upper bound of the doubling; default none. */
  capMs?: number;
  /**
   * - `none`: exactly the doubled delay;
   * - `full`: uniformly random in [0, delay) ("full jitter"), which spreads contending retries best;
   * - `{ extraMs }`: the delay plus a random extra in [0, extraMs).
   */
  jitter: "none" | "full" | { extraMs: number };
  /** Default Math.random; tests pin it. */
  random?: () => number;
}

/**
 * `delayMs` for {@link retry}: after failed attempt `n`, `min(capMs, baseMs · 2^(n-1))`,
 * jittered as asked.
 */
export function exponentialBackoff(options: ExponentialBackoff): (attempt: number) => number {
  // Looked up per call, not captured: a stubbed Math.random applies to module-level schedules too.
  const random = options.random ?? (() => Math.random());
  const cap = options.capMs ?? Number.POSITIVE_INFINITY;
  return (attempt) => {
    const delay = Math.min(cap, options.baseMs * 2 ** Math.max(0, attempt - 1));
    if (options.jitter === "none") return delay;
    if (options.jitter === "full") return random() * delay;
    return delay + random() * options.jitter.extraMs;
  };
}
